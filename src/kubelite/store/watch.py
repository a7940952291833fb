"""Watchers and the hub that feeds them events in revision order.

A watcher wants every event on a key or range from `next_rev` on. The hub
keeps two groups, as etcd does: synced watchers, which are caught up and get
each write's events as it is applied, and lagging watchers, which read
history from the MVCC store in batches until they reach the current
revision and join the synced group. A watcher starts lagging when it starts
from an old revision, and falls back to lagging when its client reads too
slowly (its sink is congested): rather than queueing without bound, the hub
stops feeding it and replays what it missed once the client has caught up.
Everything happens on the event loop's thread between applies, so no event
can slip between a replay and the live feed: each watcher sees each
revision once, in order.

Delivery goes to a `WatchSink` (the gRPC watch stream): the hub decides
what a watcher gets; the sink turns it into responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kubelite.etcdpb.mvccpb import kv_pb2

# etcd sends at most this many revisions of history in one response.
MAX_REVS_PER_BATCH = 1000

PUT, DELETE = kv_pb2.Event.PUT, kv_pb2.Event.DELETE


class WatchSink(Protocol):
    def deliver(self, watcher: Watcher, events: list[kv_pb2.Event], revision: int) -> None: ...

    def compacted(self, watcher: Watcher, compact_revision: int) -> None: ...

    def progress(self, watcher: Watcher, revision: int) -> None: ...

    def congested(self, watcher: Watcher) -> bool: ...


@dataclass(eq=False)
class Watcher:
    id: int
    key: bytes
    range_end: bytes  # b"": the key alone; b"\0": every key >= key
    next_rev: int
    sink: WatchSink
    prev_kv: bool = False
    dropped_types: frozenset[int] = field(default_factory=frozenset)
    progress_notify: bool = False
    fragment: bool = False

    def matches(self, key: bytes) -> bool:
        if not self.range_end:
            return key == self.key
        if self.range_end == b"\0":
            return key >= self.key
        return self.key <= key < self.range_end

    def select(self, events: list[kv_pb2.Event]) -> list[kv_pb2.Event]:
        return [
            e for e in events if e.type not in self.dropped_types and self.matches(e.kv.key)
        ]


class History(Protocol):
    """What the hub reads from the MVCC store."""

    current_revision: int
    compact_revision: int

    def history(self, start_rev: int, end_rev: int) -> list[kv_pb2.Event]: ...

    def prev_kv(self, event: kv_pb2.Event) -> kv_pb2.KeyValue | None: ...


class WatchHub:
    def __init__(self, store: History) -> None:
        self.store = store
        self.synced: set[Watcher] = set()
        self.lagging: set[Watcher] = set()

    def add(self, watcher: Watcher) -> None:
        """Start a watcher: one that starts in the future is fed live at
        once; one that starts in the past lags until `catch_up` has replayed
        what it missed."""
        compact = self.store.compact_revision
        if watcher.next_rev < compact:
            watcher.sink.compacted(watcher, compact)
        elif watcher.next_rev > self.store.current_revision:
            self.synced.add(watcher)
        else:
            self.lagging.add(watcher)

    def remove(self, watcher: Watcher) -> None:
        self.synced.discard(watcher)
        self.lagging.discard(watcher)

    def notify(self, events: list[kv_pb2.Event], revision: int) -> None:
        """A write was applied at `revision` with these events."""
        if not events:
            return
        stripped: dict[int, kv_pb2.Event] | None = None
        slow: list[Watcher] = []
        for watcher in self.synced:
            selected = watcher.select(events)
            if selected:
                if watcher.sink.congested(watcher):
                    slow.append(watcher)  # next_rev stays: the replay resumes there
                    continue
                if not watcher.prev_kv:
                    if stripped is None:
                        stripped = {id(e): _without_prev(e) for e in events}
                    selected = [stripped[id(e)] for e in selected]
                watcher.sink.deliver(watcher, selected, revision)
            watcher.next_rev = revision + 1
        for watcher in slow:
            self.synced.discard(watcher)
            self.lagging.add(watcher)

    def catch_up(self) -> bool:
        """Move lagging watchers forward by one batch of history, and
        return whether any is still behind. Watchers at the same revision
        share one read of the history, so many watchers resuming together
        (informers after a restart) cost about as much as one; the caller
        gives the event loop a turn between batches."""
        current = self.store.current_revision
        compact = self.store.compact_revision
        ready: dict[int, list[Watcher]] = {}
        for watcher in list(self.lagging):
            if watcher.next_rev < compact:
                self.lagging.discard(watcher)
                watcher.sink.compacted(watcher, compact)
            elif watcher.next_rev > current:
                self.lagging.discard(watcher)
                self.synced.add(watcher)
            elif not watcher.sink.congested(watcher):
                ready.setdefault(watcher.next_rev, []).append(watcher)
        if not ready:
            return False
        start = min(ready)
        end = min(current, start + MAX_REVS_PER_BATCH - 1)
        history = self.store.history(start, end)
        for watcher in ready[start]:
            selected = watcher.select(history)
            if selected:
                selected = [self._with_prev(watcher, e) for e in selected]
                watcher.sink.deliver(watcher, selected, current)
            watcher.next_rev = end + 1
            if watcher.next_rev > current:
                self.lagging.discard(watcher)
                self.synced.add(watcher)
        return bool(self.lagging)

    def progress(self) -> None:
        """Tell each caught-up watcher that asked for it how far it has seen."""
        revision = self.store.current_revision
        for watcher in self.synced:
            if watcher.progress_notify:
                watcher.sink.progress(watcher, revision)

    def _with_prev(self, watcher: Watcher, event: kv_pb2.Event) -> kv_pb2.Event:
        if not watcher.prev_kv:
            return event
        prev = self.store.prev_kv(event)
        if prev is None:
            return event
        return kv_pb2.Event(type=event.type, kv=event.kv, prev_kv=prev)


def _without_prev(event: kv_pb2.Event) -> kv_pb2.Event:
    if not event.HasField("prev_kv"):
        return event
    return kv_pb2.Event(type=event.type, kv=event.kv)
