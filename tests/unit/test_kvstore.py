"""Unit tests for the MVCC store on its LMDB backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelite.etcdpb.mvccpb import kv_pb2
from kubelite.store import errors
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.kvstore import KVStore, crc32c
from kubelite.store.mvcc.revision import Revision, bytes_to_rev, rev_to_bytes

PUT, DELETE = kv_pb2.Event.PUT, kv_pb2.Event.DELETE


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "db")


@pytest.fixture
def store(path: str) -> KVStore:
    s = KVStore(Backend(path, map_size=64 << 20))
    yield s
    s.backend.close()


def put(s: KVStore, key: bytes, value: bytes, lease: int = 0) -> list[kv_pb2.Event]:
    with s.write(s.consistent_index + 1) as t:
        t.put(key, value, lease)
        return t.end()


def delete(s: KVStore, key: bytes, end: bytes = b"") -> list[kv_pb2.Event]:
    with s.write(s.consistent_index + 1) as t:
        t.delete_range(key, end)
        return t.end()


def get(s: KVStore, key: bytes, rev: int = 0) -> kv_pb2.KeyValue | None:
    kvs = s.range(key, b"", revision=rev).kvs
    return kvs[0] if kvs else None


def bucket(s: KVStore) -> list[tuple[Revision, bool]]:
    with s.backend.read() as txn:
        return [bytes_to_rev(k) for k, _ in txn.cursor(db=s.backend.key_db)]


def reopen(s: KVStore) -> KVStore:
    s.backend.close()
    return KVStore(Backend(s.backend.path, map_size=64 << 20))


def snapshot(s: KVStore) -> list:
    """Everything readable from the store, at every revision still readable."""
    out = []
    for rev in range(max(s.compact_revision, 1), s.current_revision + 1):
        r = s.range(b"\x00", b"\x00", revision=rev)
        out.append((rev, r.count, [kv.SerializeToString() for kv in r.kvs]))
    return out


def test_fresh_store_starts_at_revision_one(store: KVStore) -> None:
    assert (store.current_revision, store.compact_revision, store.consistent_index) == (1, -1, 0)
    r = store.range(b"a", b"")
    assert (r.kvs, r.count, r.revision) == ([], 0, 1)
    put(store, b"a", b"1")
    assert store.current_revision == 2


def test_put_versions_and_revisions(store: KVStore) -> None:
    put(store, b"foo", b"bar")
    put(store, b"other", b"x")
    put(store, b"foo", b"baz", lease=7)
    kv = get(store, b"foo")
    assert (kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version, kv.lease) == (
        b"foo",
        b"baz",
        2,
        4,
        2,
        7,
    )
    old = get(store, b"foo", rev=3)
    assert (old.value, old.mod_revision, old.version, old.lease) == (b"bar", 2, 1, 0)
    assert get(store, b"foo", rev=1) is None


def test_stored_bytes_are_etcds(store: KVStore) -> None:
    put(store, b"foo", b"bar")
    delete(store, b"foo")
    with store.backend.read() as txn:
        records = list(txn.cursor(db=store.backend.key_db))
    assert records == [
        (rev_to_bytes(Revision(2, 0)), bytes.fromhex("0a03666f6f1002180220012a03626172")),
        (rev_to_bytes(Revision(3, 0), tombstone=True), bytes.fromhex("0a03666f6f")),
    ]


def test_delete_and_recreate_starts_a_new_generation(store: KVStore) -> None:
    put(store, b"k", b"1")
    put(store, b"k", b"2")
    events = delete(store, b"k")
    assert len(events) == 1
    ev = events[0]
    assert ev.type == DELETE
    assert (ev.kv.key, ev.kv.mod_revision, ev.kv.version) == (b"k", 4, 0)
    assert (ev.prev_kv.value, ev.prev_kv.version) == (b"2", 2)
    assert get(store, b"k") is None
    put(store, b"k", b"3")
    kv = get(store, b"k")
    assert (kv.create_revision, kv.mod_revision, kv.version) == (5, 5, 1)


def test_delete_nothing_keeps_revision(store: KVStore) -> None:
    put(store, b"a", b"1")
    assert delete(store, b"zzz") == []
    assert store.current_revision == 2


def test_ranges(store: KVStore) -> None:
    for k in (b"a", b"b", b"c", b"d"):
        put(store, k, k.upper())
    delete(store, b"c")

    def keys(key: bytes, end: bytes, **kw) -> tuple[list[bytes], int]:
        r = store.range(key, end, **kw)
        return [kv.key for kv in r.kvs], r.count

    assert keys(b"a", b"c") == ([b"a", b"b"], 2)
    assert keys(b"b", b"\x00") == ([b"b", b"d"], 2)
    assert keys(b"\x00", b"\x00") == ([b"a", b"b", b"d"], 3)
    assert keys(b"a", b"\x00", limit=2) == ([b"a", b"b"], 3)
    assert keys(b"a", b"\x00", limit=3) == ([b"a", b"b", b"d"], 3)
    assert keys(b"a", b"\x00", count_only=True) == ([], 3)
    assert keys(b"a", b"\x00", revision=4) == ([b"a", b"b", b"c"], 3)
    assert keys(b"c", b"a") == ([], 0)
    assert keys(b"c", b"") == ([], 0)
    assert keys(b"c", b"", revision=5) == ([b"c"], 1)
    assert store.range(b"a", b"", revision=3).revision == 6  # the header is current


def test_range_revision_errors(store: KVStore) -> None:
    for i in range(5):
        put(store, b"k", str(i).encode())
    with pytest.raises(errors.EtcdError) as e:
        store.range(b"k", b"", revision=7)
    assert e.value == errors.FUTURE_REV
    store.compact(4)
    assert get(store, b"k", rev=4).value == b"2"  # exactly the compact revision
    with pytest.raises(errors.EtcdError) as e:
        store.range(b"k", b"", revision=3)
    assert e.value == errors.COMPACTED
    assert get(store, b"k").value == b"4"


def test_one_txn_shares_a_revision(store: KVStore) -> None:
    with store.write(9) as t:
        assert t.revision == 1
        assert t.put(b"a", b"1", 0) is None
        assert t.revision == 2
        prev = t.put(b"a", b"2", 0)
        assert (prev.value, prev.version) == (b"1", 1)
        t.put(b"b", b"1", 0)
        assert [kv.key for kv in t.delete_range(b"b", b"\x00")] == [b"b"]
        events = t.end()
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in events] == [
        (PUT, b"a", 2),
        (PUT, b"a", 2),
        (PUT, b"b", 2),
        (DELETE, b"b", 2),
    ]
    assert events[1].kv.version == 2
    assert not events[1].HasField("prev_kv")  # nothing before the transaction
    assert bucket(store) == [
        (Revision(2, 0), False),
        (Revision(2, 1), False),
        (Revision(2, 2), False),
        (Revision(2, 3), True),
    ]
    assert (store.current_revision, store.consistent_index) == (2, 9)
    assert get(store, b"a").version == 2
    assert get(store, b"b") is None


def test_reads_in_a_write_txn_see_its_writes(store: KVStore) -> None:
    put(store, b"a", b"old")
    put(store, b"c", b"c")
    with store.write(3) as t:
        t.put(b"a", b"new", 0)
        t.put(b"b", b"b", 0)
        t.delete_range(b"c", b"")
        r = t.range(b"a", b"\x00")
        assert ([kv.value for kv in r.kvs], r.count, r.revision) == ([b"new", b"b"], 2, 4)
        assert t.range(b"a", b"\x00", limit=1).count == 2
        assert t.range(b"a", b"\x00", count_only=True).count == 2
        assert t.range(b"c", b"").kvs == []
        before = t.range(b"a", b"\x00", revision=3)
        assert [kv.value for kv in before.kvs] == [b"old", b"c"]
        # outside the transaction nothing is visible yet
        assert get(store, b"a").value == b"old"
        with pytest.raises(errors.EtcdError):
            t.range(b"a", b"", revision=5)
        t.end()
    assert get(store, b"a").value == b"new"


def test_txn_without_changes_records_consistent_index(store: KVStore) -> None:
    put(store, b"a", b"1")
    with store.write(42) as t:
        assert t.range(b"a", b"").revision == 2
        assert t.end() == []
    assert (store.current_revision, store.consistent_index) == (2, 42)
    assert reopen(store).consistent_index == 42


def test_abort_changes_nothing(store: KVStore) -> None:
    put(store, b"a", b"1")

    def state() -> tuple:
        return bucket(store), store.current_revision, store.consistent_index, snapshot(store)

    before = state()
    with pytest.raises(RuntimeError), store.write(99) as t:
        t.put(b"a", b"2", 0)
        t.put(b"b", b"2", 0)
        raise RuntimeError("boom")
    with store.write(100) as t:
        t.delete_range(b"a", b"\x00")
        t.abort()
    with store.write(101) as t:
        t.put(b"z", b"", 0)  # no end(): leaving the block aborts
    assert state() == before


def test_events_carry_prev_kv(store: KVStore) -> None:
    put(store, b"a", b"1")
    [ev] = put(store, b"a", b"2")
    assert ev.type == PUT and ev.kv.value == b"2" and ev.prev_kv.value == b"1"
    [first] = put(store, b"new", b"x")
    assert not first.HasField("prev_kv")


def test_compaction(store: KVStore) -> None:
    put(store, b"a", b"1")  # 2
    put(store, b"a", b"2")  # 3
    put(store, b"b", b"1")  # 4
    delete(store, b"b")  # 5
    put(store, b"a", b"3")  # 6
    store.compact(5)
    assert store.compact_revision == 5
    # a@3 is kept (newest at 5); b's whole life ended by 5 and is gone
    assert bucket(store) == [(Revision(3, 0), False), (Revision(6, 0), False)]
    assert get(store, b"a", rev=5).value == b"2"
    assert get(store, b"b", rev=5) is None
    for bad, err in ((5, errors.COMPACTED), (4, errors.COMPACTED), (7, errors.FUTURE_REV)):
        with pytest.raises(errors.EtcdError) as e:
            store.compact(bad)
        assert e.value == err
    store.compact(6)
    assert bucket(store) == [(Revision(6, 0), False)]
    kv = get(store, b"a")
    assert (kv.create_revision, kv.version) == (2, 3)


def test_restore_after_reopen(store: KVStore) -> None:
    put(store, b"a", b"1")
    put(store, b"b", b"1", lease=5)
    put(store, b"a", b"2")
    delete(store, b"b")
    put(store, b"b", b"again")
    put(store, b"c", b"1")
    put(store, b"a", b"3")
    store.compact(4)
    put(store, b"c", b"2")
    before = snapshot(store)
    state = (store.current_revision, store.compact_revision, store.consistent_index)
    again = reopen(store)
    assert (again.current_revision, again.compact_revision, again.consistent_index) == state
    assert snapshot(again) == before
    put(again, b"a", b"4")
    kv = get(again, b"a")
    assert (kv.create_revision, kv.version, kv.mod_revision) == (2, 4, state[0] + 1)


def test_restore_after_compacting_everything_away(store: KVStore) -> None:
    put(store, b"a", b"1")
    put(store, b"b", b"1")
    delete(store, b"a", b"\x00")
    store.compact(4)
    assert bucket(store) == []
    again = reopen(store)
    assert (again.current_revision, again.compact_revision) == (4, 4)
    put(again, b"a", b"x")
    assert get(again, b"a").mod_revision == 5


def test_defragment_and_copy_keep_everything(store: KVStore, tmp_path: Path) -> None:
    for i in range(200):
        put(store, b"k%03d" % (i % 20), b"v" * 500)
    store.compact(150)
    before = snapshot(store)
    size = store.backend.size()
    assert 0 < store.backend.size_in_use() <= size
    store.backend.defragment()
    assert store.backend.size() < size
    assert snapshot(store) == before
    put(store, b"after", b"1")
    copy = str(tmp_path / "copy")
    store.backend.copy_to(copy)
    other = KVStore(Backend(copy, map_size=64 << 20))
    assert snapshot(other) == snapshot(store)
    assert other.hash_kv() == store.hash_kv()
    other.backend.close()


def test_history(store: KVStore) -> None:
    put(store, b"a", b"1")  # 2
    with store.write(0) as t:  # 3
        t.put(b"b", b"1", 0)
        t.put(b"a", b"2", 0)
        t.end()
    delete(store, b"a")  # 4
    evs = store.history(2, 4)
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in evs] == [
        (PUT, b"a", 2),
        (PUT, b"b", 3),
        (PUT, b"a", 3),
        (DELETE, b"a", 4),
    ]
    assert evs[3].kv.value == b"" and evs[3].kv.version == 0
    assert [e.kv.mod_revision for e in store.history(3, 3)] == [3, 3]
    assert store.history(5, 10) == []
    assert store.prev_kv(evs[3]).value == b"2"
    assert store.prev_kv(evs[0]) is None
    store.compact(3)
    with pytest.raises(errors.EtcdError) as e:
        store.history(2, 4)
    assert e.value == errors.COMPACTED
    # from the compact revision itself: what compaction kept there
    assert [(e.kv.key, e.type) for e in store.history(3, 4)] == [
        (b"b", PUT),
        (b"a", PUT),
        (b"a", DELETE),
    ]
    assert store.prev_kv(evs[1]) is None  # revision 2 is compacted


def test_hash_kv(store: KVStore, path: str) -> None:
    put(store, b"foo", b"bar")
    h, compact, current = store.hash_kv()
    stored = rev_to_bytes(Revision(2, 0)) + bytes.fromhex("0a03666f6f1002180220012a03626172")
    assert (h, compact, current) == (crc32c(b"key" + stored), -1, 2)
    put(store, b"foo", b"baz")
    put(store, b"x", b"y")
    h3 = store.hash_kv(3)[0]
    assert h3 != h and store.hash_kv()[0] != h3
    assert store.hash_kv(2)[0] == h  # later writes do not change a past hash
    again = reopen(store)
    assert again.hash_kv(3)[0] == h3
    with pytest.raises(errors.EtcdError) as e:
        again.hash_kv(5)
    assert e.value == errors.FUTURE_REV
    again.compact(3)
    with pytest.raises(errors.EtcdError) as e:
        again.hash_kv(3)  # etcd's HashKV refuses the compact revision itself
    assert e.value == errors.COMPACTED
    assert again.hash_kv()[1:] == (3, 4)


def test_hash_kv_agrees_across_members(tmp_path: Path) -> None:
    members = [KVStore(Backend(str(tmp_path / f"m{i}"), map_size=64 << 20)) for i in range(2)]
    for s in members:
        for i in range(10):
            put(s, b"k%d" % (i % 3), b"%d" % i)
        delete(s, b"k1")
    members[0].compact(6)
    members[1].compact(4)
    members[1].compact(6)
    assert members[0].hash_kv() == members[1].hash_kv()
    assert members[0].hash() != 0


def test_hash_changes_with_writes(store: KVStore) -> None:
    h = store.hash()
    assert store.hash() == h
    put(store, b"a", b"1")
    assert store.hash() != h


def test_crc32c_known_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283
