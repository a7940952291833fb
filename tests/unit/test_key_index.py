"""Unit tests for the in-memory key index: generations, reads, compaction."""

from __future__ import annotations

import pytest

from kubelite.store.mvcc.key_index import KeyIndex, TreeIndex, restore
from kubelite.store.mvcc.revision import Revision, bytes_to_rev, rev_to_bytes


def R(main: int, sub: int = 0) -> Revision:
    return Revision(main, sub)


def three_lives() -> KeyIndex:
    """foo: put 2, 4, delete 6; put 8, 10, delete 12; put 14, 14.1, delete 16."""
    ki = KeyIndex(b"foo")
    for rev, tomb in [
        (R(2), False),
        (R(4), False),
        (R(6), True),
        (R(8), False),
        (R(10), False),
        (R(12), True),
        (R(14), False),
        (R(14, 1), False),
        (R(16), True),
    ]:
        if tomb:
            ki.tombstone(rev)
        else:
            ki.put(rev)
    return ki


def revs_of(ki: KeyIndex) -> list[list[Revision]]:
    return [list(g.revs) for g in ki.generations]


def test_revision_bytes_round_trip() -> None:
    b = rev_to_bytes(R(5, 3))
    assert b == b"\x00" * 7 + b"\x05_" + b"\x00" * 7 + b"\x03"
    assert bytes_to_rev(b) == (R(5, 3), False)
    t = rev_to_bytes(R(5, 3), tombstone=True)
    assert len(t) == 18 and t.endswith(b"t")
    assert bytes_to_rev(t) == (R(5, 3), True)
    assert rev_to_bytes(R(5, 3)) < rev_to_bytes(R(5, 3), True) < rev_to_bytes(R(5, 4))


def test_generations() -> None:
    ki = three_lives()
    assert revs_of(ki) == [
        [R(2), R(4), R(6)],
        [R(8), R(10), R(12)],
        [R(14), R(14, 1), R(16)],
        [],
    ]
    assert [g.created for g in ki.generations[:3]] == [2, 8, 14]
    assert [g.ver for g in ki.generations] == [3, 3, 3, 0]
    assert ki.modified == R(16)


@pytest.mark.parametrize(
    "at, want",
    [
        (1, None),
        (2, (R(2), 2, 1)),
        (3, (R(2), 2, 1)),
        (4, (R(4), 2, 2)),
        (5, (R(4), 2, 2)),
        (6, None),
        (7, None),
        (8, (R(8), 8, 1)),
        (11, (R(10), 8, 2)),
        (12, None),
        (14, (R(14, 1), 14, 2)),
        (15, (R(14, 1), 14, 2)),
        (16, None),
        (100, None),
    ],
)
def test_get(at: int, want: tuple[Revision, int, int] | None) -> None:
    assert three_lives().get(at) == want


def test_get_alive_key_at_current() -> None:
    ki = KeyIndex(b"k")
    ki.put(R(3))
    ki.put(R(7))
    assert ki.get(7) == (R(7), 3, 2)
    assert ki.get(50) == (R(7), 3, 2)
    assert ki.get(6) == (R(3), 3, 1)


def test_put_must_grow_and_tombstone_needs_life() -> None:
    ki = KeyIndex(b"k")
    with pytest.raises(KeyError):
        ki.tombstone(R(2))
    ki.put(R(3))
    with pytest.raises(ValueError):
        ki.put(R(3))
    ki.tombstone(R(4))
    with pytest.raises(KeyError):
        ki.tombstone(R(5))


@pytest.mark.parametrize(
    "at, keep, gens",
    [
        (1, set(), [[R(2), R(4), R(6)], [R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (2, {R(2)}, [[R(2), R(4), R(6)], [R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (3, {R(2)}, [[R(2), R(4), R(6)], [R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (4, {R(4)}, [[R(4), R(6)], [R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (5, {R(4)}, [[R(4), R(6)], [R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (6, set(), [[R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (7, set(), [[R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (8, {R(8)}, [[R(8), R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (10, {R(10)}, [[R(10), R(12)], [R(14), R(14, 1), R(16)], []]),
        (12, set(), [[R(14), R(14, 1), R(16)], []]),
        (14, {R(14, 1)}, [[R(14, 1), R(16)], []]),
        (15, {R(14, 1)}, [[R(14, 1), R(16)], []]),
        (16, set(), [[]]),
        (17, set(), [[]]),
    ],
)
def test_compact_and_keep(at: int, keep: set[Revision], gens: list[list[Revision]]) -> None:
    ki = three_lives()
    kept: set[Revision] = set()
    ki.keep(at, kept)
    assert kept == keep
    assert revs_of(ki) == revs_of(three_lives())  # keep changes nothing
    available: set[Revision] = set()
    ki.compact(at, available)
    assert available == keep
    assert revs_of(ki) == gens
    assert ki.is_empty() == (gens == [[]])


def test_compaction_keeps_versions_and_reads() -> None:
    ki = three_lives()
    ki.compact(10, set())
    assert ki.get(10) == (R(10), 8, 2)
    assert ki.get(15) == (R(14, 1), 14, 2)
    # compacting step by step ends where compacting at once does
    step = three_lives()
    for at in (3, 5, 9, 13):
        step.compact(at, set())
    once = three_lives()
    once.compact(13, set())
    assert revs_of(step) == revs_of(once)


def tree() -> TreeIndex:
    t = TreeIndex()
    t.put(b"a", R(2))
    t.put(b"b", R(2, 1))
    t.put(b"c", R(3))
    t.put(b"a", R(4))
    t.tombstone(b"b", R(5))
    t.put(b"d", R(6))
    return t


def test_tree_get_and_range() -> None:
    t = tree()
    assert t.get(b"a", 3) == (R(2), 2, 1)
    assert t.get(b"a", 4) == (R(4), 2, 2)
    assert t.get(b"zz", 4) is None
    assert t.range(b"a", b"", 6) == [(b"a", R(4))]
    assert t.range(b"a", b"d", 6) == [(b"a", R(4)), (b"c", R(3))]
    assert t.range(b"a", b"d", 4) == [(b"a", R(4)), (b"b", R(2, 1)), (b"c", R(3))]
    assert t.range(b"b", b"\x00", 6) == [(b"c", R(3)), (b"d", R(6))]
    assert t.range(b"a", b"\x00", 6, limit=2) == [(b"a", R(4)), (b"c", R(3))]
    assert t.range(b"c", b"a", 6) == []
    assert t.range(b"a", b"\x00", 1) == []
    assert t.count(b"a", b"\x00", 6) == 3
    assert t.count(b"a", b"\x00", 4) == 3
    assert t.count(b"a", b"\x00", 3) == 3
    assert t.count(b"b", b"", 6) == 0
    assert t.count(b"b", b"", 4) == 1


def test_tree_tombstone_unknown_key() -> None:
    with pytest.raises(KeyError):
        TreeIndex().tombstone(b"x", R(2))


def test_tree_compact_drops_dead_keys() -> None:
    t = tree()
    assert t.keep(5) == {R(4), R(3)}
    assert len(t) == 4
    assert t.compact(5) == {R(4), R(3)}
    assert len(t) == 3  # b died at 5: its index is gone
    assert t.get(b"b", 4) is None
    assert t.range(b"a", b"\x00", 6) == [(b"a", R(4)), (b"c", R(3)), (b"d", R(6))]


def test_restore_from_records() -> None:
    # a at 5 survived compaction with create 2, version 3; a deleted at 6,
    # recreated at 7; a lone tombstone for a key whose life was compacted
    records = [
        (R(4), True, b"gone", 0, 0),
        (R(5), False, b"a", 2, 3),
        (R(6), True, b"a", 0, 0),
        (R(7), False, b"a", 7, 1),
        (R(7, 1), False, b"b", 7, 1),
        (R(8), False, b"b", 7, 2),
    ]
    t = restore(records)
    assert len(t) == 2
    assert t.get(b"a", 5) == (R(5), 2, 3)
    assert t.get(b"a", 6) is None
    assert t.get(b"a", 8) == (R(7), 7, 1)
    assert t.get(b"b", 8) == (R(8), 7, 2)
    assert t.get(b"gone", 8) is None
