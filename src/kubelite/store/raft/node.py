"""The Raft state machine, sans I/O: it never touches a disk, a socket or a clock.

The caller drives it the way etcd's raft package is driven: feed it input
(`campaign`, `propose`), then collect a `Ready` — what to persist and what
to apply — do that work, and hand the `Ready` back through `advance`.

The contract of a `Ready`:

1. persist `hard_state` (when not None) and `entries` to the write-ahead
   log and make them durable;
2. only then apply `committed_entries`, in order;
3. call `advance(ready)`.

Nothing appears in `committed_entries` that is not in the same Ready's
`entries` or persisted by an earlier round, so step 1 before step 2 is all
it takes for an entry to be durable before it is applied.

This version supports exactly one voting member, which commits an entry as
soon as it is persisted: a leader counts its own log as replicated, so an
entry proposed in a round is usually committed in that same round's Ready
(with `hard_state.commit` raised to match). Elections among several
members, replication, learners and ReadIndex come later; the state kept
here (role, term, vote, log, commit and applied indexes) is the state they
need.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kubelite.store.raftpb import raft_pb2


class Role(enum.Enum):
    """A member's part in the current term."""

    FOLLOWER = "follower"
    CANDIDATE = "candidate"
    LEADER = "leader"


class NotLeaderError(Exception):
    """A proposal reached a member that is not the leader."""


@dataclass(frozen=True)
class Ready:
    """One round of work for the caller; see the module docstring for the contract."""

    hard_state: raft_pb2.HardState | None
    entries: list[raft_pb2.Entry]
    committed_entries: list[raft_pb2.Entry]


class RaftNode:
    """One member's Raft state: role, term, vote, log, commit and applied indexes.

    `entries` are the persisted entries after `snapshot` (all of them, in
    order, as the write-ahead log returns them); `hard_state` the last one
    persisted.
    """

    def __init__(
        self,
        node_id: int,
        hard_state: raft_pb2.HardState,
        entries: list[raft_pb2.Entry],
        snapshot: raft_pb2.SnapshotMetadata | None,
    ) -> None:
        if node_id == 0:
            raise ValueError("node id 0 is reserved for 'none'")
        snapshot = snapshot or raft_pb2.SnapshotMetadata()
        voters = list(snapshot.conf_state.voters)
        if voters and voters != [node_id]:
            raise ValueError(f"only a single voting member is supported, not {voters}")
        for offset, entry in enumerate(entries):
            if entry.Index != snapshot.index + 1 + offset:
                raise ValueError(
                    f"log entries must follow snapshot index {snapshot.index} without gaps; "
                    f"found index {entry.Index} at position {offset}"
                )
        self._id = node_id
        self._term = hard_state.term
        self._vote = hard_state.vote
        self._role = Role.FOLLOWER
        self._leader = 0
        # The log: entries after (_snap_index, _snap_term), which is where the
        # snapshot (or the last compaction) left off.
        self._snap_index = snapshot.index
        self._snap_term = snapshot.term
        self._log = list(entries)
        self._stable = self.last_index
        if hard_state.commit > self._stable:
            raise ValueError(
                f"hard state commit {hard_state.commit} is beyond the last log index {self._stable}"
            )
        self._commit = max(hard_state.commit, self._snap_index)
        self._applied = self._snap_index
        self._persisted_hs = raft_pb2.HardState(
            term=hard_state.term, vote=hard_state.vote, commit=hard_state.commit
        )

    @property
    def node_id(self) -> int:
        return self._id

    @property
    def term(self) -> int:
        return self._term

    @property
    def vote(self) -> int:
        return self._vote

    @property
    def role(self) -> Role:
        return self._role

    @property
    def leader_id(self) -> int:
        """The leader this member knows of in its term, or 0."""
        return self._leader

    @property
    def first_index(self) -> int:
        """The index of the first entry still in the log."""
        return self._snap_index + 1

    @property
    def last_index(self) -> int:
        return self._snap_index + len(self._log)

    @property
    def last_term(self) -> int:
        return self._log[-1].Term if self._log else self._snap_term

    @property
    def commit_index(self) -> int:
        return self._commit

    @property
    def applied_index(self) -> int:
        return self._applied

    def term_at(self, index: int) -> int:
        """The term of the entry at `index`, from the snapshot index to the last index."""
        if index == self._snap_index:
            return self._snap_term
        if not self._snap_index < index <= self.last_index:
            raise ValueError(
                f"no term for index {index}: the log holds {self.first_index}..{self.last_index}"
            )
        return self._log[index - self._snap_index - 1].Term

    def set_applied(self, index: int) -> None:
        """Tell a restarted node how far the state machine already got.

        The backend stores its applied index with its data; entries up to the
        commit index beyond it come out again in the next Ready. An applied
        index past the persisted commit index proves those entries committed.
        """
        if not self._snap_index <= index <= self.last_index:
            raise ValueError(
                f"applied index {index} is outside the log ({self._snap_index}..{self.last_index})"
            )
        self._applied = index
        self._commit = max(self._commit, index)

    def campaign(self) -> None:
        """Start an election; as the only voter, win it at once."""
        if self._role == Role.LEADER:
            return
        self._become_candidate()
        # One voter: the candidate's own vote is a quorum.
        self._become_leader()

    def propose(self, data: bytes) -> int:
        """Append `data` as a normal entry in the current term; return its index."""
        if self._role != Role.LEADER:
            raise NotLeaderError(f"member {self._id:x} is not the leader")
        return self._append(data)

    def has_ready(self) -> bool:
        """Whether `ready()` has anything to persist or apply."""
        return (
            self._hard_state() != self._persisted_hs
            or self._stable < self.last_index
            or self._applied < self._commit
        )

    def ready(self) -> Ready:
        """The work due now: what to persist, then what to apply."""
        hs = self._hard_state()
        return Ready(
            hard_state=hs if hs != self._persisted_hs else None,
            entries=self._slice(self._stable, self.last_index),
            committed_entries=self._slice(self._applied, self._commit),
        )

    def advance(self, ready: Ready) -> None:
        """Acknowledge that `ready` was persisted and applied as the contract says."""
        if ready.hard_state is not None:
            self._persisted_hs = ready.hard_state
        if ready.entries:
            self._stable = max(self._stable, ready.entries[-1].Index)
        if ready.committed_entries:
            self._applied = max(self._applied, ready.committed_entries[-1].Index)

    def compact(self, index: int) -> None:
        """Forget the log up to `index` (now covered by a snapshot), keeping its term."""
        if index <= self._snap_index:
            return
        if index > self._applied:
            raise ValueError(f"cannot compact to {index}: only {self._applied} is applied")
        cut = index - self._snap_index
        self._snap_term = self._log[cut - 1].Term
        self._snap_index = index
        del self._log[:cut]

    def _become_candidate(self) -> None:
        self._role = Role.CANDIDATE
        self._term += 1
        self._vote = self._id
        self._leader = 0

    def _become_leader(self) -> None:
        self._role = Role.LEADER
        self._leader = self._id
        # An entry of its own term lets the new leader commit what earlier
        # terms left uncommitted.
        self._append(b"")

    def _append(self, data: bytes) -> int:
        index = self.last_index + 1
        self._log.append(
            raft_pb2.Entry(Term=self._term, Index=index, Type=raft_pb2.EntryNormal, Data=data)
        )
        self._maybe_commit()
        return index

    def _maybe_commit(self) -> None:
        # The quorum of a single voter is the leader itself, whose log counts
        # as replicated up to its last index. Raft commits by counting only
        # entries of the leader's own term; earlier ones commit with them.
        if self._role == Role.LEADER and self.last_term == self._term:
            self._commit = self.last_index

    def _hard_state(self) -> raft_pb2.HardState:
        return raft_pb2.HardState(term=self._term, vote=self._vote, commit=self._commit)

    def _slice(self, after: int, upto: int) -> list[raft_pb2.Entry]:
        """The entries with after < index <= upto."""
        return self._log[after - self._snap_index : upto - self._snap_index]
