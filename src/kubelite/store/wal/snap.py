"""Snapshot files: where the applied state was last captured, by Raft index and term.

The snapshot's data is the MVCC backend itself: the LMDB file `db` in the
same directory (`<data-dir>/member/snap`), which the store forces to disk
before it records a snapshot. A `.snap` file therefore holds only metadata,
a `raft_pb2.SnapshotMetadata` (index, term, membership), so that on restart
the write-ahead log can be replayed from the right place.

Files are named `%016x-%016x.snap` (term, index), so the newest sorts last.
Each holds an 8-byte magic, a little-endian crc32 of the payload, and the
payload. A file that fails to verify is renamed `*.broken` and the next
older one is used. This module only ever touches `*.snap` files and its own
`*.snap.tmp` / `*.snap.broken` files.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import zlib
from pathlib import Path

from google.protobuf.message import DecodeError

from kubelite.store.raftpb import raft_pb2
from kubelite.store.wal.wal import fsync_dir, write_all

log = logging.getLogger("kubelite.store.wal")

_MAGIC = b"KLSNAP01"
_CRC = struct.Struct("<I")
_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{16})\.snap$")
_TEMP_SUFFIX = ".tmp"
_BROKEN_SUFFIX = ".broken"


def snap_name(meta: raft_pb2.SnapshotMetadata) -> str:
    """The file name a snapshot at `meta`'s term and index is stored under."""
    return f"{meta.term:016x}-{meta.index:016x}.snap"


def encode_snapshot(meta: raft_pb2.SnapshotMetadata) -> bytes:
    """A snapshot file's bytes: magic, crc32 of the payload, payload."""
    payload = meta.SerializeToString()
    return _MAGIC + _CRC.pack(zlib.crc32(payload)) + payload


def decode_snapshot(name: str, data: bytes) -> raft_pb2.SnapshotMetadata:
    """Verify and decode a snapshot file; raise ValueError saying what is wrong."""
    head = len(_MAGIC) + _CRC.size
    if len(data) < head or not data.startswith(_MAGIC):
        raise ValueError("not a snapshot file (bad header)")
    (crc,) = _CRC.unpack_from(data, len(_MAGIC))
    payload = data[head:]
    if zlib.crc32(payload) != crc:
        raise ValueError("checksum mismatch")
    try:
        meta = raft_pb2.SnapshotMetadata.FromString(payload)
    except DecodeError as e:
        raise ValueError(f"payload does not decode: {e}") from None
    if snap_name(meta) != name:
        raise ValueError(f"holds term {meta.term} index {meta.index}, not what its name says")
    return meta


class Snapshotter:
    """Saves, finds and prunes the `.snap` files in one directory."""

    def __init__(self, dirpath: str | os.PathLike[str]) -> None:
        self._dir = Path(dirpath)

    def save(self, meta: raft_pb2.SnapshotMetadata) -> None:
        """Write the snapshot file atomically and durably."""
        self._dir.mkdir(parents=True, exist_ok=True)
        path = self._dir / snap_name(meta)
        tmp = path.with_name(path.name + _TEMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, encode_snapshot(meta))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
        fsync_dir(self._dir)

    def load(self) -> raft_pb2.SnapshotMetadata | None:
        """The newest snapshot that verifies, or None when there is none.

        A file that fails to verify is reported and renamed `*.broken`.
        """
        for path in reversed(self._snap_files()):
            try:
                return decode_snapshot(path.name, path.read_bytes())
            except ValueError as e:
                broken = path.with_name(path.name + _BROKEN_SUFFIX)
                log.warning("snapshot %s is corrupt (%s); renamed to %s", path, e, broken.name)
                os.rename(path, broken)
        return None

    def purge(self, keep: int = 5) -> None:
        """Delete all but the newest `keep` snapshot files, and leftover temp files."""
        for path in self._dir.glob("*.snap" + _TEMP_SUFFIX):
            path.unlink()
        files = self._snap_files()
        for path in files[: max(len(files) - keep, 0)]:
            path.unlink()

    def _snap_files(self) -> list[Path]:
        if not self._dir.is_dir():
            return []
        return sorted(p for p in self._dir.iterdir() if _NAME.match(p.name))
