"""The single-member Raft state machine: campaign, propose, the Ready/advance cycle, restart."""

from __future__ import annotations

import pytest

from kubelite.store.raft import NotLeaderError, RaftNode, Ready, Role
from kubelite.store.raftpb import raft_pb2


def entry(index: int, term: int, data: bytes = b"") -> raft_pb2.Entry:
    return raft_pb2.Entry(Term=term, Index=index, Type=raft_pb2.EntryNormal, Data=data)


def hs(term: int, vote: int, commit: int) -> raft_pb2.HardState:
    return raft_pb2.HardState(term=term, vote=vote, commit=commit)


class Harness:
    """Plays the caller: persists what a Ready says, then applies, then advances."""

    def __init__(self) -> None:
        self.wal: list[raft_pb2.Entry] = []
        self.hard_state = raft_pb2.HardState()
        self.applied: list[raft_pb2.Entry] = []

    def run(self, node: RaftNode) -> Ready:
        ready = node.ready()
        persisted = {e.Index for e in self.wal}
        for e in ready.committed_entries:  # the contract: durable before applied
            assert e.Index in persisted or e in ready.entries
        if ready.hard_state is not None:
            self.hard_state = ready.hard_state
        for e in ready.entries:
            del self.wal[e.Index - 1 :]
            self.wal.append(e)
        self.applied.extend(ready.committed_entries)
        node.advance(ready)
        return ready


def new_node() -> RaftNode:
    return RaftNode(1, raft_pb2.HardState(), [], None)


def test_fresh_node_is_a_follower_with_nothing_to_do() -> None:
    node = new_node()
    assert (node.role, node.term, node.leader_id) == (Role.FOLLOWER, 0, 0)
    assert (node.first_index, node.last_index) == (1, 0)
    assert (node.commit_index, node.applied_index) == (0, 0)
    assert not node.has_ready()
    with pytest.raises(NotLeaderError):
        node.propose(b"x")


def test_campaign_wins_at_once_and_appends_an_empty_entry() -> None:
    node = new_node()
    node.campaign()
    assert (node.role, node.term, node.vote, node.leader_id) == (Role.LEADER, 1, 1, 1)
    assert node.last_index == 1 and node.last_term == 1
    ready = node.ready()
    assert ready.hard_state == hs(1, 1, 1)
    assert ready.entries == [entry(1, 1)]
    assert ready.committed_entries == [entry(1, 1)]
    node.advance(ready)
    assert node.applied_index == 1
    assert not node.has_ready()
    node.campaign()  # already the leader: nothing changes
    assert node.term == 1 and not node.has_ready()


def test_proposals_get_consecutive_indexes_and_commit_with_their_ready() -> None:
    node, caller = new_node(), Harness()
    node.campaign()
    caller.run(node)
    assert [node.propose(f"p{i}".encode()) for i in range(3)] == [2, 3, 4]
    assert node.commit_index == 4
    ready = caller.run(node)
    assert ready.entries == [entry(i, 1, f"p{i - 2}".encode()) for i in range(2, 5)]
    assert ready.committed_entries == ready.entries
    assert ready.hard_state == hs(1, 1, 4)
    assert node.applied_index == 4 and not node.has_ready()


def test_hard_state_only_when_changed() -> None:
    node, caller = new_node(), Harness()
    node.campaign()
    caller.run(node)
    node.propose(b"a")
    assert caller.run(node).hard_state == hs(1, 1, 2)
    assert not node.has_ready()


def test_proposals_between_ready_and_advance_wait_for_the_next_round() -> None:
    node, caller = new_node(), Harness()
    node.campaign()
    first = node.ready()
    node.propose(b"late")  # the caller is still persisting `first`
    node.advance(first)
    assert node.applied_index == 1
    assert node.has_ready()
    second = caller.run(node)
    assert second.entries == [entry(2, 1, b"late")]
    assert second.committed_entries == [entry(2, 1, b"late")]


def test_ready_without_advance_repeats_itself() -> None:
    node = new_node()
    node.campaign()
    node.propose(b"a")
    assert node.ready() == node.ready()


def test_restart_replays_committed_entries_above_applied() -> None:
    log = [entry(1, 1)] + [entry(i, 1, b"v") for i in range(2, 9)]
    node = RaftNode(1, hs(1, 1, 6), log, None)
    assert (node.role, node.term, node.last_index, node.commit_index) == (Role.FOLLOWER, 1, 8, 6)
    node.set_applied(3)
    ready = node.ready()
    assert ready.hard_state is None and ready.entries == []
    assert ready.committed_entries == log[3:6]  # 4..6; 7 and 8 are not known committed
    node.advance(ready)
    assert node.applied_index == 6 and not node.has_ready()
    # As the only voter, a new term commits everything persisted before it.
    node.campaign()
    assert node.term == 2 and node.last_index == 9
    ready = node.ready()
    assert ready.hard_state == hs(2, 1, 9)
    assert ready.entries == [entry(9, 2)]
    assert ready.committed_entries == log[6:] + [entry(9, 2)]


def test_restart_after_snapshot() -> None:
    snap = raft_pb2.SnapshotMetadata(index=10, term=3, conf_state=raft_pb2.ConfState(voters=[1]))
    log = [entry(11, 3), entry(12, 4)]
    node = RaftNode(1, hs(4, 1, 12), log, snap)
    assert (node.first_index, node.last_index, node.last_term) == (11, 12, 4)
    assert [node.term_at(i) for i in (10, 11, 12)] == [3, 3, 4]
    for outside in (9, 13):
        with pytest.raises(ValueError, match="the log holds 11..12"):
            node.term_at(outside)
    node.set_applied(11)
    assert node.ready().committed_entries == [entry(12, 4)]
    with pytest.raises(ValueError, match="outside the log"):
        node.set_applied(9)
    with pytest.raises(ValueError, match="outside the log"):
        node.set_applied(13)


def test_applied_past_commit_proves_entries_committed() -> None:
    node = RaftNode(1, hs(1, 1, 2), [entry(1, 1), entry(2, 1), entry(3, 1)], None)
    node.set_applied(3)
    assert node.commit_index == 3
    ready = node.ready()
    assert ready.hard_state == hs(1, 1, 3) and ready.committed_entries == []


def test_restored_state_is_checked() -> None:
    with pytest.raises(ValueError, match="without gaps"):
        RaftNode(1, hs(1, 1, 0), [entry(1, 1), entry(3, 1)], None)
    with pytest.raises(ValueError, match="beyond the last log index"):
        RaftNode(1, hs(1, 1, 5), [entry(1, 1)], None)
    with pytest.raises(ValueError, match="single voting member"):
        snap = raft_pb2.SnapshotMetadata(conf_state=raft_pb2.ConfState(voters=[1, 2]))
        RaftNode(1, raft_pb2.HardState(), [], snap)


def test_compaction_forgets_entries_but_keeps_the_term() -> None:
    node, caller = new_node(), Harness()
    node.campaign()
    for i in range(5):
        node.propose(bytes([i]))
    caller.run(node)
    node.campaign()  # no-op; still term 1
    with pytest.raises(ValueError, match="only 6 is applied"):
        node.compact(7)
    node.compact(4)
    assert (node.first_index, node.last_index, node.last_term) == (5, 6, 1)
    node.compact(3)  # already compacted: nothing to do
    node.compact(6)
    assert (node.first_index, node.last_index, node.last_term) == (7, 6, 1)
    assert node.term_at(6) == 1
    assert node.propose(b"after") == 7
    ready = caller.run(node)
    assert ready.entries == ready.committed_entries == [entry(7, 1, b"after")]


def test_a_long_run_keeps_the_contract() -> None:
    node, caller = new_node(), Harness()
    node.campaign()
    for round_ in range(50):
        for i in range(round_ % 7):
            node.propose(f"{round_}.{i}".encode())
        if round_ % 10 == 9:
            node.compact(node.applied_index)
        caller.run(node)
    assert [e.Index for e in caller.applied] == list(range(1, node.last_index + 1))
    assert caller.wal == caller.applied
    assert caller.hard_state == hs(1, 1, node.last_index)
