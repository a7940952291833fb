"""Durability for the store: the write-ahead log of Raft entries, and snapshot files."""

from kubelite.store.wal.snap import Snapshotter
from kubelite.store.wal.wal import WAL, WalContents, WALCorruptError

__all__ = ["WAL", "WALCorruptError", "WalContents", "Snapshotter"]
