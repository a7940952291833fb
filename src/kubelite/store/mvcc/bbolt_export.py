"""The backend as etcd 3.4 would have it: a bbolt file in etcd's bucket layout.

This is what Maintenance.Snapshot streams, so that ``etcdctl snapshot
status`` reads a kubelite snapshot and ``etcdctl snapshot restore`` turns it
into a real etcd's data directory. ``etcd_buckets`` maps the LMDB backend
(as one read transaction sees it) and the server's membership to etcd's
buckets and value formats; ``write_etcd_snapshot`` writes them with the
bbolt writer.

- ``key``: the revision records, byte for byte (they are etcd's already);
- ``meta``: ``consistent_index`` (8-byte big-endian) and, once the store was
  compacted, ``scheduledCompactRev`` and ``finishedCompactRev`` as 17-byte
  revisions;
- ``lease``: each lease's ``leasepb.Lease`` under its 8-byte big-endian ID;
- ``members``: each member's JSON under its hex ID; ``cluster``: the cluster
  version; ``auth``: the auth revision (1, auth never being enabled here);
  ``alarm``: each raised alarm's ``AlarmMember``; ``members_removed``,
  ``authUsers``, ``authRoles``: empty. etcd fills these at startup; having
  them makes the snapshot hold what an etcd snapshot of the same data holds.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterable, Iterator, Sequence

import lmdb

from kubelite.etcdpb.etcdserverpb import rpc_pb2
from kubelite.store.identity import Member
from kubelite.store.mvcc import bbolt
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.kvstore import CONSISTENT_INDEX, FINISHED_COMPACT, SCHEDULED_COMPACT
from kubelite.store.mvcc.revision import Revision, rev_to_bytes

AUTH_REVISION = 1  # what etcd's auth store starts at and stays at without auth changes
_KUBELITE_LEASE = struct.Struct(">qq")  # the lease db's values: id, granted TTL
_U64 = struct.Struct(">Q")

Buckets = list[tuple[bytes, Iterable[tuple[bytes, bytes]]]]


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # a negative int64 is encoded as its two's complement
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def lease_record(lease_id: int, ttl: int, remaining_ttl: int = 0) -> bytes:
    """etcd's ``leasepb.Lease`` (ID = 1, TTL = 2, RemainingTTL = 3, all
    int64), zero fields left out as proto3 does."""
    out = b""
    for tag, value in ((0x08, lease_id), (0x10, ttl), (0x18, remaining_ttl)):
        if value:
            out += bytes([tag]) + _varint(value)
    return out


def member_record(member: Member) -> tuple[bytes, bytes]:
    """A member as etcd 3.4 stores it in the members bucket (Go's JSON of
    its Member: empty name and client URLs left out)."""
    doc: dict[str, object] = {"id": member.id, "peerURLs": list(member.peer_urls)}
    if member.name:
        doc["name"] = member.name
    if member.client_urls:
        doc["clientURLs"] = list(member.client_urls)
    return format(member.id, "x").encode(), json.dumps(doc, separators=(",", ":")).encode()


def _leases(txn: lmdb.Transaction, backend: Backend) -> Iterator[tuple[bytes, bytes]]:
    # Same 8-byte big-endian keys, so the order is the same too.
    for key, value in txn.cursor(db=backend.lease_db):
        lease_id, ttl = _KUBELITE_LEASE.unpack(value)
        yield key, lease_record(lease_id, ttl)


def _meta(txn: lmdb.Transaction, backend: Backend) -> list[tuple[bytes, bytes]]:
    meta = {CONSISTENT_INDEX: _U64.pack(backend.get_meta_int(txn, CONSISTENT_INDEX, 0))}
    for name in (SCHEDULED_COMPACT, FINISHED_COMPACT):
        rev = backend.get_meta_int(txn, name, -1)
        if rev >= 0:
            meta[name] = rev_to_bytes(Revision(rev, 0))
    return sorted(meta.items())


def etcd_buckets(txn: lmdb.Transaction, backend: Backend, members: Sequence[Member],
                 alarms: Iterable[tuple[int, int]], cluster_version: str) -> Buckets:
    """etcd's buckets over the backend as ``txn`` sees it; the key and lease
    buckets are read lazily, so write them while ``txn`` is open."""
    alarm_keys = sorted(
        rpc_pb2.AlarmMember(memberID=m, alarm=a).SerializeToString() for m, a in alarms
    )
    return [
        (b"alarm", [(k, b"") for k in alarm_keys]),
        (b"auth", [(b"authRevision", _U64.pack(AUTH_REVISION))]),
        (b"authRoles", []),
        (b"authUsers", []),
        (b"cluster", [(b"clusterVersion", cluster_version.encode())]),
        (b"key", txn.cursor(db=backend.key_db)),
        (b"lease", _leases(txn, backend)),
        (b"members", sorted(member_record(m) for m in members)),
        (b"members_removed", []),
        (b"meta", _meta(txn, backend)),
    ]


def write_etcd_snapshot(backend: Backend, path: str, members: Sequence[Member] = (),
                        alarms: Iterable[tuple[int, int]] = (),
                        cluster_version: str = "3.4.0") -> None:
    """Write the backend, as one read transaction sees it, to ``path`` as an
    etcd 3.4 backend database, and make it durable."""
    with open(path, "wb") as f, backend.read() as txn:
        bbolt.write_db(f, etcd_buckets(txn, backend, members, alarms, cluster_version))
        f.flush()
        os.fsync(f.fileno())
