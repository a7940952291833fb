"""Snapshot metadata files: save, load the newest that verifies, fall back, purge."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kubelite.store.raftpb import raft_pb2
from kubelite.store.wal import Snapshotter
from kubelite.store.wal.snap import decode_snapshot, encode_snapshot, snap_name


def meta(index: int, term: int = 1) -> raft_pb2.SnapshotMetadata:
    return raft_pb2.SnapshotMetadata(
        index=index, term=term, conf_state=raft_pb2.ConfState(voters=[1])
    )


@pytest.fixture
def snap_dir(tmp_path: Path) -> Path:
    return tmp_path / "member" / "snap"


def test_save_and_load_newest(snap_dir: Path) -> None:
    snap = Snapshotter(snap_dir)
    assert snap.load() is None  # no directory yet
    for index, term in [(10, 1), (20, 1), (30, 2), (25, 2)]:
        snap.save(meta(index, term))
    assert (snap_dir / "0000000000000002-000000000000001e.snap").is_file()
    assert snap.load() == meta(30, 2)
    assert list(snap_dir.glob("*.tmp")) == []


def test_file_name_and_format(snap_dir: Path) -> None:
    m = meta(0x1234, 7)
    assert snap_name(m) == "0000000000000007-0000000000001234.snap"
    data = encode_snapshot(m)
    assert decode_snapshot(snap_name(m), data) == m
    with pytest.raises(ValueError, match="checksum"):
        decode_snapshot(snap_name(m), data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(ValueError, match="bad header"):
        decode_snapshot(snap_name(m), data[:5])
    with pytest.raises(ValueError, match="not what its name says"):
        decode_snapshot(snap_name(meta(1, 7)), data)


def test_corrupt_newest_falls_back_to_older(
    snap_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    snap = Snapshotter(snap_dir)
    snap.save(meta(10))
    snap.save(meta(20))
    newest = snap_dir / snap_name(meta(20))
    data = newest.read_bytes()
    newest.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    with caplog.at_level(logging.WARNING, logger="kubelite.store.wal"):
        assert snap.load() == meta(10)
    assert str(newest) in caplog.text and "checksum mismatch" in caplog.text
    assert not newest.exists()
    assert newest.with_name(newest.name + ".broken").is_file()
    # An empty file (a crash mid-write on a filesystem without ordered data) too.
    (snap_dir / snap_name(meta(10))).write_bytes(b"")
    assert snap.load() is None
    assert sorted(p.name for p in snap_dir.iterdir()) == sorted(
        [snap_name(meta(10)) + ".broken", snap_name(meta(20)) + ".broken"]
    )


def test_purge_keeps_the_newest_and_leaves_other_files(snap_dir: Path) -> None:
    snap = Snapshotter(snap_dir)
    for index in range(1, 9):
        snap.save(meta(index * 10))
    (snap_dir / "db").write_bytes(b"lmdb data")
    (snap_dir / "db-lock").write_bytes(b"")
    (snap_dir / (snap_name(meta(99)) + ".tmp")).write_bytes(b"half")
    snap.purge(keep=3)
    assert sorted(p.name for p in snap_dir.iterdir()) == sorted(
        ["db", "db-lock"] + [snap_name(meta(i * 10)) for i in (6, 7, 8)]
    )
    snap.purge()
    assert len(list(snap_dir.glob("*.snap"))) == 3
    assert snap.load() == meta(80)
