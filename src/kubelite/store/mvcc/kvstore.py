"""etcd's MVCC key-value store over the LMDB backend.

Every write transaction commits at the next main revision; each of its
changes is a record in the key bucket under its revision (a tombstone for a
delete), holding the serialized ``mvccpb.KeyValue`` exactly as etcd stores
it. The ``TreeIndex`` maps keys to revisions, so a read at any revision not
yet compacted finds the record it needs. The index is rebuilt from the key
bucket when the store opens.

The store is not thread-safe: run its calls on one thread, and open one
``TxnWrite`` at a time (LMDB allows a single writer).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import NamedTuple

import lmdb

from kubelite.etcdpb.mvccpb import kv_pb2
from kubelite.store import errors
from kubelite.store.mvcc import key_index
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.key_index import FROM_KEY
from kubelite.store.mvcc.revision import TOMBSTONE_MARK, Revision, bytes_to_rev, pack_rev

KeyValue = kv_pb2.KeyValue
Event = kv_pb2.Event

CONSISTENT_INDEX = b"consistent_index"
SCHEDULED_COMPACT = b"scheduledCompactRev"
FINISHED_COMPACT = b"finishedCompactRev"


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32 with the Castagnoli polynomial, continuing from ``crc``."""
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _main_prefix(main: int) -> bytes:
    """The first 8 bytes of every bucket key at main revision ``main``."""
    return main.to_bytes(8, "big")


class RangeResult(NamedTuple):
    """What a range read found; ``revision`` is the store's current revision."""

    kvs: list[kv_pb2.KeyValue]
    count: int
    revision: int


class KVStore:
    """etcd's MVCC store: revisions, ranges at a revision, compaction, hashes."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        with backend.read() as txn:
            self.consistent_index = backend.get_meta_int(txn, CONSISTENT_INDEX, 0)
            self.compact_revision = backend.get_meta_int(txn, FINISHED_COMPACT, -1)
            cursor = txn.cursor(db=backend.key_db)
            last = bytes_to_rev(cursor.key())[0].main if cursor.last() else 0
            cursor.first()
            self._index = key_index.restore(_index_records(cursor))
        self.current_revision = max(last, self.compact_revision, 1)

    # -- reads ---------------------------------------------------------------

    def _check_rev(self, revision: int, current: int) -> int:
        """The revision a read at ``revision`` sees, or etcd's error for it."""
        if revision <= 0:
            return current
        if revision > current:
            raise errors.FUTURE_REV
        if revision < self.compact_revision:
            raise errors.COMPACTED
        return revision

    def _load(self, txn: lmdb.Transaction, rev: Revision) -> kv_pb2.KeyValue:
        return KeyValue.FromString(txn.get(pack_rev(rev[0], rev[1]), db=self.backend.key_db))

    def _get(self, txn: lmdb.Transaction, key: bytes, at_rev: int) -> kv_pb2.KeyValue | None:
        hit = self._index.get(key, at_rev)
        return None if hit is None else self._load(txn, hit[0])

    def _read(
        self,
        txn: lmdb.Transaction,
        key: bytes,
        range_end: bytes,
        rev: int,
        limit: int,
        count_only: bool,
    ) -> tuple[list[kv_pb2.KeyValue], int]:
        index = self._index
        if count_only:
            return [], index.count(key, range_end, rev)
        pairs = index.range(key, range_end, rev, limit)
        n = len(pairs)
        count = index.count(key, range_end, rev) if 0 < limit == n else n
        get, db, parse = txn.get, self.backend.key_db, KeyValue.FromString
        return [parse(get(pack_rev(r[0], r[1]), db=db)) for _, r in pairs], count

    def range(
        self,
        key: bytes,
        range_end: bytes,
        *,
        revision: int = 0,
        limit: int = 0,
        count_only: bool = False,
    ) -> RangeResult:
        """The keys of a range at ``revision`` (<= 0: current).

        ``range_end`` is b"" for the single key, b"\\x00" for every key from
        ``key`` on, otherwise the exclusive end. ``count`` ignores ``limit``.
        """
        current = self.current_revision
        rev = self._check_rev(revision, current)
        with self.backend.read() as txn:
            kvs, count = self._read(txn, key, range_end, rev, limit, count_only)
        return RangeResult(kvs, count, current)

    # -- writes --------------------------------------------------------------

    def write(self, consistent_index: int) -> TxnWrite:
        """Open the write transaction that applies the raft entry at ``consistent_index``."""
        return TxnWrite(self, consistent_index)

    def compact(self, revision: int) -> None:
        """Forget every revision superseded at ``revision``."""
        if revision <= self.compact_revision:
            raise errors.COMPACTED
        if revision > self.current_revision:
            raise errors.FUTURE_REV
        keep = self._index.keep(revision)
        end = _main_prefix(revision + 1)
        b = self.backend
        with b.write() as txn:
            doomed = []
            for k in txn.cursor(db=b.key_db).iternext(values=False):
                if k >= end:
                    break
                if bytes_to_rev(k)[0] not in keep:
                    doomed.append(k)
            for k in doomed:
                txn.delete(k, db=b.key_db)
            b.put_meta_int(txn, SCHEDULED_COMPACT, revision)
            b.put_meta_int(txn, FINISHED_COMPACT, revision)
        self._index.compact(revision)
        self.compact_revision = revision

    # -- history, for watchers -----------------------------------------------

    def history(self, start_rev: int, end_rev: int) -> list[kv_pb2.Event]:
        """Every change with ``start_rev <= main revision <= end_rev``, in order.

        As etcd's watchers, starting at the compact revision itself is allowed
        (only what survived compaction there is left); before it is not.
        """
        if start_rev < self.compact_revision:
            raise errors.COMPACTED
        events: list[kv_pb2.Event] = []
        stop = _main_prefix(end_rev + 1)
        with self.backend.read() as txn:
            cursor = txn.cursor(db=self.backend.key_db)
            if not cursor.set_range(pack_rev(max(start_rev, 0), 0)):
                return events
            for k, v in cursor:
                if k >= stop:
                    break
                rev, tombstone = bytes_to_rev(k)
                ev = Event()
                ev.kv.ParseFromString(v)
                if tombstone:
                    ev.type = Event.DELETE
                    ev.kv.mod_revision = rev.main
                events.append(ev)
        return events

    def prev_kv(self, event: kv_pb2.Event) -> kv_pb2.KeyValue | None:
        """The event's key as it was just before the event's revision, if alive."""
        kv = event.kv
        try:
            kvs = self.range(kv.key, b"", revision=kv.mod_revision - 1).kvs
        except errors.EtcdError:
            return None
        return kvs[0] if kvs else None

    # -- hashes --------------------------------------------------------------

    def hash_kv(self, revision: int = 0) -> tuple[int, int, int]:
        """etcd 3.4's HashKV: (hash, compact revision, current revision).

        The CRC-32C runs over b"key" and then the raw key and value of each
        record up to ``revision`` (0: current); records at or below the
        compact revision count only if compaction at ``revision`` keeps them.
        """
        compact, current = self.compact_revision, self.current_revision
        if 0 < revision <= compact:
            raise errors.COMPACTED
        if revision > current:
            raise errors.FUTURE_REV
        rev = revision if revision > 0 else current
        keep = self._index.keep(rev)
        upper = _main_prefix(rev + 1)
        lower = _main_prefix(compact + 1)
        crc = crc32c(b"key")
        with self.backend.read() as txn:
            for k, v in txn.cursor(db=self.backend.key_db):
                if k >= upper:
                    break
                if k < lower and keep and bytes_to_rev(k)[0] not in keep:
                    continue
                crc = crc32c(v, crc32c(k, crc))
        return crc, compact, current

    def hash(self) -> int:
        """A CRC-32C over every record of the key and meta buckets."""
        b = self.backend
        crc = 0
        with b.read() as txn:
            for name, db in ((b"key", b.key_db), (b"meta", b.meta_db)):
                crc = crc32c(name, crc)
                for k, v in txn.cursor(db=db):
                    crc = crc32c(v, crc32c(k, crc))
        return crc


def _index_records(cursor: lmdb.Cursor) -> Iterator[tuple[Revision, bool, bytes, int, int]]:
    for k, v in cursor:
        rev, tombstone = bytes_to_rev(k)
        kv = KeyValue.FromString(v)
        yield rev, tombstone, kv.key, kv.create_revision, kv.version


_ABSENT = object()


class TxnWrite:
    """One write transaction: every change commits at one main revision.

    Changes go to the LMDB write transaction at once and to the index only
    when ``end()`` commits; reads inside the transaction see its own changes.
    Used as a context manager it aborts unless ``end()`` was called.
    """

    __slots__ = (
        "_store",
        "_consistent_index",
        "txn",
        "_begin",
        "_changes",
        "_pending",
        "_before",
        "_done",
    )

    def __init__(self, store: KVStore, consistent_index: int) -> None:
        self._store = store
        self._consistent_index = consistent_index
        self.txn = store.backend.write()
        self._begin = store.current_revision
        # (key, its event, is delete), in sub-revision order
        self._changes: list[tuple[bytes, kv_pb2.Event, bool]] = []
        # key -> its kv as of this transaction's changes (None: deleted)
        self._pending: dict[bytes, kv_pb2.KeyValue | None] = {}
        # key -> its kv before this transaction (None: absent)
        self._before: dict[bytes, kv_pb2.KeyValue | None] = {}
        self._done = False

    def __enter__(self) -> TxnWrite:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    @property
    def revision(self) -> int:
        """The revision this transaction commits at (unchanged if it wrote nothing)."""
        return self._begin + 1 if self._changes else self._begin

    def _append(self, rev_key: bytes, value: bytes) -> None:
        if not self.txn.put(rev_key, value, append=True, db=self._store.backend.key_db):
            raise RuntimeError(f"revision {bytes_to_rev(rev_key)} is not after the last one")

    def put(self, key: bytes, value: bytes, lease: int) -> kv_pb2.KeyValue | None:
        """Set ``key``; returns its previous live kv (in this transaction's view)."""
        pending = self._pending
        prev = pending.get(key, _ABSENT)
        if prev is _ABSENT:
            prev = self._before[key] = self._store._get(self.txn, key, self._begin)
        rev = self._begin + 1
        if prev is None:
            created, version = rev, 1
        else:
            created, version = prev.create_revision, prev.version + 1
        ev = Event()  # built here so the event needs no copy of the kv later
        kv = ev.kv
        kv.key = key
        kv.value = value
        kv.create_revision = created
        kv.mod_revision = rev
        kv.version = version
        kv.lease = lease
        self._append(pack_rev(rev, len(self._changes)), kv.SerializeToString())
        pending[key] = kv
        self._changes.append((key, ev, False))
        return prev

    def delete_range(self, key: bytes, range_end: bytes) -> list[kv_pb2.KeyValue]:
        """Delete the live keys of the range; returns their previous kvs."""
        prevs = self.range(key, range_end).kvs
        rev = self._begin + 1
        pending, before, changes = self._pending, self._before, self._changes
        for prev in prevs:
            k = prev.key
            self._append(
                pack_rev(rev, len(changes)) + TOMBSTONE_MARK, KeyValue(key=k).SerializeToString()
            )
            if k not in pending:
                before[k] = prev
            pending[k] = None
            ev = Event(type=Event.DELETE)
            ev.kv.key = k
            ev.kv.mod_revision = rev
            changes.append((k, ev, True))
        return prevs

    def range(
        self,
        key: bytes,
        range_end: bytes,
        *,
        revision: int = 0,
        limit: int = 0,
        count_only: bool = False,
    ) -> RangeResult:
        """As ``KVStore.range``, at this transaction's revision when it is current."""
        store = self._store
        current = self.revision
        rev = store._check_rev(revision, current)
        if rev > self._begin:
            kvs, count = self._read_own(key, range_end, limit, count_only)
        else:
            kvs, count = store._read(self.txn, key, range_end, rev, limit, count_only)
        return RangeResult(kvs, count, current)

    def _read_own(
        self, key: bytes, range_end: bytes, limit: int, count_only: bool
    ) -> tuple[list[kv_pb2.KeyValue], int]:
        """A read that merges this transaction's changes over the index."""
        store, pending = self._store, self._pending
        if not range_end:
            kv = pending.get(key, _ABSENT)
            if kv is _ABSENT:
                return store._read(self.txn, key, range_end, self._begin, limit, count_only)
            if kv is None:
                return [], 0
            return ([] if count_only else [kv]), 1
        from_key = range_end == FROM_KEY
        touched = [k for k in pending if key <= k and (from_key or k < range_end)]
        if not touched:
            return store._read(self.txn, key, range_end, self._begin, limit, count_only)
        merged: dict[bytes, Revision | kv_pb2.KeyValue] = dict(
            store._index.range(key, range_end, self._begin)
        )
        for k in touched:
            kv = pending[k]
            if kv is None:
                merged.pop(k, None)
            else:
                merged[k] = kv
        keys = sorted(merged)
        if count_only:
            return [], len(keys)
        shown = keys[:limit] if limit > 0 else keys
        kvs = []
        for k in shown:
            v = merged[k]
            kvs.append(v if isinstance(v, KeyValue) else store._load(self.txn, v))
        return kvs, len(keys)

    def end(self) -> list[kv_pb2.Event]:
        """Record the consistent index, commit, and return the changes as events."""
        store = self._store
        store.backend.put_meta_int(self.txn, CONSISTENT_INDEX, self._consistent_index)
        self._done = True
        self.txn.commit()
        store.consistent_index = self._consistent_index
        if not self._changes:
            return []
        rev = self._begin + 1
        index, before = store._index, self._before
        events = []
        for sub, (key, ev, deleted) in enumerate(self._changes):
            if deleted:
                index.tombstone(key, Revision(rev, sub))
            else:
                index.put(key, Revision(rev, sub))
            prev = before[key]
            if prev is not None:
                ev.prev_kv.CopyFrom(prev)
            events.append(ev)
        store.current_revision = rev
        return events

    def abort(self) -> None:
        """Discard every change (a no-op once ended or aborted)."""
        if not self._done:
            self._done = True
            self.txn.abort()
