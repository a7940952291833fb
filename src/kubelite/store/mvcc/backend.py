"""The store's backend: one LMDB file holding the key, meta and lease buckets.

Like etcd's ``member/snap/db``, the whole backend is a single file. Commits do
not fsync: the WAL is what makes a write durable, and ``sync()`` forces the
file to disk when the WAL is about to be trimmed. ``defragment`` and
``copy_to`` write compact copies (the first replaces the file, the second is
what snapshots stream).
"""

from __future__ import annotations

import os

import lmdb

_DB_NAMES = (b"key", b"meta", b"lease")
_META_PAGES = 2  # LMDB's two meta pages are always in use


def _fsync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Backend:
    """An LMDB environment in one file with etcd's buckets as named databases.

    ``env``, ``key_db``, ``meta_db`` and ``lease_db`` change when the file is
    defragmented, so read them from the backend each time rather than keeping
    them. Only one write transaction may be open at a time.
    """

    def __init__(self, path: str, map_size: int = 8 << 30) -> None:
        self.path = path
        self.map_size = map_size
        self._open()

    def _open(self) -> None:
        self.env = lmdb.open(
            self.path,
            map_size=self.map_size,
            subdir=False,
            sync=False,
            metasync=False,
            max_dbs=len(_DB_NAMES),
            max_spare_txns=1,
        )
        self.key_db, self.meta_db, self.lease_db = (self.env.open_db(n) for n in _DB_NAMES)

    def read(self) -> lmdb.Transaction:
        """A read-only transaction; use it as a context manager."""
        return self.env.begin()

    def write(self) -> lmdb.Transaction:
        """A write transaction; as a context manager it commits, or aborts on error."""
        return self.env.begin(write=True)

    def sync(self) -> None:
        """Force every committed transaction to disk."""
        self.env.sync(True)

    def size(self) -> int:
        """Bytes the file takes on disk (etcd's dbSize)."""
        return os.path.getsize(self.path)

    def size_in_use(self) -> int:
        """Bytes of pages holding data, free pages excluded (etcd's dbSizeInUse)."""
        stat = self.env.stat()
        pages = _META_PAGES + stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]
        with self.read() as txn:
            for db in (self.key_db, self.meta_db, self.lease_db):
                s = txn.stat(db)
                pages += s["branch_pages"] + s["leaf_pages"] + s["overflow_pages"]
        return pages * stat["psize"]

    def copy_to(self, path: str) -> None:
        """Write a consistent, compacted copy of the whole backend to ``path``."""
        with open(path, "wb") as f:
            self.env.copyfd(f.fileno(), compact=True)
            f.flush()
            os.fsync(f.fileno())

    def defragment(self) -> None:
        """Rewrite the file without free pages, swapping the copy in atomically."""
        tmp = self.path + ".defrag"
        try:
            self.copy_to(tmp)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.env.close()
        try:
            os.replace(tmp, self.path)
            _fsync_dir(self.path)
        finally:
            self._open()

    def close(self) -> None:
        self.env.close()

    def get_meta_int(self, txn: lmdb.Transaction, name: bytes, default: int) -> int:
        """The integer stored under ``name`` in the meta bucket, or ``default``."""
        raw = txn.get(name, db=self.meta_db)
        return default if raw is None else int.from_bytes(raw, "big", signed=True)

    def put_meta_int(self, txn: lmdb.Transaction, name: bytes, value: int) -> None:
        """Store ``value`` under ``name`` in the meta bucket (8 bytes, big-endian)."""
        txn.put(name, value.to_bytes(8, "big", signed=True), db=self.meta_db)
