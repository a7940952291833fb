"""The store's own log records: Raft entries, hard state, snapshot metadata
(raft.proto) and the requests carried in log entries (raft_internal.proto)."""
