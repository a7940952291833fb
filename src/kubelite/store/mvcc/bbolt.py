"""A writer of bbolt database files: the format of etcd's backend and snapshots.

bbolt keeps a B+tree of fixed-size pages in one file. Pages 0 and 1 are the
two meta pages (the one with the higher transaction id wins), page 2 here is
the freelist, and the rest are branch and leaf pages. The root bucket is a
tree whose leaf entries are the buckets: each entry's value is the bucket's
16-byte header (its root page and sequence), followed, for a small "inline"
bucket, by the bucket's single leaf page itself.

``write_db`` streams the pages of a fresh, fully packed database to a
seekable binary file, bottom-up: the leaves of a bucket as its sorted items
arrive, then a level of branch pages above them, and so on until one root
page is left; the meta and freelist pages are filled in at the end, when the
root and the page count are known. Every page written is in use, so the
freelist is empty and ``bbolt``'s consistency check accounts for every page.

Page layout (all integers little-endian, as bbolt writes them on x86-64):

- header, 16 bytes: page id u64, flags u16, element count u16, overflow u32
  (the number of extra pages a page larger than one page runs into);
- leaf element, 16 bytes: flags u32 (1: the value is a bucket), pos u32,
  key size u32, value size u32; branch element, 16 bytes: pos u32, key size
  u32, child page id u64. ``pos`` is the distance from the element to its
  key; keys (and a leaf's values right after them) follow the element array.
- meta, after the header: magic u32, version u32, page size u32, flags u32,
  root bucket (root page u64, sequence u64), freelist page u64, page count
  u64, transaction id u64, and an FNV-1a 64 checksum of the fields before it.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterable
from typing import BinaryIO

PAGE_SIZE = 4096
MAGIC = 0xED0CDAED
VERSION = 2

BRANCH_PAGE = 0x01
LEAF_PAGE = 0x02
META_PAGE = 0x04
FREELIST_PAGE = 0x10
BUCKET_LEAF = 0x01

MAX_KEY_SIZE = 32768
MAX_VALUE_SIZE = (1 << 31) - 2

_HEADER = struct.Struct("<QHHI")
_LEAF_ELEMENT = struct.Struct("<IIII")
_BRANCH_ELEMENT = struct.Struct("<IIQ")
_BUCKET = struct.Struct("<QQ")
_META = struct.Struct("<IIIIQQQQQ")
_CHECKSUM = struct.Struct("<Q")

_META_PGIDS = (0, 1)
_FREELIST_PGID = 2
_FIRST_DATA_PGID = 3

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_U64 = (1 << 64) - 1

Items = Iterable[tuple[bytes, bytes]]


def fnv1a_64(data: bytes) -> int:
    """The 64-bit FNV-1a hash bbolt checksums its meta pages with."""
    h = _FNV_OFFSET
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & _U64
    return h


def meta_page(pgid: int, root: int, freelist: int, page_count: int, txid: int,
              page_size: int = PAGE_SIZE) -> bytes:
    """One meta page, checksum included."""
    fields = _META.pack(MAGIC, VERSION, page_size, 0, root, 0, freelist, page_count, txid)
    body = fields + _CHECKSUM.pack(fnv1a_64(fields))
    return _page(pgid, META_PAGE, 0, body, page_size)


def freelist_page(pgid: int, free: list[int], page_size: int = PAGE_SIZE) -> bytes:
    """A freelist page (and its overflow pages) listing the page ids in ``free``."""
    ids = sorted(free)
    if len(ids) < 0xFFFF:
        count, body = len(ids), b""
    else:  # the count does not fit the header: it goes first in the list
        count, body = 0xFFFF, struct.pack("<Q", len(ids))
    body += struct.pack(f"<{len(ids)}Q", *ids)
    return _page(pgid, FREELIST_PAGE, count, body, page_size)


def leaf_page(pgid: int, items: list[tuple[bytes, bytes, int]],
              page_size: int | None = PAGE_SIZE) -> bytes:
    """A leaf page holding ``items`` (key, value, element flags), padded to
    whole pages; unpadded when ``page_size`` is None (an inline bucket's page)."""
    elements = bytearray()
    data = bytearray()
    offset = _HEADER.size + len(items) * _LEAF_ELEMENT.size  # where the data starts
    for i, (key, value, flags) in enumerate(items):
        pos = offset + len(data) - (_HEADER.size + i * _LEAF_ELEMENT.size)
        elements += _LEAF_ELEMENT.pack(flags, pos, len(key), len(value))
        data += key
        data += value
    return _page(pgid, LEAF_PAGE, len(items), bytes(elements + data), page_size)


def branch_page(pgid: int, children: list[tuple[bytes, int]],
                page_size: int = PAGE_SIZE) -> bytes:
    """A branch page pointing at ``children`` (first key, page id)."""
    elements = bytearray()
    data = bytearray()
    offset = _HEADER.size + len(children) * _BRANCH_ELEMENT.size
    for i, (key, child) in enumerate(children):
        pos = offset + len(data) - (_HEADER.size + i * _BRANCH_ELEMENT.size)
        elements += _BRANCH_ELEMENT.pack(pos, len(key), child)
        data += key
    return _page(pgid, BRANCH_PAGE, len(children), bytes(elements + data), page_size)


def _page(pgid: int, flags: int, count: int, body: bytes, page_size: int | None) -> bytes:
    """Header and body, padded to whole pages with the overflow count set."""
    if page_size is None:
        return _HEADER.pack(pgid, flags, count, 0) + body
    pages = -(-(_HEADER.size + len(body)) // page_size)
    page = _HEADER.pack(pgid, flags, count, pages - 1) + body
    return page + bytes(pages * page_size - len(page))


class _Level:
    """Packs the elements of one tree level into pages as they arrive.

    An element joins the current page while the page stays within one page
    size; an element too big for a page gets a page of its own that runs
    into overflow pages. A page is written once full, at the file's end,
    and its first key and id kept for the level above.
    """

    def __init__(self, out: _Pages, element_size: int,
                 render: Callable[[int, list], bytes]) -> None:
        self.out = out
        self.element_size = element_size
        self.render = render
        self.items: list = []  # the page being filled; each item's key first
        self.size = _HEADER.size
        self.pages: list[tuple[bytes, int]] = []

    def add(self, item: tuple, nbytes: int) -> None:
        size = self.element_size + nbytes
        if self.items and self.size + size > self.out.page_size:
            self._write()
        self.items.append(item)
        self.size += size

    def _write(self) -> None:
        items, self.items, self.size = self.items, [], _HEADER.size
        pgid = self.out.put(lambda p: self.render(p, items))
        self.pages.append((items[0][0] if items else b"", pgid))

    def finish(self) -> list[tuple[bytes, int]]:
        """Write the last page (an empty one if there was nothing at all);
        the (first key, page id) of every page."""
        if self.items or not self.pages:
            self._write()
        return self.pages


class _Pages:
    """Hands out page ids in file order and appends pages to the file."""

    def __init__(self, f: BinaryIO, page_size: int) -> None:
        self.f = f
        self.page_size = page_size
        self.next_pgid = _FIRST_DATA_PGID

    def put(self, render: Callable[[int], bytes]) -> int:
        pgid = self.next_pgid
        page = render(pgid)
        self.f.write(page)
        self.next_pgid += len(page) // self.page_size
        return pgid

    def leaves(self) -> _Level:
        return _Level(self, _LEAF_ELEMENT.size,
                      lambda pgid, items: leaf_page(pgid, items, self.page_size))

    def tree(self, leaves: _Level) -> int:
        """Finish ``leaves`` and stack branch levels over them until one root
        page is left; its id."""
        level = leaves.finish()
        while len(level) > 1:
            branches = _Level(self, _BRANCH_ELEMENT.size,
                              lambda pgid, items: branch_page(pgid, items, self.page_size))
            for key, pgid in level:
                branches.add((key, pgid), len(key))
            level = branches.finish()
        return level[0][1]


def _checked(items: Items, what: str) -> Iterable[tuple[bytes, bytes]]:
    """``items`` as bytes, refusing what bbolt would not hold or find."""
    prev: bytes | None = None
    for key, value in items:
        key, value = bytes(key), bytes(value)
        if not key:
            raise ValueError(f"{what}: empty key")
        if len(key) > MAX_KEY_SIZE:
            raise ValueError(f"{what}: key of {len(key)} bytes is over bbolt's {MAX_KEY_SIZE}")
        if len(value) > MAX_VALUE_SIZE:
            raise ValueError(f"{what}: value of {len(value)} bytes is over bbolt's limit")
        if prev is not None and key <= prev:
            raise ValueError(f"{what}: keys not in strictly increasing order at {key!r}")
        prev = key
        yield key, value


def _write_bucket(out: _Pages, name: bytes, items: Items) -> bytes:
    """Write a bucket's pages; its value in the parent bucket: the header,
    followed by the bucket's only page when that is small enough to inline
    (as bbolt does for a leaf of at most a quarter page)."""
    leaves = out.leaves()
    for key, value in _checked(items, f"bucket {name!r}"):
        leaves.add((key, value, 0), len(key) + len(value))
    if not leaves.pages and leaves.size <= out.page_size // 4:
        return _BUCKET.pack(0, 0) + leaf_page(0, leaves.items, None)
    return _BUCKET.pack(out.tree(leaves), 0)


def write_db(f: BinaryIO, buckets: Iterable[tuple[bytes, Items]],
             page_size: int = PAGE_SIZE) -> int:
    """Write a bbolt database holding ``buckets`` (name, items) to the
    seekable file ``f`` from its current position; returns the bytes written.

    Each bucket's items must come in strictly increasing key order; they are
    consumed as they are written, so they can come from a cursor.
    """
    base = f.tell()
    f.write(bytes(_FIRST_DATA_PGID * page_size))
    out = _Pages(f, page_size)
    entries = [(name, _write_bucket(out, name, items))
               for name, items in sorted(buckets, key=lambda b: bytes(b[0]))]
    top = out.leaves()
    for name, value in _checked(entries, "bucket names"):
        top.add((name, value, BUCKET_LEAF), len(name) + len(value))
    root = out.tree(top)
    page_count = out.next_pgid
    f.seek(base)
    for pgid in _META_PGIDS:  # bbolt reads the one with the higher txid
        f.write(meta_page(pgid, root, _FREELIST_PGID, page_count, pgid, page_size))
    f.write(freelist_page(_FREELIST_PGID, [], page_size))
    f.seek(base + page_count * page_size)
    return page_count * page_size


def db_bytes(buckets: Iterable[tuple[bytes, Items]]) -> bytes:
    """The bytes of a bbolt database holding ``buckets`` (see ``write_db``)."""
    buf = io.BytesIO()
    write_db(buf, buckets)
    return buf.getvalue()
