"""Raft consensus for the store, as a state machine that does no I/O of its own."""

from kubelite.store.raft.node import NotLeaderError, RaftNode, Ready, Role

__all__ = ["NotLeaderError", "RaftNode", "Ready", "Role"]
