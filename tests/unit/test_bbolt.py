"""Unit tests for the bbolt writer and the export of the backend in etcd's layout.

A small bbolt reader here reads the files back and checks what bbolt's own
consistency check (``tx.Check``, run by ``etcdctl snapshot status``) checks:
valid meta pages, every page below the high-water mark either reachable
exactly once or free, and keys in order with branch keys matching their
children. ``etcdctl snapshot status`` then reads the same files itself.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2
from kubelite.store.identity import Member
from kubelite.store.mvcc import bbolt
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.bbolt_export import lease_record, member_record, write_etcd_snapshot
from kubelite.store.mvcc.kvstore import KVStore, crc32c
from kubelite.store.mvcc.revision import Revision, rev_to_bytes

ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
PS = bbolt.PAGE_SIZE


class Reader:
    """Reads a bbolt file, checking its structure as it goes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        metas = [self._meta(i) for i in (0, 1)]
        self.meta = max(metas, key=lambda m: m["txid"])
        assert len(data) == self.meta["pgid"] * PS, "file size is not the high-water mark"
        self.reached: dict[int, int] = {0: 0, 1: 1}
        self.free = self._freelist(self.meta["freelist"])

    def header(self, pgid: int) -> tuple[int, int, int, int]:
        return struct.unpack_from("<QHHI", self.data, pgid * PS)

    def _meta(self, pgid: int) -> dict[str, int]:
        pid, flags, _, _ = self.header(pgid)
        assert (pid, flags) == (pgid, bbolt.META_PAGE)
        off = pgid * PS + 16
        fields = struct.unpack_from("<IIIIQQQQQQ", self.data, off)
        names = ("magic", "version", "page_size", "flags", "root", "sequence",
                 "freelist", "pgid", "txid", "checksum")
        meta = dict(zip(names, fields, strict=True))
        assert meta["magic"] == 0xED0CDAED and meta["version"] == 2
        assert meta["page_size"] == PS
        assert meta["checksum"] == bbolt.fnv1a_64(self.data[off:off + 56])
        return meta

    def _reach(self, pgid: int) -> tuple[int, int, int]:
        pid, flags, count, overflow = self.header(pgid)
        assert pid == pgid, f"page {pgid} says it is {pid}"
        for p in range(pgid, pgid + overflow + 1):
            assert p not in self.reached, f"page {p}: multiple references"
            assert p < self.meta["pgid"], f"page {p}: out of bounds"
            self.reached[p] = pgid
        return flags, count, overflow

    def _freelist(self, pgid: int) -> list[int]:
        flags, count, _ = self._reach(pgid)
        assert flags == bbolt.FREELIST_PAGE
        off = pgid * PS + 16
        if count == 0xFFFF:
            (count,) = struct.unpack_from("<Q", self.data, off)
            off += 8
        return list(struct.unpack_from(f"<{count}Q", self.data, off))

    def _leaf_items(self, buf: bytes, off: int, count: int) -> list[tuple[int, bytes, bytes]]:
        items = []
        for i in range(count):
            e = off + 16 + 16 * i
            flags, pos, ksize, vsize = struct.unpack_from("<IIII", buf, e)
            k = buf[e + pos:e + pos + ksize]
            items.append((flags, k, buf[e + pos + ksize:e + pos + ksize + vsize]))
        return items

    def _tree(self, pgid: int, depth: int = 0) -> list[tuple[int, bytes, bytes]]:
        flags, count, _ = self._reach(pgid)
        off = pgid * PS
        if flags == bbolt.LEAF_PAGE:
            return self._leaf_items(self.data, off, count)
        assert flags == bbolt.BRANCH_PAGE, f"page {pgid}: invalid type {flags}"
        assert count > 0
        items: list[tuple[int, bytes, bytes]] = []
        for i in range(count):
            e = off + 16 + 16 * i
            pos, ksize, child = struct.unpack_from("<IIQ", self.data, e)
            key = self.data[e + pos:e + pos + ksize]
            sub = self._tree(child, depth + 1)
            assert sub and sub[0][1] == key, "branch key is not its child's first key"
            items += sub
        self.depth = max(getattr(self, "depth", 0), depth + 1)
        return items

    def bucket(self, value: bytes) -> list[tuple[bytes, bytes]]:
        root, _ = struct.unpack_from("<QQ", value)
        if root == 0:
            _, flags, count, _ = struct.unpack_from("<QHHI", value, 16)
            assert flags == bbolt.LEAF_PAGE
            items = self._leaf_items(value, 16, count)
        else:
            items = self._tree(root)
        keys = [k for _, k, _ in items]
        assert keys == sorted(set(keys)), "keys out of order"
        assert all(f == 0 for f, _, _ in items), "nested buckets"
        return [(k, v) for _, k, v in items]

    def read(self) -> dict[bytes, list[tuple[bytes, bytes]]]:
        top = self._tree(self.meta["root"])
        names = [k for _, k, _ in top]
        assert names == sorted(set(names))
        out = {}
        for flags, name, value in top:
            assert flags == bbolt.BUCKET_LEAF
            out[name] = self.bucket(value)
        unreached = set(range(self.meta["pgid"])) - set(self.reached) - set(self.free)
        assert not unreached, f"pages unreachable and not free: {sorted(unreached)[:10]}"
        assert not set(self.reached) & set(self.free), "pages reachable and free"
        return out


def status(path: Path) -> dict:
    out = subprocess.run([ETCDCTL, "snapshot", "status", str(path), "-w", "json"],
                         capture_output=True, text=True, timeout=30,
                         env={"ETCDCTL_API": "3", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def expected_hash(buckets: dict[bytes, list[tuple[bytes, bytes]]]) -> int:
    """The CRC-32C etcdctl snapshot status computes: every bucket's name,
    then its keys and values, in order."""
    crc = 0
    for name in sorted(buckets):
        crc = crc32c(name, crc)
        for k, v in buckets[name]:
            crc = crc32c(v, crc32c(k, crc))
    return crc


def key_records(n: int, value_size: int = 100) -> list[tuple[bytes, bytes]]:
    return [(rev_to_bytes(Revision(i, 0)), f"v{i}".encode().ljust(value_size, b".")) for i in
            range(1, n + 1)]


@pytest.fixture
def big() -> dict[bytes, list[tuple[bytes, bytes]]]:
    records = key_records(20000)
    records[5000] = (records[5000][0], b"x" * 300_000)  # runs into overflow pages
    return {
        b"key": records,
        b"meta": [(b"consistent_index", struct.pack(">Q", 7))],
        b"empty": [],
        b"huge": [(b"only", bytes(range(256)) * 40)],
        b"mid": [(b"k%04d" % i, b"v" * 30) for i in range(30)],  # just over inline size
    }


def test_fnv1a_64() -> None:
    assert bbolt.fnv1a_64(b"") == 0xCBF29CE484222325
    assert bbolt.fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert bbolt.fnv1a_64(b"foobar") == 0x85944171F73967E8


def test_round_trip_with_branches_and_overflow(big) -> None:
    data = bbolt.db_bytes(big.items())
    r = Reader(data)
    assert r.read() == big
    assert r.free == []
    assert r.depth >= 2  # leaves under branches under a root branch
    overflowing = [p for p in r.reached if r.header(p)[3] and r.reached[p] == p]
    assert overflowing, "no page with overflow pages"
    # the small buckets are inline, the others have pages of their own
    top = {k: v for _, k, v in r._leaf_items(data, r.meta["root"] * PS,
                                               r.header(r.meta["root"])[2])}
    roots = {name: struct.unpack_from("<Q", v)[0] for name, v in top.items()}
    assert roots[b"empty"] == 0 and roots[b"meta"] == 0
    assert roots[b"key"] and roots[b"huge"] and roots[b"mid"]


def test_pages_within_page_size_unless_one_element(big) -> None:
    r = Reader(bbolt.db_bytes(big.items()))
    r.read()
    for pgid, first in r.reached.items():
        _, flags, count, overflow = r.header(pgid)
        if pgid == first and overflow:
            assert count == 1, f"page {pgid} with {count} elements overflows"


def test_empty_database() -> None:
    r = Reader(bbolt.db_bytes([]))
    assert r.read() == {}
    assert r.meta["pgid"] == 4


def test_refuses_unordered_or_bad_keys() -> None:
    with pytest.raises(ValueError, match="increasing"):
        bbolt.db_bytes([(b"b", [(b"2", b""), (b"1", b"")])])
    with pytest.raises(ValueError, match="increasing"):
        bbolt.db_bytes([(b"b", [(b"1", b""), (b"1", b"")])])
    with pytest.raises(ValueError, match="increasing"):
        bbolt.db_bytes([(b"b", []), (b"b", [])])
    with pytest.raises(ValueError, match="empty key"):
        bbolt.db_bytes([(b"b", [(b"", b"x")])])


def test_many_free_ids_freelist_page() -> None:
    page = bbolt.freelist_page(2, list(range(10, 70010)))
    assert len(page) % PS == 0
    pgid, flags, count, overflow = struct.unpack_from("<QHHI", page)
    assert (pgid, flags, count) == (2, bbolt.FREELIST_PAGE, 0xFFFF)
    assert overflow == len(page) // PS - 1
    assert struct.unpack_from("<QQ", page, 16) == (70000, 10)


def test_etcdctl_reads_it(tmp_path: Path, big) -> None:
    path = tmp_path / "snap.db"
    with open(path, "wb") as f:
        bbolt.write_db(f, big.items())
    st = status(path)
    assert st["revision"] == 20000
    assert st["totalKey"] == sum(len(v) for v in big.values())
    assert st["totalSize"] == path.stat().st_size
    assert st["hash"] == expected_hash(big)


def _leasepb_lease() -> type:
    """etcd's leasepb.Lease, built from its field numbers with protobuf."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    f = descriptor_pb2.FileDescriptorProto(name="test_leasepb.proto", package="testleasepb",
                                           syntax="proto3")
    msg = f.message_type.add(name="Lease")
    for number, name in enumerate(("ID", "TTL", "RemainingTTL"), 1):
        msg.field.add(name=name, number=number, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("testleasepb.Lease"))


def test_lease_record_is_leasepb() -> None:
    lease = _leasepb_lease()
    for args in [(1, 60, 0), (0x694D7A3E0E4C8B05, 3600, 10), (-1, 0, 0), (7, 0, -5)]:
        want = lease(ID=args[0], TTL=args[1], RemainingTTL=args[2]).SerializeToString()
        assert lease_record(*args) == want
    assert lease_record(1, 60) == b"\x08\x01\x10\x3c"


def test_member_record_as_etcd_writes_it() -> None:
    m = Member(0xDA3C999F1E3C333B, "default", ("http://127.0.0.1:2380",),
               ("http://127.0.0.1:2379",))
    assert member_record(m) == (
        b"da3c999f1e3c333b",
        b'{"id":15725612907557040955,"peerURLs":["http://127.0.0.1:2380"],'
        b'"name":"default","clientURLs":["http://127.0.0.1:2379"]}',
    )


def test_export_in_etcd_layout(tmp_path: Path) -> None:
    store = KVStore(Backend(str(tmp_path / "db"), map_size=64 << 20))
    b = store.backend
    try:
        for i, (key, value) in enumerate([(b"a", b"1"), (b"a", b"2"), (b"b", b"3")], 1):
            with store.write(i) as t:
                t.put(key, value, 0)
                t.end()
        store.compact(2)
        with b.write() as txn:
            txn.put(struct.pack(">q", 42), struct.pack(">qq", 42, 600), db=b.lease_db)
        with b.read() as txn:
            records = list(txn.cursor(db=b.key_db))
        member = Member(0x10, "one", ("http://127.0.0.1:1",))
        path = tmp_path / "snap.db"
        write_etcd_snapshot(b, str(path), [member], [(0x10, rpc_pb2.NOSPACE)], "3.4.0")
    finally:
        b.close()
    got = Reader(path.read_bytes()).read()
    alarm = rpc_pb2.AlarmMember(memberID=0x10, alarm=rpc_pb2.NOSPACE).SerializeToString()
    assert got == {
        b"alarm": [(alarm, b"")],
        b"auth": [(b"authRevision", struct.pack(">Q", 1))],
        b"authRoles": [],
        b"authUsers": [],
        b"cluster": [(b"clusterVersion", b"3.4.0")],
        b"key": records,
        b"lease": [(struct.pack(">q", 42), lease_record(42, 600))],
        b"members": [member_record(member)],
        b"members_removed": [],
        b"meta": [
            (b"consistent_index", struct.pack(">Q", 3)),
            (b"finishedCompactRev", rev_to_bytes(Revision(2, 0))),
            (b"scheduledCompactRev", rev_to_bytes(Revision(2, 0))),
        ],
    }
    st = status(path)
    assert st["revision"] == 4 and st["hash"] == expected_hash(got)
