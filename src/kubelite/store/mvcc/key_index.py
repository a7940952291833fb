"""The in-memory index from keys to their revisions, with etcd's generations.

Every key has a ``KeyIndex``: a list of generations. A generation is one
life of the key, from the put that created it to the tombstone that deleted
it; it counts its versions and lists its revisions. A tombstone closes the
current generation and opens an empty one, so the key's next put starts a new
life with version 1. ``TreeIndex`` keeps the key indexes in key order.

Nothing here touches a disk; the store feeds it revisions and asks it which
revision of which key is visible at a given store revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sortedcontainers import SortedDict

from kubelite.store.mvcc.revision import Revision

FROM_KEY = b"\x00"  # a range end meaning "every key from the start key on"


class Generation:
    """One life of a key: its creation revision, version count and revisions."""

    __slots__ = ("ver", "created", "revs")

    def __init__(self, ver: int = 0, created: int = 0, revs: list[Revision] | None = None) -> None:
        self.ver = ver
        self.created = created
        self.revs: list[Revision] = revs if revs is not None else []

    def __repr__(self) -> str:
        return f"Generation(ver={self.ver}, created={self.created}, revs={self.revs})"


class KeyIndex:
    """The revisions of one key, grouped into generations (oldest first)."""

    __slots__ = ("key", "modified", "generations")

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.modified = Revision(0, 0)
        self.generations = [Generation()]

    def __repr__(self) -> str:
        return f"KeyIndex({self.key!r}, modified={self.modified}, {self.generations})"

    def is_empty(self) -> bool:
        gens = self.generations
        return len(gens) == 1 and not gens[0].revs

    def put(self, rev: Revision) -> None:
        """Record a new revision of the key; revisions only grow."""
        if rev <= self.modified:
            raise ValueError(f"revision {rev} is not after {self.modified} for key {self.key!r}")
        g = self.generations[-1]
        if not g.revs:
            g.created = rev[0]
        g.revs.append(rev)
        g.ver += 1
        self.modified = rev

    def restore(self, created: int, modified: Revision, ver: int) -> None:
        """Start from a record whose earlier revisions were compacted away."""
        self.modified = modified
        self.generations = [Generation(ver, created, [modified])]

    def tombstone(self, rev: Revision) -> None:
        """Record the key's deletion at ``rev``, closing its current life."""
        if not self.generations[-1].revs:
            raise KeyError(f"key {self.key!r} is not alive; nothing to delete")
        self.put(rev)
        self.generations.append(Generation())

    def get(self, at_rev: int) -> tuple[Revision, int, int] | None:
        """(modified revision, create revision, version) visible at ``at_rev``."""
        gens = self.generations
        g = gens[-1]
        if g.revs and self.modified[0] <= at_rev:
            return self.modified, g.created, g.ver
        g = self._find_generation(at_rev)
        if g is None:
            return None
        revs = g.revs
        n = len(revs) - 1
        while revs[n][0] > at_rev:
            n -= 1
        return revs[n], g.created, g.ver - (len(revs) - 1 - n)

    def _find_generation(self, at_rev: int) -> Generation | None:
        gens = self.generations
        last = len(gens) - 1
        for i in range(last, -1, -1):
            revs = gens[i].revs
            if not revs:
                continue
            if i != last and revs[-1][0] <= at_rev:
                return None  # the key was deleted at or before at_rev
            if revs[0][0] <= at_rev:
                return gens[i]
        return None

    def _locate(self, at_rev: int, available: set[Revision]) -> tuple[int, int]:
        """The first life not over by ``at_rev`` and the index of its newest
        revision at or before ``at_rev`` (-1: none), which joins ``available``."""
        gens = self.generations
        gi = 0
        while gi < len(gens) - 1 and gens[gi].revs[-1][0] <= at_rev:
            gi += 1
        revs = gens[gi].revs
        for ri in range(len(revs) - 1, -1, -1):
            if revs[ri][0] <= at_rev:
                available.add(revs[ri])
                return gi, ri
        return gi, -1

    def compact(self, at_rev: int, available: set[Revision]) -> None:
        """Drop what compaction at ``at_rev`` supersedes; add the revision kept.

        Lives whose tombstone is at or before ``at_rev`` go entirely; in the
        life that spans ``at_rev`` only revisions from the newest one at or
        before it on stay. The kept revision is never a tombstone.
        """
        gi, ri = self._locate(at_rev, available)
        if ri > 0:
            del self.generations[gi].revs[:ri]
        if gi:
            del self.generations[:gi]

    def keep(self, at_rev: int, available: set[Revision]) -> None:
        """Add the revision ``compact(at_rev)`` would keep, changing nothing."""
        self._locate(at_rev, available)


class TreeIndex:
    """Every key's ``KeyIndex``, in key order."""

    def __init__(self, key_indexes: Mapping[bytes, KeyIndex] | None = None) -> None:
        self._tree: SortedDict = SortedDict(key_indexes or {})

    def __len__(self) -> int:
        return len(self._tree)

    def put(self, key: bytes, rev: Revision) -> None:
        ki = self._tree.get(key)
        if ki is None:
            ki = self._tree[key] = KeyIndex(key)
        ki.put(rev)

    def tombstone(self, key: bytes, rev: Revision) -> None:
        ki = self._tree.get(key)
        if ki is None:
            raise KeyError(f"key {key!r} is not indexed; nothing to delete")
        ki.tombstone(rev)

    def get(self, key: bytes, at_rev: int) -> tuple[Revision, int, int] | None:
        """(modified revision, create revision, version) of ``key`` at ``at_rev``."""
        ki = self._tree.get(key)
        return None if ki is None else ki.get(at_rev)

    def _key_indexes(self, key: bytes, end: bytes) -> Iterator[KeyIndex]:
        tree = self._tree
        if end == FROM_KEY:
            keys = tree.irange(key)
        else:
            keys = tree.irange(key, end, inclusive=(True, False))
        for k in keys:
            yield tree[k]

    def range(
        self, key: bytes, end: bytes, at_rev: int, limit: int = 0
    ) -> list[tuple[bytes, Revision]]:
        """(key, modified revision) of the keys alive at ``at_rev``, in key order.

        ``end`` is b"" for the single key, b"\\x00" for every key from ``key``
        on, otherwise the exclusive end. At most ``limit`` entries (0: all).
        """
        if not end:
            hit = self.get(key, at_rev)
            return [] if hit is None else [(key, hit[0])]
        out: list[tuple[bytes, Revision]] = []
        for ki in self._key_indexes(key, end):
            hit = ki.get(at_rev)
            if hit is not None:
                out.append((ki.key, hit[0]))
                if len(out) == limit:
                    break
        return out

    def count(self, key: bytes, end: bytes, at_rev: int) -> int:
        """How many keys of the range are alive at ``at_rev``."""
        if not end:
            return 0 if self.get(key, at_rev) is None else 1
        return sum(1 for ki in self._key_indexes(key, end) if ki.get(at_rev) is not None)

    def compact(self, at_rev: int) -> set[Revision]:
        """Compact every key at ``at_rev``; returns the revisions to keep."""
        available: set[Revision] = set()
        empty = []
        for key, ki in self._tree.items():
            ki.compact(at_rev, available)
            if ki.is_empty():
                empty.append(key)
        for key in empty:
            del self._tree[key]
        return available

    def keep(self, at_rev: int) -> set[Revision]:
        """The revisions ``compact(at_rev)`` would keep, without compacting."""
        available: set[Revision] = set()
        for ki in self._tree.values():
            ki.keep(at_rev, available)
        return available


def restore(records: Iterable[tuple[Revision, bool, bytes, int, int]]) -> TreeIndex:
    """Rebuild the index from the key bucket, read in revision order.

    Each record is (revision, is_tombstone, key, create_revision, version).
    A key's first surviving record may follow compacted ones, so it seeds the
    generation with the record's own create revision and version.
    """
    kis: dict[bytes, KeyIndex] = {}
    for rev, tombstone, key, created, ver in records:
        ki = kis.get(key)
        if ki is None:
            if tombstone:
                continue
            ki = kis[key] = KeyIndex(key)
            ki.restore(created, rev, ver)
        elif tombstone:
            ki.tombstone(rev)
        else:
            ki.put(rev)
    return TreeIndex(kis)
