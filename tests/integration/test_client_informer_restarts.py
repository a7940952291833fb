"""Informers against real API servers on both stores. Each test gives the
informer an API server of its own (on the module's store) to kill, while
writes go on through the module's server:

- killed with SIGKILL mid-stream and started again, the informer resumes
  from the last resourceVersion it saw: every change reaches its handlers
  exactly once, in resourceVersion order, the same as an uninterrupted
  watch saw them, and it never lists again;
- with the store compacted while it was away, it gets 410, lists again,
  hands the handlers what changed (a delete with the last state it knew)
  and ends with a cache equal to a fresh list.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest

from kubelite.client import errors
from kubelite.client.config import load_kubeconfig
from kubelite.client.informer import SharedInformer, SharedInformerFactory
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client
from kubelite.client.store import NAMESPACE_INDEX, object_key
from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.apiserverproc import APIServerProcess
from tests.waiting import eventually

CONFIGMAPS = resource_for("v1", "configmaps")
WAIT = 60.0  # seconds: the bound on every wait here


@pytest.fixture
def own_server(apiserver, tmp_path):
    """A second API server on the module's store, for the informer only."""
    server = APIServerProcess(str(tmp_path / "informer-apiserver"), store=apiserver.store)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def writer(apiserver):
    config = load_kubeconfig(apiserver.kubeconfig)
    config.qps = -1  # no client-side limit: the test writes as fast as it can
    client = Client(config, "writer")
    yield client
    await client.close()


def rv(obj: dict) -> int:
    return int(obj["metadata"]["resourceVersion"])


def record(informer: SharedInformer) -> list[tuple[str, str, int]]:
    """(event type, name, resourceVersion) for every handler call."""
    seen: list[tuple[str, str, int]] = []
    informer.add_event_handler(
        on_add=lambda o: seen.append(("ADDED", o["metadata"]["name"], rv(o))),
        on_update=lambda old, new: seen.append(("MODIFIED", new["metadata"]["name"], rv(new))),
        on_delete=lambda o: seen.append(("DELETED", o["metadata"]["name"], rv(o))))
    return seen


def cm(name: str, value: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"v": value}}


async def write_continuously(writer: Client, ns: str, stop: asyncio.Event) -> int:
    """Creates, updates and deletes until told to stop; the last revision."""
    last, i = 0, 0
    while not stop.is_set() and i < 2000:
        name = f"cm-{i % 7}"
        try:
            obj = await writer.create(CONFIGMAPS, cm(name, str(i)), ns)
        except errors.AlreadyExists:  # change it, or every third time delete it
            if i % 3 == 0:
                await writer.delete(CONFIGMAPS, name, ns)
                obj = None
            else:
                obj = await writer.patch(CONFIGMAPS, name, {"data": {"v": str(i)}}, ns)
        if obj is not None:
            last = max(last, rv(obj))
        i += 1
        await asyncio.sleep(0.01)
    return last


async def test_informer_resumes_after_its_api_server_is_killed(
        apiserver, own_server, writer: Client, ns: str) -> None:
    reader = Client(load_kubeconfig(own_server.kubeconfig), "reader")
    informer = SharedInformer(reader, CONFIGMAPS, ns, backoff_initial=0.1, backoff_cap=1.0)
    seen = record(informer)
    oracle: list[tuple[str, str, int]] = []
    stop = asyncio.Event()
    informer.start()
    try:
        assert await informer.wait_for_cache_sync(WAIT)
        start_rv = informer.last_resource_version

        async def watch_uninterrupted() -> None:
            async for event in writer.watch(CONFIGMAPS, ns, resource_version=start_rv,
                                            timeout_seconds=int(WAIT)):
                oracle.append((event.type, event.object["metadata"]["name"], rv(event.object)))

        truth = asyncio.create_task(watch_uninterrupted())
        writes = asyncio.create_task(write_continuously(writer, ns, stop))
        await eventually(lambda: len(seen) >= 20, "the informer to see changes")
        await asyncio.to_thread(own_server.kill)  # mid-stream: writes keep coming
        await eventually(lambda: len(oracle) >= len(seen) + 20, "changes while it is down")
        await asyncio.to_thread(own_server.start)
        changed_before = len(oracle)
        await eventually(lambda: len(seen) >= changed_before + 20, "changes after the restart")
        stop.set()
        last = await writes
        marker = await writer.create(CONFIGMAPS, cm("marker", "end"), ns)
        await eventually(lambda: bool(seen) and seen[-1][2] == rv(marker), "the marker")
        await eventually(lambda: bool(oracle) and oracle[-1][2] == rv(marker),
                         "the uninterrupted watch to see the marker")
        truth.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await truth
    finally:
        stop.set()
        await informer.stop()
        await reader.close()
    assert last < rv(marker)
    rvs = [r for _, _, r in seen]
    assert rvs == sorted(set(rvs)), "resourceVersions strictly increase: none repeated"
    assert seen == oracle, "every change seen once, as an uninterrupted watch saw it"
    assert informer.lists == 1 and informer.gone == 0, "resumed without listing again"
    assert informer.watches >= 2


def compact(store_endpoint: str) -> int:
    with grpc.insecure_channel(store_endpoint) as channel:
        kv = rpc_pb2_grpc.KVStub(channel)
        current = kv.Range(rpc_pb2.RangeRequest(key=b"/", count_only=True)).header.revision
        kv.Compact(rpc_pb2.CompactionRequest(revision=current, physical=True))
        return current


async def test_compaction_while_away_makes_the_informer_list_again(
        apiserver, own_server, writer: Client, ns: str) -> None:
    reader = Client(load_kubeconfig(own_server.kubeconfig), "reader")
    factory = SharedInformerFactory(reader, backoff_initial=0.1, backoff_cap=1.0)
    informer = factory.informer(CONFIGMAPS, ns)
    assert factory.informer(CONFIGMAPS, ns) is informer
    deleted: dict[str, int] = {}
    informer.add_event_handler(on_delete=lambda o: deleted.update({o["metadata"]["name"]: rv(o)}))
    factory.start()
    try:
        assert await factory.wait_for_cache_sync(WAIT)
        made = {n: await writer.create(CONFIGMAPS, cm(n, "1"), ns) for n in ("a", "b", "c")}
        await eventually(lambda: len(informer.store) == 3, "the informer to see a, b, c")
        await asyncio.to_thread(own_server.kill)
        await writer.delete(CONFIGMAPS, "a", ns)
        await writer.patch(CONFIGMAPS, "b", {"data": {"v": "2"}}, ns)
        await writer.create(CONFIGMAPS, cm("d", "1"), ns)
        await asyncio.to_thread(compact, apiserver.store.endpoint)
        await asyncio.to_thread(own_server.start)
        fresh = await writer.list(CONFIGMAPS, ns)
        want = {object_key(o): rv(o) for o in fresh["items"]}
        await eventually(
            lambda: {k: rv(o) for k, o in zip(informer.store.keys(), informer.store.list(),
                                              strict=True)} == want,
            "the informer's cache to equal a fresh list")
    finally:
        await factory.shutdown()
        await reader.close()
    assert informer.gone >= 1 and informer.lists >= 2
    # The delete reached the handler with the last state the cache knew of a.
    assert deleted == {"a": rv(made["a"])}
    assert sorted(informer.store.index_keys(NAMESPACE_INDEX, ns)) == \
        [f"{ns}/b", f"{ns}/c", f"{ns}/d"]
