"""Revisions and their byte layout in the key bucket, as etcd lays them out.

A revision is a (main, sub) pair: ``main`` is the store revision a write
transaction commits at, ``sub`` numbers the changes inside that transaction.
In the backend a revision is 8 bytes of big-endian main, ``_``, 8 bytes of
big-endian sub, plus a trailing ``t`` when the record is a tombstone, so
records sort in revision order and the bytes match etcd's.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

_LAYOUT = struct.Struct(">Q1sQ")
_MARK = b"_"
TOMBSTONE_MARK = b"t"
REV_BYTES_LEN = _LAYOUT.size


class Revision(NamedTuple):
    """One change: the transaction's main revision and its index in it."""

    main: int
    sub: int


def pack_rev(main: int, sub: int) -> bytes:
    """The 17-byte bucket key of a live record, without building a Revision."""
    return _LAYOUT.pack(main, _MARK, sub)


def rev_to_bytes(rev: Revision, tombstone: bool = False) -> bytes:
    """The bucket key of ``rev``: 17 bytes, 18 with the tombstone mark."""
    b = _LAYOUT.pack(rev[0], _MARK, rev[1])
    return b + TOMBSTONE_MARK if tombstone else b


def bytes_to_rev(b: bytes) -> tuple[Revision, bool]:
    """Decode a bucket key into its revision and whether it is a tombstone."""
    main, _, sub = _LAYOUT.unpack_from(b)
    return Revision(main, sub), len(b) == REV_BYTES_LEN + 1 and b[-1:] == TOMBSTONE_MARK
