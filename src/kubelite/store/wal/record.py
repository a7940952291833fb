"""Framing of write-ahead log records: pure encode and decode, no file access.

A record is a 13-byte header followed by its payload::

    crc     u32  crc32 of everything after this field (prev, length, type, payload)
    prev    u32  the crc of the record before it (0 before the very first record)
    length  u32  payload length in bytes
    type    u8   a RecordType
    payload      `length` bytes (a protobuf message, see RecordType)

All integers are little-endian. Each record names the checksum of its
predecessor, so the records form a chain: a record that was damaged, moved,
or taken from another log breaks it. Because the header carries `prev`, a
record can also be checked on its own, which is how a reader tells a torn
tail (nothing intact after the damage) from damage in the middle of a log
(intact records follow it).
"""

from __future__ import annotations

import enum
import struct
import zlib
from dataclasses import dataclass

_HEADER = struct.Struct("<IIIB")
_COVERED = struct.Struct("<IIB")
HEADER_SIZE = _HEADER.size


class RecordType(enum.IntEnum):
    """What a record's payload holds."""

    METADATA = 1  # raft_pb2.WalMetadata, first record of every segment
    ENTRY = 2  # raft_pb2.Entry
    HARD_STATE = 3  # raft_pb2.HardState
    SNAPSHOT = 4  # raft_pb2.SnapshotMetadata: a snapshot exists at index/term


_TYPES = frozenset(int(t) for t in RecordType)


def append_record(out: bytearray, rtype: RecordType, payload: bytes, prev: int) -> int:
    """Append one framed record to `out`, chained after `prev`; return its crc."""
    covered = _COVERED.pack(prev, len(payload), rtype)
    crc = zlib.crc32(payload, zlib.crc32(covered))
    out += _HEADER.pack(crc, prev, len(payload), rtype)
    out += payload
    return crc


@dataclass(frozen=True)
class Record:
    """A decoded record and where it starts in its buffer."""

    offset: int
    type: RecordType
    payload: bytes


@dataclass(frozen=True)
class Decoded:
    """The outcome of decoding a buffer of records.

    `records` are the intact, chained records from the start; `end` is where
    they stop and `last_crc` the crc of the last one (or the `prev` given
    when there are none). `problem` says why decoding stopped before the end
    of the buffer; `chain_broken` is true when the record at `end` is intact
    on its own but does not follow its predecessor, which no torn write can
    produce.
    """

    records: list[Record]
    end: int
    last_crc: int
    problem: str | None = None
    chain_broken: bool = False


def decode(data: bytes, prev: int | None) -> Decoded:
    """Decode records from the start of `data`, each chained after the last.

    `prev` is the crc the first record must name, or None when it cannot be
    known (the record before it is gone).
    """
    view = memoryview(data)
    size = len(data)
    records: list[Record] = []
    pos = 0
    last = 0 if prev is None else prev
    while pos < size:
        if size - pos < HEADER_SIZE:
            return Decoded(records, pos, last, f"incomplete record header ({size - pos} bytes)")
        crc, rprev, length, rtype = _HEADER.unpack_from(data, pos)
        end = pos + HEADER_SIZE + length
        if rtype not in _TYPES:
            return Decoded(records, pos, last, f"unknown record type {rtype}")
        if end > size:
            problem = f"incomplete record ({size - pos - HEADER_SIZE} of {length} payload bytes)"
            return Decoded(records, pos, last, problem)
        if zlib.crc32(view[pos + 4 : end]) != crc:
            return Decoded(records, pos, last, "checksum mismatch")
        if prev is not None and rprev != prev:
            return Decoded(
                records, pos, last, "record does not follow the one before it", chain_broken=True
            )
        records.append(Record(pos, RecordType(rtype), bytes(view[pos + HEADER_SIZE : end])))
        prev = last = crc
        pos = end
    return Decoded(records, pos, last)


def find_intact_record(data: bytes, start: int) -> int | None:
    """The offset of the first record at or after `start` that checks out on its own."""
    size = len(data)
    if data.count(0, start) == size - start:
        return None
    view = memoryview(data)
    for pos in range(start, size - HEADER_SIZE + 1):
        if data[pos + 12] not in _TYPES:
            continue
        crc, _, length, _ = _HEADER.unpack_from(data, pos)
        end = pos + HEADER_SIZE + length
        if end <= size and zlib.crc32(view[pos + 4 : end]) == crc:
            return pos
    return None
