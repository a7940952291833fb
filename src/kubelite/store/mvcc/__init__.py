"""The store's multi-version key-value layer, as etcd's ``mvcc`` package.

``revision`` encodes revisions as backend keys, ``key_index`` is the pure
in-memory index of every key's revisions, ``backend`` is the LMDB file the
records live in, and ``kvstore`` ties them into etcd's MVCC store.
"""
