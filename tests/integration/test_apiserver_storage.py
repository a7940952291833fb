"""The API server's object storage (kubelite.apiserver.storage) against a
real store process: kubelite's own and a real etcd 3.4, the same tests on
each. One store per module; each test keeps to its own keys."""

from __future__ import annotations

import asyncio
import base64
import gc
import urllib.request
from contextlib import aclosing

import grpc
import orjson
import pytest

from kubelite.apiserver.errors import StatusError
from kubelite.apiserver.storage import (
    CONTINUE_EXPIRED,
    LIST_EXPIRED,
    ContinueExpired,
    Storage,
    WatchEvent,
)
from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.storeproc import StoreProcess, free_port


@pytest.fixture(scope="module", params=["kubelite", "etcd"])
def store(request, tmp_path_factory):
    data = tmp_path_factory.mktemp(request.param) / "data"
    proc = StoreProcess(
        request.param, str(data),
        extra=["--experimental-watch-progress-notify-interval", "200ms"],
    )
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
async def storage(store):
    s = await Storage.connect([store.url])
    yield s
    await s.close()


def pod(name: str, ns: str = "default", **labels: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }


def rv(obj: dict) -> int:
    return int(obj["metadata"]["resourceVersion"])


async def raises(code: int, reason: str, awaitable) -> StatusError:
    with pytest.raises(StatusError) as caught:
        await awaitable
    assert (caught.value.code, caught.value.reason) == (code, reason), caught.value.message
    return caught.value


async def next_events(watch, n: int, timeout: float = 5) -> list[WatchEvent]:
    async def take():
        out = []
        async for event in watch:
            if event.type != "BOOKMARK":
                out.append(event)
                if len(out) == n:
                    return out
        return out

    return await asyncio.wait_for(take(), timeout)


# -- create, get, update, delete ----------------------------------------------------


async def test_crud_with_conflicts_and_not_found(storage, store):
    key = "/registry/pods/crud/a"
    created = await storage.create(key, {**pod("a", "crud"), "metadata": {
        **pod("a", "crud")["metadata"], "resourceVersion": "12345"}})
    assert rv(created) == await storage.current_revision()
    assert await storage.get(key) == created
    assert await storage.get("/registry/pods/crud/missing") is None

    # Stored as compact JSON without the resourceVersion.
    with grpc.insecure_channel(store.endpoint) as channel:
        raw = rpc_pb2_grpc.KVStub(channel).Range(rpc_pb2.RangeRequest(key=key.encode()))
    assert raw.kvs[0].value == orjson.dumps(pod("a", "crud"))
    assert raw.kvs[0].mod_revision == rv(created)

    err = await raises(409, "AlreadyExists", storage.create(key, pod("a", "crud")))
    assert err.message == 'pods "a" already exists'

    changed = pod("a", "crud", tier="web")
    updated = await storage.update(key, changed, rv(created))
    assert rv(updated) > rv(created)
    assert updated["metadata"]["labels"] == {"tier": "web"}
    err = await raises(409, "Conflict", storage.update(key, pod("a", "crud"), rv(created)))
    assert err.message == (
        'Operation cannot be fulfilled on pods "a": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    # The same content again is no write: the revision stays.
    assert rv(await storage.update(key, changed, rv(updated))) == rv(updated)
    later = await storage.update(key, pod("a", "crud", tier="db"), rv(updated))
    assert rv(later) > rv(updated)

    err = await raises(404, "NotFound", storage.update(
        "/registry/deployments/crud/nope", {"metadata": {}}, rv(updated),
        resource="deployments", group="apps",
    ))
    assert err.message == 'deployments.apps "nope" not found'
    assert err.details == {"name": "nope", "kind": "deployments", "group": "apps"}
    err = await raises(404, "NotFound", storage.delete(
        "/registry/allocations/10.96.0.1", resource="clusterips", name="10.96.0.1"))
    assert err.message == 'clusterips "10.96.0.1" not found'

    err = await raises(409, "Conflict", storage.delete(key, rv(updated)))
    assert f"({rv(updated)}) does not match the ResourceVersion in record " \
           f"({rv(later)})" in err.message
    deleted = await storage.delete(key, rv(later))
    assert deleted["metadata"]["labels"] == {"tier": "db"}
    assert rv(deleted) == await storage.current_revision() > rv(later)
    assert await storage.get(key) is None
    await raises(404, "NotFound", storage.delete(key))
    await raises(404, "NotFound", storage.delete(key, rv(later)))

    await storage.create(key, pod("a", "crud"))
    assert (await storage.delete(key))["metadata"]["name"] == "a"


async def test_large_objects_and_request_too_large(storage):
    key = "/registry/configmaps/large/one"
    large = {"metadata": {"name": "one"}, "data": {"a": "x" * 1024 * 1024}}
    created = await storage.create(key, large)
    assert rv(await storage.update(key, large, rv(created))) == rv(created)
    large["data"]["b"] = "y"
    assert rv(await storage.update(key, large, rv(created))) > rv(created)
    await raises(409, "Conflict", storage.update(key, large, rv(created)))

    big = {"metadata": {"name": "big"}, "data": {"a": "x" * (2 * 1024 * 1024)}}
    err = await raises(413, "RequestEntityTooLarge",
                       storage.create("/registry/configmaps/large/big", big))
    assert err.message == "etcdserver: request is too large"
    assert await storage.get("/registry/configmaps/large/big") is None


async def test_connect_fails_over_and_reports_unreachable(store):
    dead = f"127.0.0.1:{free_port()}"
    s = await Storage.connect([dead, store.url], timeout=1)
    try:
        await s.create("/registry/pods/failover/a", pod("a", "failover"))
        assert (await s.get("/registry/pods/failover/a"))["metadata"]["name"] == "a"
    finally:
        await s.close()
    with pytest.raises(ConnectionError, match=dead):
        await Storage.connect([dead], timeout=0.5)


# -- lists --------------------------------------------------------------------------


async def test_paginated_list_is_one_snapshot_while_writes_happen(storage):
    prefix = "/registry/pods/paged"
    originals = {}
    for i in range(10):
        obj = await storage.create(f"{prefix}/p{i:02d}", pod(f"p{i:02d}", "paged"))
        originals[obj["metadata"]["name"]] = obj
    await storage.create("/registry/pods/pagedx/other", pod("other", "pagedx"))  # not listed

    first = await storage.list(prefix, limit=4)
    assert [o["metadata"]["name"] for o in first.items] == ["p00", "p01", "p02", "p03"]
    assert first.remaining == 6
    token = orjson.loads(base64.urlsafe_b64decode(first.continue_token + "=="))
    assert token == {"v": "meta.k8s.io/v1", "rv": first.revision, "start": "p03\u0000"}

    # Writes between pages do not show up in the later pages.
    await storage.create(f"{prefix}/p05a", pod("p05a", "paged"))
    await storage.delete(f"{prefix}/p07")
    p08 = originals["p08"]
    await storage.update(f"{prefix}/p08", pod("p08", "paged", changed="yes"), rv(p08))

    seen = list(first.items)
    result = first
    while result.continue_token:
        result = await storage.list(prefix, limit=4, continue_token=result.continue_token)
        assert result.revision == first.revision
        seen.extend(result.items)
    assert result.remaining is None
    assert {o["metadata"]["name"]: o for o in seen} == originals

    everything = await storage.list(prefix + "/")
    assert everything.continue_token is None and everything.remaining is None
    names = [o["metadata"]["name"] for o in everything.items]
    assert names == ["p00", "p01", "p02", "p03", "p04", "p05", "p05a", "p06", "p08", "p09"]
    assert everything.revision == await storage.current_revision()


async def test_continue_token_after_compaction_is_410(storage):
    prefix = "/registry/configmaps/compacted"
    for i in range(5):
        await storage.create(f"{prefix}/c{i}", {"metadata": {"name": f"c{i}"}})
    first = await storage.list(prefix, limit=2)
    await storage.create(f"{prefix}/c9", {"metadata": {"name": "c9"}})
    await storage.compact(await storage.current_revision())

    with pytest.raises(ContinueExpired) as caught:
        await storage.list(prefix, limit=2, continue_token=first.continue_token)
    err = caught.value
    assert (err.code, err.reason, err.message) == (410, "Expired", CONTINUE_EXPIRED)
    assert err.status["metadata"]["continue"] == err.continue_token
    # The fresh token goes on from the same key, at the latest revision.
    rest = await storage.list(prefix, continue_token=err.continue_token)
    assert [o["metadata"]["name"] for o in rest.items] == ["c2", "c3", "c4", "c9"]
    assert rest.revision == await storage.current_revision()


async def test_bad_continue_tokens_are_400(storage):
    def encode(token: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(token)).decode().rstrip("=")

    bad = [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        encode({"v": "v2", "rv": 5, "start": "a"}),
        encode({"v": "meta.k8s.io/v1", "rv": 0, "start": "a"}),
        encode({"v": "meta.k8s.io/v1", "rv": 5, "start": ""}),
    ]
    for token in bad:
        err = await raises(400, "BadRequest",
                           storage.list("/registry/pods/x", limit=1, continue_token=token))
        assert err.message.startswith("invalid continue token"), err.message
    good = encode({"v": "meta.k8s.io/v1", "rv": 5, "start": "a"})
    err = await raises(400, "BadRequest",
                       storage.list("/registry/pods/x", continue_token=good, revision=5))
    assert err.message == "specifying resource version is not allowed when using continue"


async def test_list_at_an_exact_revision(storage):
    prefix = "/registry/pods/exact"
    a = await storage.create(f"{prefix}/a", pod("a", "exact"))
    await storage.create(f"{prefix}/b", pod("b", "exact"))
    then = await storage.current_revision()
    await storage.update(f"{prefix}/a", pod("a", "exact", v="2"), rv(a))
    await storage.delete(f"{prefix}/b")
    await storage.create(f"{prefix}/c", pod("c", "exact"))

    old = await storage.list(prefix, revision=then)
    assert old.revision == then
    assert [(o["metadata"]["name"], o["metadata"]["labels"]) for o in old.items] == [
        ("a", {}), ("b", {})
    ]
    assert rv(old.items[0]) == rv(a)
    paged = await storage.list(prefix, revision=then, limit=1)
    assert [o["metadata"]["name"] for o in paged.items] == ["a"] and paged.remaining == 1
    rest = await storage.list(prefix, limit=1, continue_token=paged.continue_token)
    assert [o["metadata"]["name"] for o in rest.items] == ["b"] and rest.revision == then

    current = await storage.current_revision()
    err = await raises(504, "Timeout", storage.list(prefix, revision=current + 100))
    assert err.message == f"Timeout: Too large resource version: {current + 100}, " \
                          f"current: {current}"
    assert err.details["retryAfterSeconds"] == 1
    assert err.details["causes"][0]["reason"] == "ResourceVersionTooLarge"

    await storage.compact(current)
    err = await raises(410, "Expired", storage.list(prefix, revision=then))
    assert err.message == LIST_EXPIRED


async def test_predicate_fills_pages_across_reads(storage):
    prefix = "/registry/pods/filtered"
    for i in range(30):
        labels = {"pick": "yes"} if i % 5 == 0 else {}
        await storage.create(f"{prefix}/p{i:02d}", pod(f"p{i:02d}", "filtered", **labels))

    def picked(obj: dict) -> bool:
        return obj["metadata"]["labels"].get("pick") == "yes"

    first = await storage.list(prefix, limit=4, predicate=picked)
    assert [o["metadata"]["name"] for o in first.items] == ["p00", "p05", "p10", "p15"]
    assert first.continue_token is not None and first.remaining is None
    rest = await storage.list(prefix, limit=4, predicate=picked,
                              continue_token=first.continue_token)
    assert [o["metadata"]["name"] for o in rest.items] == ["p20", "p25"]
    assert rest.continue_token is None and rest.revision == first.revision

    everything = await storage.list(prefix, predicate=picked)
    assert len(everything.items) == 6 and everything.continue_token is None
    none = await storage.list(prefix, limit=3, predicate=lambda o: False)
    assert none.items == [] and none.continue_token is None


# -- watch ----------------------------------------------------------------------------


async def test_watch_from_a_revision_replays_exactly_the_missed_events(storage):
    prefix = "/registry/pods/watched"
    start = await storage.current_revision()
    a = await storage.create(f"{prefix}/a", pod("a", "watched"))
    a2 = await storage.update(f"{prefix}/a", pod("a", "watched", v="2"), rv(a))
    b = await storage.create(f"{prefix}/b", pod("b", "watched"))
    gone = await storage.delete(f"{prefix}/a")
    await storage.create("/registry/pods/watchedx/x", pod("x", "watchedx"))  # outside

    async with aclosing(storage.watch(prefix, start)) as watch:
        events = await next_events(watch, 4)
        assert [(e.type, e.object["metadata"]["name"], e.revision) for e in events] == [
            ("ADDED", "a", rv(a)), ("MODIFIED", "a", rv(a2)),
            ("ADDED", "b", rv(b)), ("DELETED", "a", rv(gone)),
        ]
        assert [e.object for e in events] == [a, a2, b, gone]
        assert events[1].previous == a and events[0].previous is None
        assert events[3].previous == a2

        # Then live events follow.
        b2 = await storage.update(f"{prefix}/b", pod("b", "watched", v="2"), rv(b))
        (live,) = await next_events(watch, 1)
        assert (live.type, live.object) == ("MODIFIED", b2)

    # From the middle: only what came after that revision.
    async with aclosing(storage.watch(prefix, rv(a2))) as watch:
        events = await next_events(watch, 3)
        assert [(e.type, e.revision) for e in events] == [
            ("ADDED", rv(b)), ("DELETED", rv(gone)), ("MODIFIED", rv(b2))
        ]


async def test_watch_from_now_and_of_one_key(storage):
    prefix = "/registry/pods/keyed"
    await storage.create(f"{prefix}/before", pod("before", "keyed"))
    async with aclosing(storage.watch(prefix, 0)) as everything, \
            aclosing(storage.watch(prefix, 0, key=f"{prefix}/one")) as one:
        first = asyncio.ensure_future(next_events(everything, 2))
        only = asyncio.ensure_future(next_events(one, 1))
        await asyncio.sleep(0.3)  # let both watches start before writing
        await storage.create(f"{prefix}/two", pod("two", "keyed"))
        created = await storage.create(f"{prefix}/one", pod("one", "keyed"))
        assert [e.object["metadata"]["name"] for e in await first] == ["two", "one"]
        assert [e.object for e in await only] == [created]


async def test_watch_from_a_compacted_revision_is_410(storage):
    prefix = "/registry/pods/old"
    start = await storage.current_revision()
    for i in range(3):
        await storage.create(f"{prefix}/p{i}", pod(f"p{i}", "old"))
    current = await storage.current_revision()
    await storage.compact(current)
    async with aclosing(storage.watch(prefix, start)) as watch:
        with pytest.raises(StatusError) as caught:
            await asyncio.wait_for(watch.__anext__(), 5)
    assert (caught.value.code, caught.value.reason) == (410, "Expired")
    assert caught.value.message == f"too old resource version: {start} ({current})"
    assert storage.watch_count == 0
    # The newest compacted revision itself is still watchable from.
    async with aclosing(storage.watch(prefix, current)) as watch:
        await storage.delete(f"{prefix}/p0")
        (event,) = await next_events(watch, 1)
        assert event.type == "DELETED"


async def test_progress_notifications_come_as_bookmarks(storage):
    prefix = "/registry/pods/progress"
    await storage.create(f"{prefix}/a", pod("a", "progress"))
    current = await storage.current_revision()
    async with aclosing(storage.watch(prefix, current, progress_notify=True)) as watch:
        event = await asyncio.wait_for(watch.__anext__(), 5)
    assert event.type == "BOOKMARK"
    assert event.revision >= current
    assert event.object == {"metadata": {"resourceVersion": str(event.revision)}}


def etcd_watchers(store: StoreProcess) -> int | None:
    """Watchers the store holds, from etcd's metrics; None if it has none."""
    if store.kind != "etcd":
        return None
    with urllib.request.urlopen(f"{store.url}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("etcd_debugging_mvcc_watcher_total "):
                return int(float(line.split()[1]))
    raise AssertionError("etcd reported no watcher count")


async def test_watches_share_a_stream_and_are_cancelled_when_consumers_stop(storage, store):
    prefix = "/registry/pods/many"
    baseline = etcd_watchers(store)
    tasks_before = len(asyncio.all_tasks())
    watches = [storage.watch(prefix, 0) for _ in range(10)]
    pending = [asyncio.ensure_future(next_events(w, 1)) for w in watches]
    await asyncio.sleep(0.3)
    assert storage.watch_count == 10
    if baseline is not None:
        assert etcd_watchers(store) == baseline + 10
    await storage.create(f"{prefix}/a", pod("a", "many"))
    for events in await asyncio.gather(*pending):
        assert [e.type for e in events] == ["ADDED"]
    # The shared stream runs a few tasks, whatever the number of watches.
    stream_tasks = len(asyncio.all_tasks()) - tasks_before
    assert stream_tasks < 5
    for watch in watches[:5]:
        await watch.aclose()
    assert storage.watch_count == 5
    # A consumer that just stops and drops its iterator.
    del watches[5:], pending, events
    gc.collect()
    for _ in range(50):
        await asyncio.sleep(0.02)
        if storage.watch_count == 0:
            break
    assert storage.watch_count == 0
    # Nothing per watch is left running.
    assert len(asyncio.all_tasks()) == tasks_before + stream_tasks
    if baseline is not None:
        for _ in range(50):
            if etcd_watchers(store) == baseline:
                break
            await asyncio.sleep(0.02)
        assert etcd_watchers(store) == baseline


async def test_closing_the_storage_ends_its_watches(store):
    s = await Storage.connect([store.url])
    watch = s.watch("/registry/pods/closing", 0)
    pending = asyncio.ensure_future(next_events(watch, 1))
    await asyncio.sleep(0.1)
    await s.close()
    assert await asyncio.wait_for(pending, 5) == []


async def test_watch_resumes_when_the_store_restarts(storage, store):
    prefix = "/registry/pods/restart"
    start = await storage.current_revision()
    a = await storage.create(f"{prefix}/a", pod("a", "restart"))
    impatient = await Storage.connect([store.url], timeout=0.5)
    async with aclosing(storage.watch(prefix, start)) as watch, \
            aclosing(impatient.watch(prefix, 0)) as short_lived:
        (first,) = await next_events(watch, 1)
        assert first.object == a
        pending = asyncio.ensure_future(next_events(short_lived, 1))
        await asyncio.sleep(0.1)
        store.stop()
        # While the store is down: calls time out, and a storage whose
        # timeout passes gives its watches up with an error.
        err = await raises(504, "Timeout", impatient.get(f"{prefix}/a"))
        assert err.message == f"etcd at {store.endpoint} could not be reached " \
                              "within 0.5s"
        with pytest.raises(StatusError) as caught:
            await asyncio.wait_for(pending, 5)
        assert caught.value.code == 500
        assert "lost the watch stream" in caught.value.message
        await impatient.close()
        store.start()
        b = await storage.create(f"{prefix}/b", pod("b", "restart"))
        (second,) = await next_events(watch, 1, timeout=10)
        assert second.object == b
