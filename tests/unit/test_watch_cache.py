"""The API server's watch cache over a fake store (no processes): changes
applied in order, the window and what a watch can resume from, selectors
as Kubernetes applies them, the spec.nodeName index, slow watchers ended,
and the consistent-read check."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from kubelite.apiserver.storage import Change, WatchEvent
from kubelite.apiserver.watchcache import WatchCache, selected, watched

ROOT = "/registry/pods/"


def pod(name: str, ns: str = "a", node: str = "", **labels: str) -> bytes:
    obj = {"metadata": {"name": name, "namespace": ns, "labels": labels}}
    if node:
        obj["spec"] = {"nodeName": node}
    return orjson.dumps(obj)


class FakeStore:
    """What the cache asks of Storage: a list, a stream of changes, and the
    store's view of whether a prefix changed since a revision."""

    def __init__(self, initial: dict[str, bytes], revision: int) -> None:
        self.objects = dict(initial)
        self.mods = {key: revision for key in initial}
        self.revision = revision
        self.changes: asyncio.Queue[Change] = asyncio.Queue()

    def write(self, key: str, value: bytes | None) -> int:
        self.revision += 1
        if value is None:
            self.objects.pop(key)
            self.mods.pop(key)
        else:
            self.objects[key] = value
            self.mods[key] = self.revision
        self.changes.put_nowait(Change(key, value, self.revision))
        return self.revision

    async def list_values(self, prefix: str):
        return [Change(k, v, self.mods[k]) for k, v in sorted(self.objects.items())
                if k.startswith(prefix)], self.revision

    async def watch_changes(self, prefix: str, from_revision: int):
        while True:
            change = await self.changes.get()
            if change.revision > from_revision:
                yield change

    async def unchanged_since(self, prefix: str, revision: int, count: int):
        mods = [m for k, m in self.mods.items() if k.startswith(prefix)]
        if len(mods) == count and max(mods, default=0) <= revision:
            return self.revision
        return None


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def started(store: FakeStore, window: int = 100, index=None) -> WatchCache:
    cache = WatchCache(store, ROOT, window, index)  # type: ignore[arg-type]
    assert await cache.ready(1)
    return cache


async def take(events, n: int) -> list[WatchEvent]:
    out = []
    async for event in events:
        out.append(event)
        if len(out) == n:
            break
    return out


async def test_the_cache_lists_then_follows_changes_in_order():
    store = FakeStore({ROOT + "a/p1": pod("p1")}, revision=10)
    cache = await started(store)
    assert cache.revision == 10
    store.write(ROOT + "a/p2", pod("p2"))
    store.write(ROOT + "b/p3", pod("p3", ns="b"))
    store.write(ROOT + "a/p1", None)
    await settle()
    assert cache.revision == 13
    assert [o["metadata"]["name"] for o in cache.items(ROOT, None)] == ["p2", "p3"]
    assert [o["metadata"]["name"] for o in cache.items(ROOT + "a/", None)] == ["p2"]
    assert cache.items(ROOT + "a/", None)[0]["metadata"]["resourceVersion"] == "11"
    await cache.stop()


async def test_watches_resume_from_the_window_and_not_before_it():
    store = FakeStore({}, revision=5)
    cache = await started(store, window=3)
    for i in range(5):
        store.write(ROOT + f"a/p{i}", pod(f"p{i}"))  # revisions 6..10
    await settle()
    # The window keeps the last 3 changes (8, 9, 10): a watch from 7 is whole.
    assert cache.window_start == 7
    assert cache.subscribe(ROOT, None, 6) is None
    replay, watcher = cache.subscribe(ROOT, None, 7)
    assert [e.revision for e in replay] == [8, 9, 10]
    assert [e.type for e in replay] == ["ADDED"] * 3
    store.write(ROOT + "a/p0", pod("p0", tier="x"))
    await settle()
    live = await asyncio.wait_for(take(watched(cache, replay, watcher), 4), 1)
    assert [(e.type, e.revision) for e in live] == [
        ("ADDED", 8), ("ADDED", 9), ("ADDED", 10), ("MODIFIED", 11)]
    assert live[-1].previous["metadata"]["labels"] == {}
    assert not cache.watchers  # closing the iterator unsubscribed it
    await cache.stop()


async def test_a_watch_from_a_revision_ahead_of_the_cache_sees_only_later_changes():
    store = FakeStore({}, revision=5)
    cache = await started(store)
    replay, watcher = cache.subscribe(ROOT, None, 7)  # e.g. another resource's revision
    store.write(ROOT + "a/early", pod("early"))  # 6: not after 7
    store.write(ROOT + "a/x", pod("x"))  # 7
    store.write(ROOT + "a/late", pod("late"))  # 8
    await settle()
    got = await asyncio.wait_for(take(watched(cache, replay, watcher), 1), 1)
    assert [e.object["metadata"]["name"] for e in got] == ["late"]
    await cache.stop()


def event(kind: str, obj: dict, previous: dict | None = None) -> WatchEvent:
    return WatchEvent(kind, obj, 1, previous)


def test_selectors_turn_changes_into_what_a_filtered_watch_sees():
    web = {"metadata": {"labels": {"app": "web"}}}
    db = {"metadata": {"labels": {"app": "db"}}}
    is_web = lambda o: o["metadata"]["labels"].get("app") == "web"  # noqa: E731
    assert selected(event("ADDED", web), is_web).type == "ADDED"
    assert selected(event("ADDED", db), is_web) is None
    assert selected(event("MODIFIED", web, web), is_web).type == "MODIFIED"
    assert selected(event("MODIFIED", web, db), is_web).type == "ADDED"
    assert selected(event("MODIFIED", db, web), is_web).type == "DELETED"
    assert selected(event("MODIFIED", db, db), is_web) is None
    assert selected(event("DELETED", db, web), is_web).type == "DELETED"
    assert selected(event("DELETED", db, db), is_web) is None
    assert selected(event("BOOKMARK", {}), is_web).type == "BOOKMARK"
    assert selected(event("ADDED", db), None).type == "ADDED"


async def test_watchers_pinned_to_a_node_get_only_their_nodes_pods():
    store = FakeStore({}, revision=1)
    cache = await started(store, index=lambda o: (o.get("spec") or {}).get("nodeName"))
    on_n1 = lambda o: (o.get("spec") or {}).get("nodeName") == "n1"  # noqa: E731
    _, n1 = cache.subscribe(ROOT, on_n1, 1, pinned="n1")
    _, everyone = cache.subscribe(ROOT, None, 1)
    assert cache.pinned.keys() == {"n1"}
    store.write(ROOT + "a/p1", pod("p1", node="n2"))
    store.write(ROOT + "a/p2", pod("p2", node="n1"))
    store.write(ROOT + "a/p1", pod("p1", node="n1"))  # moved onto n1: ADDED for it
    await settle()
    assert n1.queue.qsize() == 2 and everyone.queue.qsize() == 3
    seen = [n1.queue.get_nowait() for _ in range(2)]
    assert [(e.type, e.object["metadata"]["name"]) for e in seen] == [
        ("ADDED", "p2"), ("ADDED", "p1")]
    cache.unsubscribe(n1)
    assert not cache.pinned
    await cache.stop()


async def test_a_watcher_that_does_not_keep_up_is_ended(monkeypatch):
    monkeypatch.setattr("kubelite.apiserver.watchcache.MAX_BACKLOG", 3)
    store = FakeStore({}, revision=1)
    cache = await started(store)
    replay, slow = cache.subscribe(ROOT, None, 1)
    for i in range(5):
        store.write(ROOT + f"a/p{i}", pod(f"p{i}"))
    await settle()
    assert slow.closed
    got = await asyncio.wait_for(take(watched(cache, replay, slow), 10), 1)
    assert len(got) == 3  # what it had, then the end: its client watches again
    await cache.stop()


async def test_consistent_reads_are_confirmed_against_the_store():
    store = FakeStore({ROOT + "a/p1": pod("p1")}, revision=10)
    cache = await started(store)
    store.revision = 15  # other resources were written meanwhile
    assert await cache.confirmed(ROOT, 0, 1) == 15
    assert await cache.confirmed(ROOT, 16, 1) is None  # the store is not there yet
    store.write(ROOT + "a/p2", pod("p2"))  # 16, not applied until the loop runs
    assert cache.revision == 10
    assert await cache.confirmed(ROOT, 16, 1) == 16  # it waited for the change
    # A delete the cache has not seen changes the count.
    store.changes = asyncio.Queue()  # the cache will never hear of it
    store.objects.pop(ROOT + "a/p1")
    store.mods.pop(ROOT + "a/p1")
    assert await cache.confirmed(ROOT, 0, 0.2) is None
    await cache.stop()


@pytest.mark.parametrize("after", [10, 12])
async def test_initial_state_and_the_changes_after_it_fit_together(after):
    store = FakeStore({ROOT + "a/p1": pod("p1")}, revision=10)
    cache = await started(store)
    store.write(ROOT + "a/p2", pod("p2"))
    store.write(ROOT + "a/p3", pod("p3"))
    await settle()
    items = cache.items(ROOT, None)
    replay, watcher = cache.subscribe(ROOT, None, after)
    assert [o["metadata"]["name"] for o in items] == ["p1", "p2", "p3"]
    assert [e.revision for e in replay] == [r for r in (11, 12) if r > after]
    cache.unsubscribe(watcher)
    await cache.stop()
