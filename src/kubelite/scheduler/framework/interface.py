"""The extension points a plugin can implement, as Protocols, and the
small types they exchange.

A plugin is an object with a `name` and any of the methods below; the
profile sorts plugins into extension points by the methods they have.
Pure extension points (PreFilter and its AddPod / RemovePod extensions,
Filter, PreScore, Score, NormalizeScore, Reserve, Permit) are plain calls
over data. Bind does I/O, so it returns an
awaitable: its implementations live with the scheduler process, not here.

Scores: a Score plugin returns an integer per node; NormalizeScore (when
the plugin has one) rewrites the list in place so that every score ends in
[MIN_NODE_SCORE, MAX_NODE_SCORE]; the framework then multiplies by the
plugin's weight and adds up. A plugin may also have `score_nodes`, which
gives the normalized scores of all nodes in one call (ScoreNodesPlugin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Status

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0


@dataclass
class NodeScore:
    name: str
    score: int


@dataclass
class NodePluginScores:
    """A node's weighted score from each score plugin, and their total."""

    name: str
    scores: dict[str, int] = field(default_factory=dict)
    total: int = 0


class ScoreTable(Sequence[NodePluginScores]):
    """The nodes' NodePluginScores, in order, each made when it is read: a
    cycle only needs the `totals`. `columns` holds each plugin's weighted
    scores of all nodes."""

    def __init__(self, nodes: Sequence[str], plugins: Sequence[str],
                 columns: Sequence[Sequence[int]]) -> None:
        self.nodes, self.plugins, self.columns = nodes, plugins, columns
        self.totals = [sum(per_node) for per_node in zip(*columns, strict=True)] \
            if columns else [0] * len(nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, i: int) -> NodePluginScores:  # type: ignore[override]
        scores = {plugin: column[i]
                  for plugin, column in zip(self.plugins, self.columns, strict=True)}
        return NodePluginScores(self.nodes[i], scores, self.totals[i])


@dataclass(frozen=True)
class PreFilterResult:
    """From PreFilter: the only nodes worth filtering (None: all of them)."""

    node_names: frozenset[str] | None = None

    def all_nodes(self) -> bool:
        return self.node_names is None

    def merge(self, other: PreFilterResult | None) -> PreFilterResult:
        """Both restrictions at once: the intersection."""
        if other is None or other.all_nodes():
            return self
        if self.all_nodes():
            return other
        return PreFilterResult(self.node_names & other.node_names)


@runtime_checkable
class Plugin(Protocol):
    name: str


@runtime_checkable
class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]: ...


@runtime_checkable
class PreFilterExtensions(Plugin, Protocol):
    """PreFilter's AddPod / RemovePod: bring the state PreFilter computed up
    to date when a pod is added to or taken from `node` for a "what if"
    Filter (nominated pods, preemption victims). `pod` is the pod being
    scheduled."""

    def add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status: ...

    def remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status: ...


@runtime_checkable
class FilterPlugin(Plugin, Protocol):
    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status: ...


@runtime_checkable
class PostFilterPlugin(Plugin, Protocol):
    """Runs when no node fits (preemption). `statuses` are the nodes'
    Filter statuses; the result names a node to nominate, if any."""

    def post_filter(
        self,
        state: CycleState,
        pod: PodInfo,
        snapshot: Snapshot,
        statuses: Mapping[str, Status],
    ) -> tuple[str | None, Status]: ...


@runtime_checkable
class PreScorePlugin(Plugin, Protocol):
    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status: ...


@runtime_checkable
class ScorePlugin(Plugin, Protocol):
    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int: ...


@runtime_checkable
class ScoreNodesPlugin(Plugin, Protocol):
    """Ours, not upstream's: a Score plugin's final scores for all `nodes`
    at once, in their order, exactly what Score on each node followed by
    its NormalizeScore (if any) gives. The runtime calls it instead of
    those, so that a plugin can take a shortcut that gives the same numbers
    (e.g. every node the same score) and save a call per node."""

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]: ...


@runtime_checkable
class NormalizeScorePlugin(Plugin, Protocol):
    def normalize_score(
        self, state: CycleState, pod: PodInfo, scores: list[NodeScore]
    ) -> None: ...


@runtime_checkable
class ReservePlugin(Plugin, Protocol):
    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status: ...

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None: ...


@runtime_checkable
class PermitPlugin(Plugin, Protocol):
    """Success, a rejection, or WAIT with how long to wait (seconds)."""

    def permit(
        self, state: CycleState, pod: PodInfo, node_name: str
    ) -> tuple[Status, float]: ...


@runtime_checkable
class BindPlugin(Plugin, Protocol):
    """SKIP hands the pod to the next bind plugin."""

    def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Awaitable[Status]: ...
