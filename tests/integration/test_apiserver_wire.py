"""Wire details third-party clients depend on (issue 6), checked on the raw
bytes: objects carry `status` as kube-apiserver serializes it, discovery
answers with a trailing slash too, every 404 Status has details, Status
bodies have kube-apiserver's field order and a trailing newline, watches
send their headers at once, WatchList's initial-events-end bookmark, the
watch options Kubernetes refuses, timeoutSeconds, and a compacted
resourceVersion reported as an ERROR event. Runs with the API server on
kubelite's store and on a real etcd 3.4.
"""

from __future__ import annotations

import json
import time
import uuid

import grpc
import kubernetes.client.models as models
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.rawhttp import Raw

POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "x"}}

# kind -> (collection path under the namespace ("" for cluster-scoped), a
# minimal body, the status a new object is served with, as kube-apiserver
# serializes it).
KINDS = {
    "Pod": ("/api/v1/namespaces/{ns}/pods", {"spec": POD_SPEC},
            {"phase": "Pending", "qosClass": "BestEffort"}),
    "Service": ("/api/v1/namespaces/{ns}/services",
                {"spec": {"ports": [{"port": 80}]}}, {"loadBalancer": {}}),
    "Deployment": ("/apis/apps/v1/namespaces/{ns}/deployments",
                   {"spec": {"selector": SELECTOR, "template": TEMPLATE}}, {}),
    "ReplicaSet": ("/apis/apps/v1/namespaces/{ns}/replicasets",
                   {"spec": {"selector": SELECTOR, "template": TEMPLATE}}, {"replicas": 0}),
    "StatefulSet": ("/apis/apps/v1/namespaces/{ns}/statefulsets",
                    {"spec": {"selector": SELECTOR, "template": TEMPLATE,
                              "serviceName": "x"}},
                    {"replicas": 0, "availableReplicas": 0}),
    "DaemonSet": ("/apis/apps/v1/namespaces/{ns}/daemonsets",
                  {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
                  {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                   "desiredNumberScheduled": 0, "numberReady": 0}),
    "Job": ("/apis/batch/v1/namespaces/{ns}/jobs",
            {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}}, {}),
    "CronJob": ("/apis/batch/v1/namespaces/{ns}/cronjobs",
                {"spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {
                    "spec": {**POD_SPEC, "restartPolicy": "Never"}}}}}}, {}),
    "Ingress": ("/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
                {"spec": {"defaultBackend": {"service": {"name": "x",
                                                         "port": {"number": 80}}}}},
                {"loadBalancer": {}}),
    "Namespace": ("/api/v1/namespaces", {}, {"phase": "Active"}),
    "Node": ("/api/v1/nodes", {}, {
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": {key: "" for key in (
            "machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
            "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion",
            "operatingSystem", "architecture")},
    }),
    "ConfigMap": ("/api/v1/namespaces/{ns}/configmaps", {"data": {"a": "b"}}, None),
}
API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1",
                "DaemonSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1",
                "Ingress": "networking.k8s.io/v1"}


@pytest.fixture(scope="module")
def ns(raw) -> str:
    name = f"wire-{uuid.uuid4().hex[:6]}"
    reply = raw.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert reply.status == 201, reply.body
    return name


def _has_status(kind: str) -> bool:
    """Whether the official Python client's model of the kind has a status
    (the Go type has a status struct)."""
    model = getattr(models, f"V1{kind}")
    return "status" in model.attribute_map


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_objects_carry_status_as_kube_apiserver_serializes_it(raw, ns, kind):
    path, body, status = KINDS[kind]
    path = path.format(ns=ns)
    name = f"{kind.lower()}-{uuid.uuid4().hex[:6]}"
    obj = {"apiVersion": API_VERSIONS.get(kind, "v1"), "kind": kind,
           "metadata": {"name": name}, **body}
    assert (status is not None) == _has_status(kind)
    created = raw.request("POST", path, obj)
    assert created.status == 201, created.body
    got = raw.request("GET", f"{path}/{name}")
    listed = raw.request("GET", f"{path}?fieldSelector=metadata.name={name}")
    for served in (created.json(), got.json(), listed.json()["items"][0]):
        assert served.get("status") == status, (kind, served)
    with raw.watch(f"{path}?watch=true&fieldSelector=metadata.name={name}&timeoutSeconds=5") \
            as stream:
        event = stream.next()
    assert event["type"] == "ADDED" and event["object"].get("status") == status


@pytest.mark.parametrize("path", ["/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1"])
def test_discovery_answers_with_a_trailing_slash_too(raw, path):
    plain, slashed = raw.request("GET", path), raw.request("GET", path + "/")
    assert plain.status == slashed.status == 200
    assert plain.json() == slashed.json()


@pytest.mark.parametrize("path, details", [
    ("/nothing/here", {}),
    ("/api/v1/widgets", {}),
    ("/apis/apps/v1/namespaces/default/widgets/x", {}),
    ("/api/v1/namespaces/default/pods/missing", {"name": "missing", "kind": "pods"}),
    ("/apis/apps/v1/namespaces/default/deployments/missing",
     {"name": "missing", "group": "apps", "kind": "deployments"}),
    ("/api/v1/namespaces/default/configmaps/x/nosuchsub", {}),
    ("/api/v1/namespaces/missing", {"name": "missing", "kind": "namespaces"}),
])
def test_every_404_carries_details(raw, path, details):
    reply = raw.request("GET", path)
    assert reply.status == 404
    assert reply.json()["details"] == details


def test_status_bodies_have_kube_apiserver_byte_layout(raw, ns):
    reply = raw.request("GET", f"/api/v1/namespaces/{ns}/pods/nope")
    assert reply.body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"pods \\"nope\\" not found","reason":"NotFound",'
        b'"details":{"name":"nope","kind":"pods"},"code":404}\n')
    reply = raw.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
        "spec": {"selector": SELECTOR, "template": {"metadata": {"labels": {"app": "y"}},
                                                    "spec": POD_SPEC}}})
    assert reply.status == 422
    text = reply.body.decode()
    assert text.endswith("}\n") and text.count("\n") == 1
    keys = list(json.loads(text))
    assert keys == ["kind", "apiVersion", "metadata", "status", "message", "reason", "details",
                    "code"]
    details = json.loads(text)["details"]
    assert list(details) == ["name", "group", "kind", "causes"]
    assert all(list(c) == ["reason", "message", "field"] for c in details["causes"])
    # Objects end with a newline too, as kube-apiserver's encoder writes them.
    assert raw.request("GET", f"/api/v1/namespaces/{ns}").body.endswith(b"}\n")


def _watch_header_seconds(raw: Raw, path: str) -> float:
    conn = raw.connect()
    try:
        conn.request("GET", "/version", headers=raw.auth())  # TLS done, connection warm
        conn.getresponse().read()
        started = time.monotonic()
        conn.request("GET", path, headers=raw.auth())
        response = conn.getresponse()
        took = time.monotonic() - started
        assert response.status == 200
        return took
    finally:
        conn.close()


def test_watch_from_now_sends_its_headers_at_once(raw, ns):
    rv = raw.request("GET", f"/api/v1/namespaces/{ns}/configmaps").json()["metadata"][
        "resourceVersion"]
    path = f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}"
    best = min(_watch_header_seconds(raw, path) for _ in range(5))
    # The bound: an idle watch used to hold its headers for 0.5 s.
    assert best < 0.05, best


def test_send_initial_events_ends_with_the_annotated_bookmark(raw):
    ns = f"wl-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}}).status == 201
    for i in range(3):
        made = raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                           {"metadata": {"name": f"cm-{i}"}})
        assert made.status == 201
    path = (f"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true"
            "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=10")
    with raw.watch(path) as stream:
        assert stream.status == 200
        initial = [stream.next() for _ in range(3)]
        assert [e["type"] for e in initial] == ["ADDED"] * 3
        assert sorted(e["object"]["metadata"]["name"] for e in initial) == [
            "cm-0", "cm-1", "cm-2"]
        mark = stream.next()
        assert mark["type"] == "BOOKMARK"
        assert mark["object"]["kind"] == "ConfigMap"
        assert mark["object"]["metadata"]["annotations"] == {
            "k8s.io/initial-events-end": "true"}
        newest = max(int(e["object"]["metadata"]["resourceVersion"]) for e in initial)
        assert int(mark["object"]["metadata"]["resourceVersion"]) >= newest
        made = raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                           {"metadata": {"name": "later"}})
        assert made.status == 201
        live = stream.next()
        assert live["type"] == "ADDED" and live["object"]["metadata"]["name"] == "later"


@pytest.mark.parametrize("query, message", [
    ("sendInitialEvents=true",
     "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
     "resourceVersionMatch to NotOlderThan"),
    ("resourceVersionMatch=NotOlderThan",
     "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless "
     "sendInitialEvents is provided"),
    ("sendInitialEvents=true&resourceVersionMatch=Exact",
     "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
     "resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "
     '"Exact": supported values: "NotOlderThan"'),
])
def test_watch_options_kubernetes_refuses(raw, query, message):
    reply = raw.request("GET", f"/api/v1/configmaps?watch=true&{query}")
    assert reply.status == 422, reply.body
    body = reply.json()
    assert body["reason"] == "Invalid"
    assert body["message"] == f'ListOptions.meta.k8s.io "" is invalid: {message}'
    assert body["details"]["group"] == "meta.k8s.io" and body["details"]["kind"] == "ListOptions"


def test_watch_ends_after_timeout_seconds(raw, ns):
    with raw.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=true&timeoutSeconds=1",
                   timeout=20) as stream:
        assert stream.status == 200
        events = []
        while (event := stream.next()) is not None:  # ends: the server closes the stream
            events.append(event)
            assert len(events) < 1000
    assert all(e["type"] == "ADDED" for e in events)


def test_watch_from_a_compacted_revision(apiserver, raw, ns):
    first = raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                        {"metadata": {"name": "old"}}).json()
    old_rv = first["metadata"]["resourceVersion"]
    for i in range(3):
        raw.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/old",
                    {**first, "data": {"i": str(i)}, "metadata": {"name": "old"}})
    with grpc.insecure_channel(apiserver.store.endpoint) as channel:
        kv = rpc_pb2_grpc.KVStub(channel)
        current = kv.Range(rpc_pb2.RangeRequest(key=b"/", count_only=True)).header.revision
        kv.Compact(rpc_pb2.CompactionRequest(revision=current, physical=True))
    # The watch cache still holds those changes: a watch from there is served
    # (as kube-apiserver's cacher serves its window) ...
    with raw.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={old_rv}"
                   ) as stream:
        assert stream.status == 200
        replayed = [stream.next() for _ in range(3)]
    assert [e["object"]["data"] for e in replayed] == [{"i": "0"}, {"i": "1"}, {"i": "2"}]
    # ... while one from before the cache's window goes to the store, which
    # has compacted it away.
    with raw.watch(f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion=1"
                   ) as stream:
        assert stream.status == 200
        event = stream.next()
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"
    assert event["object"]["message"].startswith("too old resource version: 1 (")


def test_removing_the_last_finalizer_deletes_without_storing_the_emptied_object(raw, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    made = raw.request("POST", path, {"metadata": {"name": "held",
                                                   "finalizers": ["example.com/hold"]}})
    assert made.status == 201
    rv = made.json()["metadata"]["resourceVersion"]
    with raw.watch(f"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=10") as stream:
        assert raw.request("DELETE", f"{path}/held").status == 200
        patched = raw.request("PATCH", f"{path}/held", b'{"metadata":{"finalizers":null}}',
                              content_type="application/merge-patch+json")
        assert patched.status == 200, patched.body
        events = [stream.next(), stream.next()]
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    assert events[0]["object"]["metadata"]["finalizers"] == ["example.com/hold"]
    assert events[0]["object"]["metadata"]["deletionTimestamp"]
    assert raw.request("GET", f"{path}/held").status == 404


def test_a_json_patch_removing_the_resource_version_is_unconditional(raw, ns):
    path = f"/api/v1/namespaces/{ns}/configmaps"
    assert raw.request("POST", path, {"metadata": {"name": "free"}}).status == 201
    raw.request("PATCH", f"{path}/free", b'{"data":{"a":"1"}}',
                content_type="application/merge-patch+json")
    patched = raw.request("PATCH", f"{path}/free", json.dumps([
        {"op": "remove", "path": "/metadata/resourceVersion"},
        {"op": "add", "path": "/data/b", "value": "2"}]).encode(),
        content_type="application/json-patch+json")
    assert patched.status == 200, patched.body
    assert patched.json()["data"] == {"a": "1", "b": "2"}
    stale = raw.request("PATCH", f"{path}/free", json.dumps([
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "1"}]).encode(),
        content_type="application/json-patch+json")
    assert stale.status == 409


def test_initial_events_from_a_revision_the_store_has_not_reached(raw, ns):
    path = (f"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true"
            "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
            "&resourceVersion=999999999")
    with raw.watch(path) as stream:
        event = stream.next()
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (504, "Timeout")
    assert event["object"]["message"].startswith(
        "Timeout: Too large resource version: 999999999, current: ")
    listed = raw.request("GET", f"/api/v1/namespaces/{ns}/configmaps?resourceVersion=999999999")
    assert listed.status == 504
