"""The watch hub: replay then live feed, filters, compaction, progress."""

from kubelite.etcdpb.mvccpb import kv_pb2
from kubelite.store.watch import Watcher, WatchHub


def put(key: bytes, rev: int) -> kv_pb2.Event:
    return kv_pb2.Event(
        type=kv_pb2.Event.PUT,
        kv=kv_pb2.KeyValue(key=key, value=b"v%d" % rev, mod_revision=rev, create_revision=rev),
        prev_kv=kv_pb2.KeyValue(key=key, value=b"old"),
    )


def delete(key: bytes, rev: int) -> kv_pb2.Event:
    return kv_pb2.Event(type=kv_pb2.Event.DELETE, kv=kv_pb2.KeyValue(key=key, mod_revision=rev))


class FakeHistory:
    def __init__(self) -> None:
        self.log: list[kv_pb2.Event] = []
        self.current_revision = 1
        self.compact_revision = -1

    def write(self, event: kv_pb2.Event) -> None:
        self.log.append(event)
        self.current_revision = event.kv.mod_revision

    def history(self, start: int, end: int) -> list[kv_pb2.Event]:
        return [e for e in self.log if start <= e.kv.mod_revision <= end]

    def prev_kv(self, event):
        return kv_pb2.KeyValue(key=event.kv.key, value=b"prev")


class Sink:
    def __init__(self) -> None:
        self.got: list[tuple[int, list[kv_pb2.Event], int]] = []
        self.compactions: list[tuple[int, int]] = []
        self.progresses: list[tuple[int, int]] = []

    def deliver(self, watcher, events, revision):
        self.got.append((watcher.id, list(events), revision))

    def compacted(self, watcher, compact_revision):
        self.compactions.append((watcher.id, compact_revision))

    def progress(self, watcher, revision):
        self.progresses.append((watcher.id, revision))

    full = False

    def congested(self, watcher):
        return self.full

    def revisions(self) -> list[int]:
        return [e.kv.mod_revision for _, evs, _ in self.got for e in evs]


def drain(hub: WatchHub) -> int:
    """Run catch-up batches until no watcher lags; how many there were."""
    batches = 1
    while hub.catch_up():
        batches += 1
        assert batches < 100
    return batches


def test_replay_then_live_without_gaps_or_duplicates():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    for rev in range(2, 6):
        store.write(put(b"k%d" % rev, rev))
    hub.add(Watcher(id=0, key=b"k", range_end=b"l", next_rev=3, sink=sink))
    drain(hub)
    for rev in range(6, 9):
        event = put(b"k%d" % rev, rev)
        store.write(event)
        hub.notify([event], rev)
    assert sink.revisions() == [3, 4, 5, 6, 7, 8]


def test_key_range_and_filters():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    hub.add(Watcher(id=1, key=b"a", range_end=b"", next_rev=2, sink=sink))
    hub.add(Watcher(id=2, key=b"b", range_end=b"\0", next_rev=2, sink=sink,
                    dropped_types=frozenset({kv_pb2.Event.PUT})))
    events = [(put(b"a", 2), 2), (put(b"ab", 3), 3), (delete(b"c", 4), 4), (put(b"c", 5), 5)]
    for event, rev in events:
        store.write(event)
        hub.notify([event], rev)
    assert [(w, [e.kv.key for e in evs]) for w, evs, _ in sink.got] == [
        (1, [b"a"]),
        (2, [b"c"]),
    ]
    assert sink.got[1][1][0].type == kv_pb2.Event.DELETE


def test_prev_kv_only_for_watchers_that_asked():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    hub.add(Watcher(id=1, key=b"a", range_end=b"", next_rev=2, sink=sink, prev_kv=True))
    hub.add(Watcher(id=2, key=b"a", range_end=b"", next_rev=2, sink=sink))
    event = put(b"a", 2)
    store.write(event)
    hub.notify([event], 2)
    by_id = {w: evs[0] for w, evs, _ in sink.got}
    assert by_id[1].HasField("prev_kv")
    assert not by_id[2].HasField("prev_kv")


def test_replay_is_batched_by_revision_count():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    for rev in range(2, 2503):
        store.write(put(b"k", rev))
    hub.add(Watcher(id=0, key=b"k", range_end=b"", next_rev=2, sink=sink))
    assert sink.got == []  # nothing replayed until catch-up runs
    assert drain(hub) == 3
    assert [len(evs) for _, evs, _ in sink.got] == [1000, 1000, 501]
    assert sink.revisions() == list(range(2, 2503))


def test_compacted_start_is_refused_with_the_compact_revision():
    store, sink = FakeHistory(), Sink()
    store.current_revision, store.compact_revision = 10, 8
    hub = WatchHub(store)
    hub.add(Watcher(id=3, key=b"k", range_end=b"", next_rev=5, sink=sink))
    assert sink.compactions == [(3, 8)]
    assert not hub.synced


def test_progress_goes_to_watchers_that_asked():
    store, sink = FakeHistory(), Sink()
    store.current_revision = 4
    hub = WatchHub(store)
    hub.add(Watcher(id=1, key=b"k", range_end=b"", next_rev=5, sink=sink, progress_notify=True))
    hub.add(Watcher(id=2, key=b"k", range_end=b"", next_rev=5, sink=sink))
    hub.progress()
    assert sink.progresses == [(1, 4)]


def test_removed_watcher_gets_nothing():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    watcher = Watcher(id=1, key=b"k", range_end=b"", next_rev=2, sink=sink)
    hub.add(watcher)
    hub.remove(watcher)
    event = put(b"k", 2)
    store.write(event)
    hub.notify([event], 2)
    assert sink.got == []


def test_slow_client_falls_behind_then_catches_up_in_order():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    watcher = Watcher(id=1, key=b"k", range_end=b"l", next_rev=2, sink=sink)
    hub.add(watcher)

    def write(rev: int) -> None:
        event = put(b"k%d" % rev, rev)
        store.write(event)
        hub.notify([event], rev)

    write(2)
    sink.full = True  # the client stops reading
    for rev in range(3, 6):
        write(rev)
    assert watcher in hub.lagging and watcher not in hub.synced
    hub.catch_up()  # still congested: nothing moves
    assert sink.revisions() == [2]
    sink.full = False
    hub.catch_up()
    assert watcher in hub.synced
    write(6)
    assert sink.revisions() == [2, 3, 4, 5, 6]


def test_lagging_watcher_past_compaction_is_cancelled():
    store, sink = FakeHistory(), Sink()
    hub = WatchHub(store)
    watcher = Watcher(id=4, key=b"k", range_end=b"", next_rev=2, sink=sink)
    hub.add(watcher)
    sink.full = True
    for rev in range(2, 6):
        event = put(b"k", rev)
        store.write(event)
        hub.notify([event], rev)
    store.compact_revision = 4
    sink.full = False
    hub.catch_up()
    assert sink.compactions == [(4, 4)]
    assert not hub.lagging and not hub.synced


def test_watchers_at_one_revision_share_each_history_read():
    store, sink = FakeHistory(), Sink()
    reads: list[tuple[int, int]] = []
    read = store.history
    store.history = lambda a, b: reads.append((a, b)) or read(a, b)
    hub = WatchHub(store)
    for rev in range(2, 12):
        store.write(put(b"k%d" % rev, rev))
    for i in range(50):
        hub.add(Watcher(id=i, key=b"k", range_end=b"l", next_rev=2, sink=sink))
    hub.add(Watcher(id=99, key=b"k", range_end=b"l", next_rev=7, sink=sink))
    drain(hub)
    assert reads == [(2, 11), (7, 11)]
    assert len(sink.got) == 51 and hub.synced and not hub.lagging
