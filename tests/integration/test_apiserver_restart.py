"""Restart over existing data (issue 6): `kubelite server`, and `kubelite
apiserver` over a kubelite store and over a real etcd, start again and
again on the data they wrote, after a clean stop (SIGTERM) and after kill
-9, and find every object as it was (same uid, resourceVersion and
content); the bootstrap objects are reconciled, not created again; the API
serves at once. Two API servers on one store start and serve side by side:
the Services they create between them never share a cluster IP or a node
port, and the `kubernetes` Service's endpoints list both. Data an earlier
version stored elsewhere is moved where this one keeps it.
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.apiserverproc import APIProcess, APIServerProcess, ServerProcess
from tests.rawhttp import Raw
from tests.storeproc import StoreProcess, terminate

RESTARTS = 3
SERVICES = 200

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                     "type": "object", "properties": {"size": {"type": "integer"}}}}}}}]},
}
TEMPLATE = {"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}

# (collection path, object) made before the first restart.
OBJECTS = [
    ("/api/v1/namespaces", {"metadata": {"name": "keep"}}),
    ("/api/v1/namespaces/keep/configmaps", {"metadata": {"name": "settings"},
                                             "data": {"color": "blue"}}),
    ("/api/v1/namespaces/keep/secrets", {"metadata": {"name": "token"},
                                          "stringData": {"t": "s3cret"}}),
    ("/apis/apps/v1/namespaces/keep/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": TEMPLATE}}),
    ("/api/v1/namespaces/keep/services", {"metadata": {"name": "web"}, "spec": {
        "type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80}]}}),
    ("/api/v1/namespaces/keep/services", {"metadata": {"name": "fixed"}, "spec": {
        "clusterIP": "10.96.0.77", "ports": [{"port": 53, "protocol": "UDP"}]}}),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD),
    ("/apis/example.com/v1/namespaces/keep/widgets", {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 3}}),
]
# Objects every start reconciles; they must not be written again.
BOOTSTRAP = ["/api/v1/namespaces/default", "/api/v1/namespaces/kube-system",
             "/api/v1/namespaces/kube-public", "/api/v1/namespaces/kube-node-lease",
             "/api/v1/namespaces/default/services/kubernetes",
             "/apis/scheduling.k8s.io/v1/priorityclasses/system-cluster-critical",
             "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical"]


def populate(raw: Raw) -> list[str]:
    """Create OBJECTS; their paths."""
    paths = []
    for collection, obj in OBJECTS:
        if "apiVersion" not in obj:
            kind = collection.rsplit("/", 1)[1][:-1].capitalize()
            obj = {"apiVersion": "v1", "kind": {"Configmap": "ConfigMap"}.get(kind, kind), **obj}
        for _ in range(50):  # a CRD's resource is served a moment after it is stored
            reply = raw.request("POST", collection, obj)
            if reply.status != 404:
                break
        assert reply.status == 201, (collection, reply.body)
        paths.append(f"{collection}/{obj['metadata']['name']}")
    return paths


def snapshot(raw: Raw, paths: list[str]) -> dict[str, dict]:
    out = {}
    for path in paths:
        reply = raw.request("GET", path)
        assert reply.status == 200, (path, reply.body)
        out[path] = reply.json()
    return out


def serving(raw: Raw) -> None:
    """The API serves: a write and a read of something new."""
    name = f"probe-{uuid.uuid4().hex[:6]}"
    made = raw.request("POST", "/api/v1/namespaces/keep/configmaps",
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    assert made.status == 201, made.body
    assert raw.request("GET", f"/api/v1/namespaces/keep/configmaps/{name}").status == 200
    endpoints = raw.request("GET", "/api/v1/namespaces/default/endpoints/kubernetes").json()
    ports = [p["port"] for s in endpoints.get("subsets", []) for p in s["ports"]]
    assert raw.port in ports, endpoints


def restart(proc: APIProcess, how: str) -> None:
    """Stop the API process (an APIServerProcess's store goes on) and start
    it again."""
    if how == "kill -9":
        proc.kill()
    else:
        terminate(proc.proc)
    proc.start()


def check_restarts(proc: APIProcess, how: str) -> None:
    raw = Raw(proc)
    paths = populate(raw)
    before = snapshot(raw, paths + BOOTSTRAP)
    for i in range(RESTARTS):
        restart(proc, how)
        raw = Raw(proc)
        after = snapshot(raw, paths + BOOTSTRAP)
        for path in before:
            assert after[path] == before[path], (i, path, proc.log_tail())
        serving(raw)
    assert "Traceback" not in proc.log_tail(200_000)


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
def test_kubelite_server_restarts_over_its_data(tmp_path, how):
    proc = ServerProcess(str(tmp_path / "cluster"))
    try:
        proc.start()
        check_restarts(proc, how)
    finally:
        proc.stop()


@pytest.mark.parametrize("how", ["SIGTERM", "kill -9"])
@pytest.mark.parametrize("store_kind", ["kubelite", "etcd"])
def test_apiserver_restarts_over_its_store(tmp_path, store_kind, how):
    proc = APIServerProcess(str(tmp_path / "cluster"), store_kind=store_kind)
    try:
        proc.start()
        check_restarts(proc, how)
    finally:
        proc.stop()


def _create_services(raw: Raw, prefix: str, count: int) -> list[dict]:
    def create(i: int) -> dict:
        spec = {"ports": [{"port": 80}]}
        if i % 2:
            spec["type"] = "NodePort"
        reply = raw.request("POST", "/api/v1/namespaces/default/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{prefix}-{i}"},
            "spec": spec})
        assert reply.status == 201, reply.body
        return reply.json()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(create, range(count)))


@pytest.mark.parametrize("store_kind", ["kubelite", "etcd"])
def test_two_apiservers_on_one_store(tmp_path, store_kind):
    store = StoreProcess(store_kind, str(tmp_path / "store"))
    servers = [APIServerProcess(str(tmp_path / name), store=store) for name in ("a", "b")]
    try:
        store.start()
        for server in servers:
            server.start()
        raws = [Raw(server) for server in servers]
        with ThreadPoolExecutor(2) as pool:
            made = list(pool.map(_create_services, raws, ["a", "b"], [SERVICES // 2] * 2))
        created = made[0] + made[1]
        listed = raws[0].request("GET", "/api/v1/namespaces/default/services").json()["items"]
        assert len(listed) == SERVICES + 1  # and `kubernetes`
        assert sorted(s["metadata"]["uid"] for s in created) == sorted(
            s["metadata"]["uid"] for s in listed if s["metadata"]["name"] != "kubernetes")
        ips = [s["spec"]["clusterIP"] for s in listed]
        assert len(set(ips)) == len(ips), "a cluster IP was given twice"
        node_ports = [p["nodePort"] for s in listed for p in s["spec"]["ports"]
                      if "nodePort" in p]
        assert len(node_ports) == SERVICES // 2
        assert len(set(node_ports)) == len(node_ports), "a node port was given twice"

        endpoints = raws[1].request(
            "GET", "/api/v1/namespaces/default/endpoints/kubernetes").json()
        ports = sorted(p["port"] for s in endpoints["subsets"] for p in s["ports"])
        assert ports == sorted(server.port for server in servers), endpoints

        servers[0].stop()  # a clean stop leaves the endpoints
        endpoints = raws[1].request(
            "GET", "/api/v1/namespaces/default/endpoints/kubernetes").json()
        assert [p["port"] for s in endpoints["subsets"] for p in s["ports"]] == [
            servers[1].port]
        assert os.path.exists(servers[1].kubeconfig)
    finally:
        for server in servers:
            server.stop()
        store.stop()


def test_events_an_earlier_version_stored_apart_are_moved(tmp_path):
    """kubelite used to keep events.k8s.io Events apart, in their own shape;
    a start over such data moves them to where both APIs see them."""
    store = StoreProcess("kubelite", str(tmp_path / "store")).start()
    proc = APIServerProcess(str(tmp_path / "cluster"), store=store)
    old_key = b"/registry/events.k8s.io/events/default/scheduled"
    event = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
             "metadata": {"name": "scheduled", "namespace": "default", "uid": "u-1",
                          "creationTimestamp": "2026-11-30T10:00:00Z"},
             "eventTime": "2026-11-30T10:00:00.000000Z", "reason": "Scheduled",
             "action": "Binding", "reportingController": "example.com/scheduler",
             "reportingInstance": "s-1", "type": "Normal", "note": "assigned",
             "regarding": {"kind": "Pod", "namespace": "default", "name": "web-0"}}
    try:
        with grpc.insecure_channel(store.endpoint) as channel:
            rpc_pb2_grpc.KVStub(channel).Put(rpc_pb2.PutRequest(
                key=old_key, value=json.dumps(event).encode()))
        proc.start()
        raw = Raw(proc)
        core = raw.request("GET", "/api/v1/namespaces/default/events/scheduled")
        assert core.status == 200, core.body
        assert core.json()["message"] == "assigned"
        assert core.json()["metadata"]["uid"] == "u-1"
        new = raw.request("GET", "/apis/events.k8s.io/v1/namespaces/default/events/scheduled")
        assert new.json()["note"] == "assigned"
        with grpc.insecure_channel(store.endpoint) as channel:
            left = rpc_pb2_grpc.KVStub(channel).Range(rpc_pb2.RangeRequest(key=old_key))
        assert left.count == 0
    finally:
        proc.stop()
        store.stop()


def test_a_claim_left_on_the_kubernetes_address_does_not_block_a_start(tmp_path):
    """A crash between deleting the `kubernetes` Service and releasing its
    address leaves the claim; the next start adopts it (it is the same
    service's) instead of refusing its own address."""
    store = StoreProcess("kubelite", str(tmp_path / "store")).start()
    proc = APIServerProcess(str(tmp_path / "cluster"), store=store)
    try:
        proc.start()
        first = Raw(proc).request("GET", "/api/v1/namespaces/default/services/kubernetes")
        terminate(proc.proc)
        with grpc.insecure_channel(store.endpoint) as channel:
            kv = rpc_pb2_grpc.KVStub(channel)
            kv.DeleteRange(rpc_pb2.DeleteRangeRequest(
                key=b"/registry/services/default/kubernetes"))
            claim = kv.Range(rpc_pb2.RangeRequest(
                key=b"/registry/kubelite/serviceips/10.96.0.1"))
        assert claim.count == 1  # left behind
        proc.start()
        again = Raw(proc).request("GET", "/api/v1/namespaces/default/services/kubernetes")
        assert again.status == 200
        assert again.json()["spec"]["clusterIP"] == "10.96.0.1"
        assert again.json()["metadata"]["uid"] != first.json()["metadata"]["uid"]
    finally:
        proc.stop()
        store.stop()
