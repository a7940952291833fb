"""The API server's watch cache, as kube-apiserver's cacher keeps one: a
resource's objects and recent changes, kept current by one store watch,
from which client watches and most lists are served, so that a thousand
watchers cost the store one watch.

One `WatchCache` serves one key root (/registry/pods/; the two Event APIs
share /registry/events/). It holds:

- the current objects as the store holds them (value bytes and revision,
  each decoded once, when first served, and then shared by every list and
  watch that serves it), sorted by key as the store lists them;
- a window of the most recent changes (`--default-watch-cache-size`), from
  which a watch that names a resourceVersion inside the window is served,
  and from which resumed watches catch up;
- the watchers, each fed the changes under its prefix that its selectors
  let through (pods' watchers that name a spec.nodeName are found through
  an index instead of being tried one by one).

What a client sees is what it would see without the cache: the same
events, in the same order, with the same resourceVersions. A watch from a
revision older than the window is served by the store, as it would be
without the cache; a compacted one gets 410 from there. When the store
watch breaks for good (its start compacted during an outage), the cache
ends its watchers (they watch again) and lists afresh.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedDict

from kubelite.apiserver.errors import StatusError
from kubelite.apiserver.storage import Change, Storage, WatchEvent, decode_object

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool] | None

DEFAULT_WINDOW = 25_000
# A watcher whose client falls this many events behind is ended; its client
# watches again from the last resourceVersion it saw (as kube-apiserver
# ends watchers that do not keep up).
MAX_BACKLOG = 10_000
RESTART_SECONDS = 1.0


def selected(event: WatchEvent, predicate: Predicate) -> WatchEvent | None:
    """A change as a watch with selectors sees it, as Kubernetes shows it:
    an object that starts matching is ADDED, one that stops matching is
    DELETED; None when the watch does not see the change at all."""
    if predicate is None or event.type not in ("ADDED", "MODIFIED", "DELETED"):
        return event
    now = predicate(event.object)
    before = event.previous is not None and predicate(event.previous)
    if event.type == "ADDED":
        return event if now else None
    if event.type == "DELETED":
        return event if now or before else None
    if now and before:
        return event
    if now:
        return WatchEvent("ADDED", event.object, event.revision)
    if before:
        return WatchEvent("DELETED", event.object, event.revision)
    return None


@dataclass(slots=True)
class _Entry:
    value: bytes
    revision: int
    decoded: Obj | None = None

    def object(self, key: str) -> Obj:
        """The value decoded, once: shared by every reader, not to be changed."""
        if self.decoded is None:
            self.decoded = decode_object(self.value, self.revision, key)
        return self.decoded


@dataclass(slots=True)
class _Recorded:
    """One change in the window: the key's value before and after."""

    revision: int
    key: str
    value: bytes | None  # None: deleted
    before: _Entry | None  # None: created


@dataclass(eq=False)
class CacheWatcher:
    prefix: str
    predicate: Predicate
    after: int  # it sees the changes after this revision
    pinned: str | None  # the indexed field's value the watch's selector requires
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def deliver(self, event: WatchEvent) -> None:
        if self.closed or event.revision <= self.after:
            return
        if self.queue.qsize() >= MAX_BACKLOG:
            log.warning("apiserver: ending a watch on %s whose client is too slow", self.prefix)
            self.close()
            return
        self.queue.put_nowait(event)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


class WatchCache:
    def __init__(self, storage: Storage, root: str, window: int = DEFAULT_WINDOW,
                 index: Callable[[Obj], str | None] | None = None) -> None:
        self.storage = storage
        self.root = root
        self.window: deque[_Recorded] = deque(maxlen=window)
        # The indexed field (a pod's spec.nodeName) of an object, for
        # watchers pinned to one value of it.
        self.index = index
        self.objects: SortedDict = SortedDict()  # key -> _Entry
        self.revision = 0  # every change up to here is applied
        self.window_start = 0  # every change after this is in the window
        self.watchers: set[CacheWatcher] = set()
        self.pinned: dict[str, set[CacheWatcher]] = {}
        self._ready = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []  # (revision, woken)
        self._task: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"watch-cache {self.root}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._end_watchers()

    async def ready(self, timeout: float) -> bool:
        """Wait (at most `timeout` s) for the first list to be in."""
        self.start()
        if self._ready.is_set():
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._ready.wait()
            return True
        except TimeoutError:
            return False

    async def caught_up(self, revision: int, timeout: float) -> bool:
        """Wait (at most `timeout` s) until the cache has applied every
        change under its root up to `revision`."""
        if not await self.ready(timeout):
            return False
        if self.revision >= revision:
            return True
        woken = asyncio.get_running_loop().create_future()
        self._waiters.append((revision, woken))
        try:
            async with asyncio.timeout(timeout):
                await woken
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters = [(r, f) for r, f in self._waiters if f is not woken]

    async def _run(self) -> None:
        while True:
            try:
                await self._load()
                async for change in self.storage.watch_changes(self.root, self.revision):
                    self._apply(change)
                # The store ended this watch (it fell behind): go on from here.
            except Exception as e:  # a cache that cannot go on must not serve stale state
                why = e.message if isinstance(e, StatusError) else repr(e)
                log.warning("apiserver: watch cache for %s lost its store watch (%s); "
                            "listing again", self.root, why)
                self._ready.clear()
                self._end_watchers()
                await asyncio.sleep(RESTART_SECONDS)

    async def _load(self) -> None:
        """List afresh unless the cache is current (it resumes instead)."""
        if self._ready.is_set():
            return
        entries, revision = await self.storage.list_values(self.root)
        self.objects = SortedDict({c.key: _Entry(c.value or b"", c.revision) for c in entries})
        self.window.clear()
        self.revision = self.window_start = revision
        self._ready.set()

    # -------------------------------------------------------------- changes

    def _apply(self, change: Change) -> None:
        before = self.objects.get(change.key)
        if before is not None:
            before.decoded = None  # the window keeps the bytes only
        if change.value is None:
            self.objects.pop(change.key, None)
        else:
            self.objects[change.key] = _Entry(change.value, change.revision)
        if len(self.window) == self.window.maxlen:
            self.window_start = self.window[0].revision
        recorded = _Recorded(change.revision, change.key, change.value, before)
        self.window.append(recorded)
        self.revision = change.revision
        self._dispatch(recorded)
        for revision, woken in self._waiters:
            if revision <= self.revision and not woken.done():
                woken.set_result(None)

    def _dispatch(self, recorded: _Recorded) -> None:
        """Hand the change to the watchers that see it (decoded once)."""
        if not any(recorded.key.startswith(w.prefix) for w in self.watchers):
            return
        event = self._event(recorded)
        for watcher in self._candidates(event):
            if recorded.key.startswith(watcher.prefix):
                seen = selected(event, watcher.predicate)
                if seen is not None:
                    watcher.deliver(seen)

    def _candidates(self, event: WatchEvent) -> set[CacheWatcher]:
        """The watchers a change may concern: those pinned to another value
        of the indexed field are not."""
        if not self.pinned:
            return self.watchers
        assert self.index is not None
        out = {w for w in self.watchers if w.pinned is None}
        for obj in (event.object, event.previous):
            value = None if obj is None else self.index(obj)
            if value is not None:
                out |= self.pinned.get(value, set())
        return out

    def _event(self, recorded: _Recorded) -> WatchEvent:
        """The change as a watch event (decoded here, shared by watchers)."""
        key = recorded.key
        before = recorded.before
        previous = None if before is None else decode_object(before.value, before.revision, key)
        if recorded.value is None:
            assert before is not None
            last = decode_object(before.value, recorded.revision, key)
            return WatchEvent("DELETED", last, recorded.revision, previous)
        current = self.objects.get(key)
        obj = current.object(key) if current is not None and \
            current.revision == recorded.revision else \
            decode_object(recorded.value, recorded.revision, key)
        return WatchEvent("ADDED" if before is None else "MODIFIED", obj, recorded.revision,
                          previous)

    async def confirmed(self, prefix: str, at_least: int, timeout: float) -> int | None:
        """The revision at which the cache holds just what the store holds
        under `prefix` now (a consistent read from cache, as KEP-2340's):
        the store is asked whether any key there has changed since the
        cache's revision. If the cache is behind, it gets up to `timeout`
        to catch up once. None if it cannot be confirmed, or the store is
        not yet at `at_least`."""
        if not await self.ready(timeout):
            return None
        for attempt in range(2):
            seen = self.revision
            now = await self.storage.unchanged_since(prefix, seen, self._count(prefix))
            if now is not None:
                # The cache held the store's state at `now`; what it has
                # applied since is newer still.
                revision = now if self.revision == seen else self.revision
                return revision if revision >= at_least else None
            if attempt == 0 and not await self.caught_up(seen + 1, timeout):
                return None
        return None

    # -------------------------------------------------------------- reads

    def _keys(self, prefix: str):
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return self.objects.irange(prefix, end, inclusive=(True, False))

    def _count(self, prefix: str) -> int:
        if prefix == self.root:
            return len(self.objects)
        return sum(1 for _ in self._keys(prefix))

    def get(self, key: str) -> Obj | None:
        """The object at `key` as the cache last saw it; None when it has
        not, or has not listed yet. It may be behind the store."""
        entry = self.objects.get(key) if self._ready.is_set() else None
        return decode_object(entry.value, entry.revision, key) if entry is not None else None

    def items(self, prefix: str, predicate: Predicate) -> list[Obj]:
        """The current objects under `prefix` that pass `predicate`, in key
        order, as of `self.revision`."""
        out = []
        objects = self.objects
        for key in self._keys(prefix):
            obj = objects[key].object(key)
            if predicate is None or predicate(obj):
                out.append(obj)
        return out

    def subscribe(self, prefix: str, predicate: Predicate, after: int,
                  pinned: str | None = None) -> tuple[list[WatchEvent], CacheWatcher] | None:
        """Register a watcher for the changes under `prefix` after revision
        `after`, with those already in the window to replay first; None when
        `after` is older than the window."""
        if after < self.window_start:
            return None
        replay: list[WatchEvent] = []
        first = bisect.bisect_right(self.window, after, key=lambda r: r.revision)
        for i in range(first, len(self.window)):
            recorded = self.window[i]
            if recorded.key.startswith(prefix):
                seen = selected(self._event(recorded), predicate)
                if seen is not None:
                    replay.append(seen)
        watcher = CacheWatcher(prefix, predicate, max(after, self.revision),
                               pinned if self.index else None)
        self.watchers.add(watcher)
        if watcher.pinned is not None:
            self.pinned.setdefault(watcher.pinned, set()).add(watcher)
        return replay, watcher

    def unsubscribe(self, watcher: CacheWatcher) -> None:
        self.watchers.discard(watcher)
        if watcher.pinned is not None:
            group = self.pinned.get(watcher.pinned)
            if group is not None:
                group.discard(watcher)
                if not group:
                    del self.pinned[watcher.pinned]
        watcher.close()

    def _end_watchers(self) -> None:
        for watcher in list(self.watchers):
            self.unsubscribe(watcher)


async def watched(cache: WatchCache, replay: list[WatchEvent],
                  watcher: CacheWatcher) -> AsyncIterator[WatchEvent]:
    """A subscription's events: the replay, then what the cache delivers,
    until the watcher is ended; unsubscribes when closed."""
    try:
        for event in replay:
            yield event
        while True:
            event = await watcher.queue.get()
            if event is None:
                return
            yield event
    finally:
        cache.unsubscribe(watcher)
