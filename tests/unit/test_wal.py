"""The write-ahead log: round trips, segment cuts, torn tails, and corruption it must refuse."""

from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

import pytest

from kubelite.store.raftpb import raft_pb2
from kubelite.store.wal import WAL, WalContents, WALCorruptError
from kubelite.store.wal.record import RecordType, append_record, decode

META = raft_pb2.WalMetadata(node_id=1, cluster_id=0xC1).SerializeToString()


def entries(first: int, count: int, term: int = 1) -> list[raft_pb2.Entry]:
    return [
        raft_pb2.Entry(Term=term, Index=i, Data=f"value-{i}-{term}".encode())
        for i in range(first, first + count)
    ]


def hs(term: int, commit: int, vote: int = 1) -> raft_pb2.HardState:
    return raft_pb2.HardState(term=term, vote=vote, commit=commit)


def reopen(path: Path, snapshot: raft_pb2.SnapshotMetadata | None = None) -> WalContents:
    wal, contents = WAL.open(path, snapshot)
    wal.close()
    return contents


def segment_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.wal"))


def indexes(contents: WalContents) -> list[int]:
    return [e.Index for e in contents.entries]


@pytest.fixture
def wal_dir(tmp_path: Path) -> Path:
    return tmp_path / "member" / "wal"


def test_create_and_open_empty(wal_dir: Path) -> None:
    assert not WAL.exists(wal_dir)
    WAL.create(wal_dir, META).close()
    assert WAL.exists(wal_dir)
    assert [p.name for p in segment_files(wal_dir)] == ["0000000000000000-0000000000000000.wal"]
    contents = reopen(wal_dir)
    assert contents == WalContents(META, raft_pb2.HardState(), [], None)
    with pytest.raises(FileExistsError):
        WAL.create(wal_dir, META)


def test_open_without_segments(wal_dir: Path) -> None:
    wal_dir.mkdir(parents=True)
    with pytest.raises(FileNotFoundError):
        WAL.open(wal_dir, None)


def test_round_trip_across_segment_cuts(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=2048)
    for batch in range(40):
        wal.save(hs(1, batch * 10 + 10), entries(batch * 10 + 1, 10))
        wal.sync()
    wal.close()
    files = segment_files(wal_dir)
    assert len(files) > 5
    seqs = [int(p.name[:16], 16) for p in files]
    starts = [int(p.name[17:33], 16) for p in files]
    assert seqs == list(range(len(files)))
    # Cuts happen between batches: each segment starts right after one.
    assert starts[0] == 0 and all(s % 10 == 1 for s in starts[1:])
    assert starts == sorted(starts)
    contents = reopen(wal_dir)
    assert contents.entries == entries(1, 400)
    assert contents.hard_state == hs(1, 400)
    assert contents.metadata == META
    assert contents.repaired is None


def test_reopen_appends_and_keeps_the_chain(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=256)
    wal.save(hs(1, 5), entries(1, 5))
    wal.close()
    for round_ in range(1, 6):
        wal, contents = WAL.open(wal_dir, None, segment_bytes=256)
        assert indexes(contents) == list(range(1, 5 * round_ + 1))
        wal.save(hs(1, 5 * round_ + 5), entries(5 * round_ + 1, 5))
        wal.sync()
        wal.close()
    contents = reopen(wal_dir)
    assert contents.entries == entries(1, 30)
    assert contents.hard_state == hs(1, 30)
    assert len(segment_files(wal_dir)) > 1


def test_close_writes_pending_and_closed_wal_refuses_writes(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.save(None, entries(1, 3))
    wal.close()
    wal.close()
    assert indexes(reopen(wal_dir)) == [1, 2, 3]
    wal.save(None, entries(4, 1))
    with pytest.raises(ValueError, match="closed"):
        wal.sync()


def test_hard_state_last_wins(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.save(hs(1, 0), entries(1, 2))
    wal.save(hs(2, 2, vote=3), [])
    wal.sync()
    wal.save(hs(3, 1), [])
    wal.save(None, entries(3, 1))
    wal.close()
    assert reopen(wal_dir).hard_state == hs(3, 1)


def test_entry_overwrite_truncates_the_rest(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.save(None, entries(1, 10))
    wal.save(None, entries(6, 2, term=2))
    wal.close()
    contents = reopen(wal_dir)
    assert contents.entries == entries(1, 5) + entries(6, 2, term=2)
    wal, _ = WAL.open(wal_dir, None)
    wal.save(None, entries(8, 1, term=2))
    wal.close()
    assert indexes(reopen(wal_dir)) == list(range(1, 9))


def test_entry_gap_is_corruption(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.save(None, entries(1, 3) + entries(5, 1))
    wal.close()
    with pytest.raises(WALCorruptError, match="entry 5 leaves a gap after index 3"):
        WAL.open(wal_dir, None)


def test_open_from_snapshot_reads_only_later_entries(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=1024)
    for first in range(1, 200, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    snap = raft_pb2.SnapshotMetadata(index=95, term=1)
    wal.save_snapshot(snap)
    wal.close()
    contents = reopen(wal_dir, snap)
    assert indexes(contents) == list(range(96, 201))
    assert contents.hard_state == hs(1, 200)
    # A snapshot file written just before a crash, before the WAL recorded it.
    assert indexes(reopen(wal_dir, raft_pb2.SnapshotMetadata(index=90, term=1))) == list(
        range(91, 201)
    )
    # A snapshot the log disagrees with cannot be a starting point.
    with pytest.raises(WALCorruptError, match="entry at the snapshot index 95 has term 1"):
        WAL.open(wal_dir, raft_pb2.SnapshotMetadata(index=95, term=2))
    with pytest.raises(WALCorruptError, match="entry at the snapshot index 90 has term 1"):
        WAL.open(wal_dir, raft_pb2.SnapshotMetadata(index=90, term=2))
    with pytest.raises(
        WALCorruptError, match="ends at index 200, before the snapshot at index 201"
    ):
        WAL.open(wal_dir, raft_pb2.SnapshotMetadata(index=201, term=1))


def test_snapshot_record_stands_in_for_missing_entries(wal_dir: Path) -> None:
    """A snapshot taken beyond this member's entries (as one sent by a leader would be)."""
    wal = WAL.create(wal_dir, META)
    wal.save(hs(3, 2), entries(1, 2))
    wal.save_snapshot(raft_pb2.SnapshotMetadata(index=500, term=3))
    wal.close()
    assert reopen(wal_dir, raft_pb2.SnapshotMetadata(index=500, term=3)).entries == []
    with pytest.raises(
        WALCorruptError, match="snapshot record at the snapshot index 500 has term 3"
    ):
        WAL.open(wal_dir, raft_pb2.SnapshotMetadata(index=500, term=4))


def test_release_to_deletes_only_fully_covered_segments(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=1024)
    wal.save(hs(1, 0, vote=7), [])
    for first in range(1, 300, 10):
        wal.save(None, entries(first, 10))
        wal.sync()
    before = segment_files(wal_dir)
    starts = [int(p.name[17:33], 16) for p in before]
    assert len(before) > 4
    target = starts[3] + 2  # inside the fourth segment
    snap = raft_pb2.SnapshotMetadata(index=target, term=1)
    wal.save_snapshot(snap)
    wal.release_to(target)
    after = segment_files(wal_dir)
    assert after == before[3:]
    wal.release_to(target)  # nothing more to do
    assert segment_files(wal_dir) == after
    wal.release_to(10**9)  # never the current segment
    assert segment_files(wal_dir) == [after[-1]]
    wal.save_snapshot(raft_pb2.SnapshotMetadata(index=300, term=1))
    wal.close()
    # The hard state survives: every segment starts with it.
    contents = reopen(wal_dir, raft_pb2.SnapshotMetadata(index=300, term=1))
    assert contents.hard_state == hs(1, 0, vote=7)
    assert contents.entries == []


def test_release_keeps_what_reopening_at_the_snapshot_needs(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=1024)
    for first in range(1, 100, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    snap = raft_pb2.SnapshotMetadata(index=50, term=1)
    wal.save_snapshot(snap)
    wal.release_to(snap.index)
    for first in range(101, 200, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    wal.close()
    assert indexes(reopen(wal_dir, snap)) == list(range(51, 201))
    with pytest.raises(WALCorruptError, match="no WAL segment reaches back to snapshot index 0"):
        WAL.open(wal_dir, None)


def test_leftover_temp_segment_is_removed(wal_dir: Path) -> None:
    WAL.create(wal_dir, META).close()
    leftover = wal_dir / "0000000000000001-0000000000000005.wal.tmp"
    leftover.write_bytes(b"half a segment")
    reopen(wal_dir)
    assert not leftover.exists()


# --- torn tails ---------------------------------------------------------------


def write_sample(path: Path) -> tuple[Path, bytes, list[int]]:
    """A one-segment log of 12 entries and hard states; its file, bytes and record ends."""
    wal = WAL.create(path, META)
    for first in range(1, 13, 3):
        wal.save(hs(1, first + 2), entries(first, 3))
    wal.close()
    (seg,) = segment_files(path)
    data = seg.read_bytes()
    dec = decode(data, 0)
    assert dec.problem is None
    ends = [r.offset for r in dec.records[1:]] + [len(data)]
    return seg, data, ends


def complete_entries(data: bytes, upto: int) -> list[int]:
    dec = decode(data[:upto], 0)
    records = [r for r in dec.records if r.type == RecordType.ENTRY]
    return [raft_pb2.Entry.FromString(r.payload).Index for r in records]


def test_truncated_tail_at_every_offset_is_repaired(tmp_path: Path) -> None:
    seg, data, ends = write_sample(tmp_path / "sample")
    work = tmp_path / "wal"
    # Every offset in the last few records, and a stride through the rest (after the
    # records `create` writes).
    cuts = set(range(ends[-4], len(data))) | set(range(ends[1], len(data), 3))
    for cut in sorted(cuts):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        (work / seg.name).write_bytes(data[:cut])
        wal, contents = WAL.open(work, None)
        kept = complete_entries(data, cut)
        assert indexes(contents) == kept
        assert (contents.repaired is None) == (cut in ends)
        if contents.repaired:
            torn_at = max(e for e in ends if e <= cut)
            assert f"{seg.name}: torn tail at offset {torn_at} " in contents.repaired
        # Appending after the repair continues a clean log.
        nxt = (kept[-1] if kept else 0) + 1
        wal.save(hs(1, nxt), entries(nxt, 1, term=2))
        wal.close()
        again = reopen(work)
        assert again.repaired is None
        assert indexes(again) == kept + [nxt]
        assert again.hard_state == hs(1, nxt)


def test_repair_is_logged_with_file_and_offset(
    wal_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seg, data, ends = write_sample(wal_dir)
    seg.write_bytes(data[:-5])
    with caplog.at_level(logging.WARNING, logger="kubelite.store.wal"):
        contents = reopen(wal_dir)
    assert contents.repaired is not None
    assert f"{seg}: " in contents.repaired
    assert f"offset {ends[-2]}" in contents.repaired
    assert contents.repaired in caplog.text
    assert seg.stat().st_size == ends[-2]


@pytest.mark.parametrize("size", [1, 5, 12, 13, 14, 100, 5000])
def test_garbage_after_the_tail_is_cut_off(wal_dir: Path, size: int) -> None:
    seg, data, _ = write_sample(wal_dir)
    garbage = random.Random(size).randbytes(size)
    seg.write_bytes(data + garbage)
    contents = reopen(wal_dir)
    assert indexes(contents) == list(range(1, 13))
    assert contents.repaired is not None and f"offset {len(data)}" in contents.repaired
    assert seg.read_bytes() == data


def test_zero_filled_tail_is_cut_off(wal_dir: Path) -> None:
    seg, data, ends = write_sample(wal_dir)
    seg.write_bytes(data + bytes(64 << 10))
    contents = reopen(wal_dir)
    assert indexes(contents) == list(range(1, 13))
    assert contents.repaired is not None
    # Zeros over the last records, as a crash before the data reached the disk leaves.
    start = ends[-6]
    seg.write_bytes(data[:start] + bytes(len(data) - start))
    contents = reopen(wal_dir)
    assert indexes(contents) == complete_entries(data, start)
    assert seg.stat().st_size == start


def test_torn_tail_of_last_segment_after_cuts(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=1024)
    for first in range(1, 100, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    wal.close()
    last = segment_files(wal_dir)[-1]
    data = last.read_bytes()
    last.write_bytes(data[:-3])  # into the final hard state record
    wal, contents = WAL.open(wal_dir, None, segment_bytes=1024)
    assert indexes(contents) == list(range(1, 101))
    assert contents.hard_state == hs(1, 90)
    assert contents.repaired is not None and last.name in contents.repaired
    wal.save(None, entries(101, 1, term=2))
    wal.close()
    assert reopen(wal_dir).entries[-1] == entries(101, 1, term=2)[0]


# --- corruption before the tail --------------------------------------------------


@pytest.mark.parametrize("field_offset", [0, 4, 8, 9, 12, 13, 20])
def test_damaged_record_with_intact_ones_after_is_refused(wal_dir: Path, field_offset: int) -> None:
    """A flipped byte in the crc, prev, length, type or payload of an early record."""
    seg, data, ends = write_sample(wal_dir)
    at = ends[3]  # the start of an entry record well before the end
    damaged = bytearray(data)
    damaged[at + field_offset] ^= 0x40
    seg.write_bytes(bytes(damaged))
    with pytest.raises(WALCorruptError) as err:
        WAL.open(wal_dir, None)
    assert str(seg) in str(err.value)
    assert f"offset {at}" in str(err.value)
    assert "followed by an intact record" in str(err.value)
    assert seg.read_bytes() == bytes(damaged)  # nothing was "repaired"


def test_damage_in_a_segment_that_is_not_the_last_is_refused(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=1024)
    for first in range(1, 100, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    wal.close()
    first = segment_files(wal_dir)[0]
    data = first.read_bytes()
    first.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # the very last byte of segment 0
    with pytest.raises(WALCorruptError, match="not the last") as err:
        WAL.open(wal_dir, None)
    assert str(first) in str(err.value)


def test_missing_middle_segment_is_refused(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META, segment_bytes=512)
    for first in range(1, 100, 10):
        wal.save(hs(1, first + 9), entries(first, 10))
        wal.sync()
    wal.close()
    files = segment_files(wal_dir)
    assert len(files) > 4
    files[2].unlink()
    with pytest.raises(WALCorruptError, match="out of sequence") as err:
        WAL.open(wal_dir, None)
    assert files[3].name in str(err.value) and files[1].name in str(err.value)
    # Renumbering the later ones to close the gap does not hide it: the checksum chain breaks.
    for f in files[3:]:
        f.rename(wal_dir / f"{int(f.name[:16], 16) - 1:016x}{f.name[16:]}")
    with pytest.raises(WALCorruptError, match="lost or moved"):
        WAL.open(wal_dir, None)


def test_metadata_must_agree_across_segments(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.save(None, entries(1, 4))
    wal.close()
    (seg,) = segment_files(wal_dir)
    chain = decode(seg.read_bytes(), 0).last_crc
    # A second segment, properly chained, but written by a different member.
    other = raft_pb2.WalMetadata(node_id=2, cluster_id=0xC1).SerializeToString()
    data = bytearray()
    append_record(data, RecordType.METADATA, other, chain)
    (wal_dir / "0000000000000001-0000000000000005.wal").write_bytes(bytes(data))
    with pytest.raises(WALCorruptError, match="metadata differs"):
        WAL.open(wal_dir, None)


def test_metadata_record_only_at_segment_start(wal_dir: Path) -> None:
    wal = WAL.create(wal_dir, META)
    wal.close()
    (seg,) = segment_files(wal_dir)
    data = bytearray(seg.read_bytes())
    append_record(data, RecordType.METADATA, META, decode(bytes(data), 0).last_crc)
    seg.write_bytes(bytes(data))
    with pytest.raises(WALCorruptError, match="must start with its metadata"):
        WAL.open(wal_dir, None)


def test_empty_segment_is_refused(wal_dir: Path) -> None:
    WAL.create(wal_dir, META).close()
    (wal_dir / "0000000000000001-0000000000000001.wal").write_bytes(b"")
    with pytest.raises(WALCorruptError, match="is empty"):
        WAL.open(wal_dir, None)
