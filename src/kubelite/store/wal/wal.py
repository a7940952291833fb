"""The store's write-ahead log: Raft entries and hard state, durable before they apply.

The log lives in `<data-dir>/member/wal` as a sequence of segment files named
`%016x-%016x.wal` (sequence number, first entry index the segment may hold;
the first segment is `0000000000000000-0000000000000000.wal`). Every segment
starts with a metadata record (the member's `WalMetadata`) followed, from the
second segment on, by the hard state current when it was cut, so that older
segments can be released without losing it. Records are framed by
`kubelite.store.wal.record`; their checksums chain across segment boundaries.

Writing is batched: `save()` only encodes records into memory, `sync()` writes
the whole batch with one `write` and one `fdatasync` (the group-commit point),
and cuts a new segment once the current one has grown past the size limit.

Reading (`WAL.open`) replays every segment from the one holding the snapshot
index. Damage at the very end of the last segment, with nothing intact after
it, is what a crash in the middle of a write leaves: it is logged and cut
off. Damage anywhere else means the log cannot be trusted, and `open` raises
`WALCorruptError` naming the file and offset.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import DecodeError, Message

from kubelite.store.raftpb import raft_pb2
from kubelite.store.wal.record import (
    Decoded,
    Record,
    RecordType,
    append_record,
    decode,
    find_intact_record,
)

log = logging.getLogger("kubelite.store.wal")

SEGMENT_BYTES = 64 << 20
_SEGMENT_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{16})\.wal$")
_TEMP_SUFFIX = ".tmp"


class WALCorruptError(Exception):
    """The write-ahead log is damaged somewhere a crash cannot explain."""


@dataclass
class WalContents:
    """What `WAL.open` read back.

    `entries` are those after the snapshot index, in order, with later
    writes of an index replacing earlier ones. `repaired` describes the torn
    tail that was cut off, or is None when the log was clean.
    """

    metadata: bytes
    hard_state: raft_pb2.HardState
    entries: list[raft_pb2.Entry]
    repaired: str | None = None


@dataclass(frozen=True)
class _Segment:
    seq: int
    index: int
    path: Path


def _segment_path(dirpath: Path, seq: int, index: int) -> Path:
    return dirpath / f"{seq:016x}-{index:016x}.wal"


def _list_segments(dirpath: Path) -> list[_Segment]:
    segments = []
    for path in dirpath.iterdir():
        m = _SEGMENT_NAME.match(path.name)
        if m:
            segments.append(_Segment(int(m[1], 16), int(m[2], 16), path))
    segments.sort(key=lambda s: s.seq)
    return segments


def _segments_from(segments: list[_Segment], snap_index: int) -> list[_Segment]:
    """The segment holding `snap_index` and all after it, checked to be contiguous."""
    start = None
    for i, seg in enumerate(segments):
        if seg.index <= snap_index:
            start = i
    if start is None:
        raise WALCorruptError(
            f"no WAL segment reaches back to snapshot index {snap_index}: "
            f"the oldest, {segments[0].path}, starts at index {segments[0].index}"
        )
    chosen = segments[start:]
    for a, b in zip(chosen, chosen[1:], strict=False):
        if b.seq != a.seq + 1 or b.index < a.index:
            raise WALCorruptError(
                f"WAL segments out of sequence: {b.path.name} follows {a.path.name} "
                f"(a segment is missing or misnamed)"
            )
    return chosen


def _parse(message: type[Message], path: Path, rec: Record) -> Message:
    try:
        return message.FromString(rec.payload)
    except DecodeError as e:
        raise WALCorruptError(
            f"{path} at offset {rec.offset}: {rec.type.name.lower()} record does not decode: {e}"
        ) from None


class _Replay:
    """Folds decoded records into the log they describe (pure: no I/O)."""

    def __init__(self, snapshot: raft_pb2.SnapshotMetadata) -> None:
        self.snap_index = snapshot.index
        self.snap_term = snapshot.term
        self.metadata: bytes | None = None
        self.hard_state: bytes | None = None
        self.entries: list[raft_pb2.Entry] = []
        self.snapshot_recorded = False  # a snapshot record matches the snapshot
        self.last_seen = 0  # the index of the last entry record, even one before the snapshot

    def add(self, path: Path, rec: Record) -> None:
        if (rec.offset == 0) != (rec.type == RecordType.METADATA):
            raise WALCorruptError(
                f"{path} at offset {rec.offset}: a segment must start with its metadata "
                f"record and hold no other (found {rec.type.name.lower()})"
            )
        if rec.type == RecordType.METADATA:
            if self.metadata is None:
                self.metadata = rec.payload
            elif rec.payload != self.metadata:
                raise WALCorruptError(f"{path}: metadata differs from the earlier segments'")
        elif rec.type == RecordType.HARD_STATE:
            _parse(raft_pb2.HardState, path, rec)
            self.hard_state = rec.payload
        elif rec.type == RecordType.SNAPSHOT:
            snap = _parse(raft_pb2.SnapshotMetadata, path, rec)
            if snap.index == self.snap_index:
                self._check_term(path, rec, "snapshot record", snap.term)
                self.snapshot_recorded = True
        else:
            self._add_entry(path, rec)

    def _add_entry(self, path: Path, rec: Record) -> None:
        entry = _parse(raft_pb2.Entry, path, rec)
        self.last_seen = entry.Index
        if entry.Index == self.snap_index:
            self._check_term(path, rec, "entry", entry.Term)
        if entry.Index <= self.snap_index:
            return
        pos = entry.Index - self.snap_index - 1
        if pos > len(self.entries):
            raise WALCorruptError(
                f"{path} at offset {rec.offset}: entry {entry.Index} leaves a gap after "
                f"index {self.snap_index + len(self.entries)}"
            )
        del self.entries[pos:]
        self.entries.append(entry)

    def _check_term(self, path: Path, rec: Record, what: str, term: int) -> None:
        if term != self.snap_term:
            raise WALCorruptError(
                f"{path} at offset {rec.offset}: {what} at the snapshot index {self.snap_index} "
                f"has term {term}, but the snapshot has term {self.snap_term}"
            )

    def contents(self, dirpath: Path, repaired: str | None) -> WalContents:
        if not self.snapshot_recorded and self.last_seen < self.snap_index:
            raise WALCorruptError(
                f"the WAL in {dirpath} ends at index {self.last_seen}, before the snapshot "
                f"at index {self.snap_index}, and has no record of that snapshot"
            )
        assert self.metadata is not None  # every segment read starts with one
        hard_state = raft_pb2.HardState.FromString(self.hard_state or b"")
        return WalContents(self.metadata, hard_state, self.entries, repaired)


def _judge_damage(seg: _Segment, data: bytes, dec: Decoded, last: bool) -> str:
    """Raise unless the damage `dec` found is a torn tail; return what to report."""
    where = f"corrupt WAL: {seg.path} at offset {dec.end}: {dec.problem}"
    if dec.chain_broken:
        raise WALCorruptError(f"{where} (records were lost or moved)")
    if not last:
        raise WALCorruptError(f"{where}, in a segment that is not the last")
    if dec.end == 0:
        raise WALCorruptError(f"{where}, so the segment has no metadata record")
    intact = find_intact_record(data, dec.end + 1)
    if intact is not None:
        raise WALCorruptError(f"{where}, followed by an intact record at offset {intact}")
    return (
        f"WAL {seg.path}: torn tail at offset {dec.end} ({dec.problem}), "
        f"cut off {len(data) - dec.end} bytes"
    )


def fsync_dir(dirpath: Path) -> None:
    """Make a directory's entries (created, renamed files) durable."""
    fd = os.open(dirpath, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | bytearray) -> None:
    """Write all of `data` to `fd`, however many calls it takes."""
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view) :]


def _create_segment(path: Path, data: bytes | bytearray) -> int:
    """Write a new segment durably (temp file, fsync, rename, fsync dir); return its fd."""
    tmp = path.with_name(path.name + _TEMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
        os.rename(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _remove_temp_files(dirpath: Path) -> None:
    for path in dirpath.glob("*.wal" + _TEMP_SUFFIX):
        log.info("removing %s, left over from an interrupted segment cut", path)
        path.unlink()


@dataclass
class _Tail:
    """Where appending continues: the open segment and the chain's end."""

    fd: int
    offset: int
    crc: int
    last_index: int
    hard_state: bytes | None
    segments: list[_Segment]


class WAL:
    """An open write-ahead log, appending to its last segment.

    One caller at a time: `save` and `sync` may run on different threads
    (e.g. `sync` through `asyncio.to_thread`) but never concurrently.
    """

    def __init__(self, dirpath: Path, metadata: bytes, tail: _Tail, segment_bytes: int) -> None:
        self._dir = dirpath
        self._metadata = metadata
        self._segment_bytes = segment_bytes
        self._fd: int | None = tail.fd
        self._offset = tail.offset
        self._crc = tail.crc
        self._last_index = tail.last_index
        self._hard_state = tail.hard_state
        self._segments = tail.segments
        self._pending = bytearray()

    @staticmethod
    def exists(dirpath: str | os.PathLike[str]) -> bool:
        """Whether `dirpath` holds at least one WAL segment."""
        path = Path(dirpath)
        return path.is_dir() and any(_SEGMENT_NAME.match(p.name) for p in path.iterdir())

    @classmethod
    def create(
        cls, dirpath: str | os.PathLike[str], metadata: bytes, segment_bytes: int = SEGMENT_BYTES
    ) -> WAL:
        """Start a new log: metadata and an empty snapshot record at index 0, made durable."""
        path = Path(dirpath)
        if cls.exists(path):
            raise FileExistsError(f"a WAL already exists in {path}")
        path.mkdir(parents=True, exist_ok=True)
        _remove_temp_files(path)
        buf = bytearray()
        crc = append_record(buf, RecordType.METADATA, metadata, 0)
        crc = append_record(buf, RecordType.SNAPSHOT, b"", crc)
        seg = _Segment(0, 0, _segment_path(path, 0, 0))
        fd = _create_segment(seg.path, buf)
        fsync_dir(path.parent)
        return cls(path, metadata, _Tail(fd, len(buf), crc, 0, None, [seg]), segment_bytes)

    @classmethod
    def open(
        cls,
        dirpath: str | os.PathLike[str],
        snapshot: raft_pb2.SnapshotMetadata | None,
        segment_bytes: int = SEGMENT_BYTES,
    ) -> tuple[WAL, WalContents]:
        """Read the log from the segment holding `snapshot`'s index and open it for appending.

        `snapshot` (None: the start of the log) must agree with the log: the
        log reaches its index or records it, and has the same term there. A
        torn tail is cut off (and reported in `WalContents.repaired`); any
        other damage raises `WALCorruptError`.
        """
        path = Path(dirpath)
        _remove_temp_files(path)
        segments = _list_segments(path)
        if not segments:
            raise FileNotFoundError(f"no WAL segments in {path}")
        snapshot = snapshot or raft_pb2.SnapshotMetadata()
        chosen = _segments_from(segments, snapshot.index)
        replay = _Replay(snapshot)
        repaired = None
        prev = 0 if chosen[0].seq == 0 else None
        for i, seg in enumerate(chosen):
            data = seg.path.read_bytes()
            dec = decode(data, prev)
            if dec.problem is not None:
                repaired = _judge_damage(seg, data, dec, last=i == len(chosen) - 1)
                log.warning("%s", repaired)
            if not dec.records:
                raise WALCorruptError(f"corrupt WAL: {seg.path} is empty (no metadata record)")
            for rec in dec.records:
                replay.add(seg.path, rec)
            prev = dec.last_crc
            end = dec.end
        contents = replay.contents(path, repaired)
        last = chosen[-1]
        fd = os.open(last.path, os.O_WRONLY | os.O_APPEND)
        if repaired is not None:
            os.ftruncate(fd, end)
            os.fsync(fd)
        last_index = contents.entries[-1].Index if contents.entries else snapshot.index
        tail = _Tail(fd, end, prev, last_index, replay.hard_state, segments)
        return cls(path, contents.metadata, tail, segment_bytes), contents

    def save(self, hard_state: raft_pb2.HardState | None, entries: list[raft_pb2.Entry]) -> None:
        """Encode `entries`, then `hard_state`, into the pending batch (no I/O)."""
        buf = self._pending
        crc = self._crc
        for entry in entries:
            crc = append_record(buf, RecordType.ENTRY, entry.SerializeToString(), crc)
        if entries:
            self._last_index = entries[-1].Index
        if hard_state is not None:
            self._hard_state = hard_state.SerializeToString()
            crc = append_record(buf, RecordType.HARD_STATE, self._hard_state, crc)
        self._crc = crc

    def sync(self) -> None:
        """Write the pending batch with one write and make it durable with one fdatasync."""
        if not self._pending:
            return
        fd = self._require_open()
        write_all(fd, self._pending)
        self._offset += len(self._pending)
        self._pending.clear()
        os.fdatasync(fd)
        if self._offset > self._segment_bytes:
            self._cut()

    def save_snapshot(self, meta: raft_pb2.SnapshotMetadata) -> None:
        """Record durably that a snapshot exists at `meta.index`/`meta.term`.

        `open` checks a snapshot against these records, so either order of
        this and writing the snapshot file is safe across a crash.
        """
        self._crc = append_record(
            self._pending, RecordType.SNAPSHOT, meta.SerializeToString(), self._crc
        )
        self.sync()

    def release_to(self, index: int) -> None:
        """Delete the segments whose entries all lie below `index` (never the current one)."""
        keep = 0
        while keep + 1 < len(self._segments) and self._segments[keep + 1].index <= index:
            keep += 1
        for seg in self._segments[:keep]:
            seg.path.unlink(missing_ok=True)
        self._segments = self._segments[keep:]

    def close(self) -> None:
        """Write out anything pending and close the log."""
        if self._fd is None:
            return
        try:
            self.sync()
        finally:
            os.close(self._fd)
            self._fd = None

    def _require_open(self) -> int:
        if self._fd is None:
            raise ValueError("the WAL is closed")
        return self._fd

    def _cut(self) -> None:
        """Close the full segment and continue in a new one."""
        old = self._require_open()
        os.fsync(old)
        cur = self._segments[-1]
        seq, index = cur.seq + 1, self._last_index + 1
        seg = _Segment(seq, index, _segment_path(self._dir, seq, index))
        buf = bytearray()
        crc = append_record(buf, RecordType.METADATA, self._metadata, self._crc)
        if self._hard_state is not None:
            crc = append_record(buf, RecordType.HARD_STATE, self._hard_state, crc)
        self._fd = _create_segment(seg.path, buf)
        os.close(old)
        self._segments.append(seg)
        self._offset = len(buf)
        self._crc = crc
