"""The client library's REST client against `kubelite apiserver` on both
stores: every verb, the typed errors, subresources, paging, watches
(including a compacted resourceVersion raising Gone), custom resources,
and requests riding out an API server restart."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from kubelite.client import errors
from kubelite.client.config import ClientConfig, load_kubeconfig
from kubelite.client.resources import custom_resource, resource_for
from kubelite.client.rest import Client
from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc

CONFIGMAPS = resource_for("v1", "configmaps")
PODS = resource_for("v1", "pods")
NODES = resource_for("v1", "nodes")
CRDS = resource_for("apiextensions.k8s.io/v1", "customresourcedefinitions")


@pytest.fixture
async def client(apiserver):
    c = Client(load_kubeconfig(apiserver.kubeconfig), "test")
    yield c
    await c.close()


def cm(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": dict(data)}


def compact(apiserver) -> None:
    with grpc.insecure_channel(apiserver.store.endpoint) as channel:
        kv = rpc_pb2_grpc.KVStub(channel)
        current = kv.Range(rpc_pb2.RangeRequest(key=b"/", count_only=True)).header.revision
        kv.Compact(rpc_pb2.CompactionRequest(revision=current, physical=True))


async def test_crud_and_typed_errors(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, cm("a", k="1"), ns)
    assert made["metadata"]["namespace"] == ns and made["data"] == {"k": "1"}
    with pytest.raises(errors.AlreadyExists) as exists:
        await client.create(CONFIGMAPS, cm("a"), ns)
    assert exists.value.code == 409 and exists.value.details["name"] == "a"
    got = await client.get(CONFIGMAPS, "a", ns)
    assert got["metadata"]["uid"] == made["metadata"]["uid"]

    updated = await client.update(CONFIGMAPS, {**got, "data": {"k": "2"}})
    assert int(updated["metadata"]["resourceVersion"]) > int(got["metadata"]["resourceVersion"])
    with pytest.raises(errors.Conflict):
        await client.update(CONFIGMAPS, {**got, "data": {"k": "stale"}})  # the old version

    merged = await client.patch(CONFIGMAPS, "a", {"data": {"m": "x"}}, ns)
    assert merged["data"] == {"k": "2", "m": "x"}
    strategic = await client.patch(CONFIGMAPS, "a", {"metadata": {"labels": {"l": "v"}}}, ns,
                                   patch_type="strategic")
    assert strategic["metadata"]["labels"] == {"l": "v"}
    jsonpatch = await client.patch(CONFIGMAPS, "a", [{"op": "remove", "path": "/data/m"}], ns,
                                   patch_type="json")
    assert jsonpatch["data"] == {"k": "2"}

    with pytest.raises(errors.Invalid) as invalid:
        await client.create(CONFIGMAPS, cm("Bad_Name"), ns)
    assert invalid.value.causes[0]["field"] == "metadata.name"

    with pytest.raises(errors.Conflict, match="Precondition failed"):
        await client.delete(CONFIGMAPS, "a", ns, preconditions={"uid": "not-the-uid"})
    status = await client.delete(CONFIGMAPS, "a", ns, preconditions={
        "uid": made["metadata"]["uid"]}, propagation_policy="Background")
    assert status["status"] == "Success"
    with pytest.raises(errors.NotFound):
        await client.get(CONFIGMAPS, "a", ns)
    with pytest.raises(errors.NotFound):
        await client.delete(CONFIGMAPS, "a", ns)
    with pytest.raises(ValueError, match="namespace"):
        await client.get(CONFIGMAPS, "a")


async def test_list_selectors_and_pages(client: Client, ns: str) -> None:
    for i in range(5):
        body = cm(f"c{i}")
        body["metadata"]["labels"] = {"parity": "even" if i % 2 == 0 else "odd"}
        await client.create(CONFIGMAPS, body, ns)
    evens = await client.list(CONFIGMAPS, ns, label_selector="parity=even")
    assert sorted(o["metadata"]["name"] for o in evens["items"]) == ["c0", "c2", "c4"]
    one = await client.list(CONFIGMAPS, ns, field_selector="metadata.name=c3")
    assert [o["metadata"]["name"] for o in one["items"]] == ["c3"]
    names, token, pages = [], None, 0
    while pages < 10:
        page = await client.list(CONFIGMAPS, ns, limit=2, continue_=token)
        pages += 1
        names += [o["metadata"]["name"] for o in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
    assert names == [f"c{i}" for i in range(5)] and pages == 3


async def test_pod_binding_status_and_eviction(client: Client, ns: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    made = await client.create(PODS, pod, ns)
    await client.post_subresource(PODS, "p", "binding", {
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p", "namespace": ns},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}})
    bound = await client.get(PODS, "p", ns)
    assert bound["spec"]["nodeName"] == "node-1"
    with pytest.raises(errors.Conflict):  # already bound
        await client.post_subresource(PODS, "p", "binding", {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p", "namespace": ns},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "node-2"}})
    status = {**bound, "status": {**bound["status"], "phase": "Running"}}
    running = await client.update_status(PODS, status)
    assert running["status"]["phase"] == "Running"
    assert running["metadata"]["uid"] == made["metadata"]["uid"]
    await client.post_subresource(PODS, "p", "eviction", {
        "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p", "namespace": ns},
        "deleteOptions": {"gracePeriodSeconds": 0}})
    evicted = await client.get(PODS, "p", ns)  # a bound pod terminates gracefully
    assert evicted["metadata"]["deletionTimestamp"]
    await client.delete(PODS, "p", ns, grace_period_seconds=0)
    with pytest.raises(errors.NotFound):
        await client.get(PODS, "p", ns)


async def test_binding_a_pod_recreated_under_its_name(client: Client, ns: str) -> None:
    # The binding tries the watch cache's copy first; a stale one (the old,
    # bound pod) must not refuse the new pod.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "again"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    await client.list(PODS, ns)  # the pods' watch cache is running

    def binding(node: str) -> dict:
        return {"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": "again", "namespace": ns},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}}

    for node in ("node-1", "node-2"):
        await client.create(PODS, pod, ns)
        await client.post_subresource(PODS, "again", "binding", binding(node), ns)
        assert (await client.get(PODS, "again", ns))["spec"]["nodeName"] == node
        await client.delete(PODS, "again", ns, grace_period_seconds=0)


async def test_cluster_scoped_and_custom_resources(client: Client, ns: str) -> None:
    node = await client.create(NODES, {"apiVersion": "v1", "kind": "Node",
                                       "metadata": {"name": f"node-{ns}"}})
    assert "namespace" not in node["metadata"]
    await client.delete(NODES, f"node-{ns}")
    group = f"{ns}.example.com"
    await client.create(CRDS, {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                         "type": "object", "properties": {"size": {"type": "integer"}}}}}}}]}})
    try:
        widgets = custom_resource(group, "v1", "Widget", "widgets")
        made = await client.create(widgets, {"apiVersion": f"{group}/v1", "kind": "Widget",
                                             "metadata": {"name": "w"}, "spec": {"size": 3}}, ns)
        assert made["spec"] == {"size": 3}
        patched = await client.patch(widgets, "w", {"spec": {"size": 4}}, ns)
        assert patched["spec"]["size"] == 4
        with pytest.raises(errors.ApiError) as refused:  # no strategic merge for CRs
            await client.patch(widgets, "w", {"spec": {"size": 5}}, ns, patch_type="strategic")
        assert refused.value.code == 415
    finally:
        await client.delete(CRDS, f"widgets.{group}")


async def test_watch_sees_every_change_and_ends_at_its_timeout(client: Client, ns: str) -> None:
    first = await client.create(CONFIGMAPS, cm("w"), ns)
    rv = first["metadata"]["resourceVersion"]
    await client.patch(CONFIGMAPS, "w", {"data": {"k": "v"}}, ns)
    await client.delete(CONFIGMAPS, "w", ns)
    seen = []
    async with client.watch(CONFIGMAPS, ns, resource_version=rv, timeout_seconds=2) as watch:
        async for event in watch:
            seen.append((event.type, event.object["metadata"]["name"]))
            assert len(seen) < 100
    assert seen == [("MODIFIED", "w"), ("DELETED", "w")]


async def test_watch_list_initial_events_end_with_a_bookmark(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, cm("x"), ns)
    kinds = []
    watch = client.watch(CONFIGMAPS, ns, send_initial_events=True,
                         resource_version_match="NotOlderThan", timeout_seconds=10)
    async for event in watch:
        kinds.append(event.type)
        if event.type == "BOOKMARK":
            annotations = event.object["metadata"].get("annotations") or {}
            assert annotations.get("k8s.io/initial-events-end") == "true"
            break
        assert len(kinds) < 100
    await watch.close()
    assert kinds == ["ADDED", "BOOKMARK"]


async def test_watch_from_a_compacted_resource_version_raises_gone(
        apiserver, client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, cm("old"), ns)
    for i in range(3):
        await client.patch(CONFIGMAPS, "old", {"data": {"i": str(i)}}, ns)
    await asyncio.to_thread(compact, apiserver)
    # Revision 1 is older than anything the API server's watch cache holds:
    # the store is asked, and it has compacted it away.
    with pytest.raises(errors.Gone, match="too old resource version: 1 "):
        async for _ in client.watch(CONFIGMAPS, ns, resource_version="1", timeout_seconds=10):
            pass


async def test_bad_credentials_are_unauthorized(apiserver) -> None:
    bad = Client(ClientConfig(server=apiserver.url, ca_file=apiserver.ca_file, token="nope"))
    try:
        with pytest.raises(errors.Unauthorized):
            await bad.list(CONFIGMAPS, "default")
    finally:
        await bad.close()


async def test_requests_ride_out_an_api_server_restart(apiserver, client: Client,
                                                       ns: str) -> None:
    await client.create(CONFIGMAPS, cm("before"), ns)
    # Killed from another thread, as a crash would happen: the event loop
    # sees the kept-alive connection close, so no write is sent on it
    # (a write whose connection drops after sending is not retried).
    await asyncio.to_thread(apiserver.kill)
    restart = asyncio.create_task(asyncio.to_thread(apiserver.start))
    try:
        # Refused connections are retried for every verb: the request never
        # reached a server. Bounded by the client's retry policy (30 s).
        made = await client.create(CONFIGMAPS, cm("during"), ns)
        got = await client.get(CONFIGMAPS, "before", ns)
    finally:
        await restart
    assert made["metadata"]["name"] == "during" and got["metadata"]["name"] == "before"
