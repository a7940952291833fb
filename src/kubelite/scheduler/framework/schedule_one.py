"""One scheduling decision: which node a pod should go to, as
kube-scheduler's schedulePod decides it (schedule_one.go), without the
queue, the cache or the binding around it.

1. PreFilter. A rejection ends the cycle: every node carries that status
   and the FitError message is the PreFilter's. A node set from PreFilter
   (NodeAffinity's metadata.name terms) narrows the search; the nodes left
   out carry "node(s) didn't satisfy plugin(s) [NodeAffinity]".
2. A pod with status.nominatedNodeName (set by an earlier preemption) is
   tried on that node first; if it fits there, that is the answer.
3. Filter, node by node, from `start_index` around the snapshot's node
   list, stopping once `num_feasible_nodes_to_find` nodes fit (only one
   when the profile has no score plugins). The next cycle starts where this
   one stopped: `next_start_index`. Given `nominated_pods` (the queue's
   nominated_pods_for_node), Filter counts the pods nominated to each node
   that have at least this pod's priority, as upstream always does.
4. With one feasible node, that node. With more, PreScore and Score them
   (weighted sum; every node scores 1 when there are no score plugins) and
   take a highest-scoring node, ties broken at random by `rng` so that each
   tied node is equally likely (reservoir sampling, as selectHost does).

The search is sequential, so it examines exactly the nodes needed; the
upstream one runs in parallel chunks and may look at a few more before it
notices it has enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import NodePluginScores, ScoreTable
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.runtime import (
    NominatedPods,
    active_filters,
    run_filter_plugins_with_nominated_pods,
    run_filters,
    run_pre_filter_plugins,
    run_pre_score_plugins,
    run_score_plugins,
)
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Code, Status, error, unresolvable

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
NO_NODES_AVAILABLE = "no nodes available to schedule pods"


class Random(Protocol):
    """What schedule_one needs of its random source (random.Random has it)."""

    def randrange(self, stop: int) -> int: ...


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int | None = None) -> int:
    """How many feasible nodes are enough: all of them below 100 nodes;
    otherwise `percentage` of them (0 or None: 50% minus 1% per 125 nodes,
    at least 5%), and never fewer than 100."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if not percentage:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    return max(num_all_nodes * percentage // 100, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass
class ScheduleResult:
    """The decision and its diagnosis.

    `suggested_host` is None when no node fits (or on an error). `statuses`
    holds the nodes Filter (or the nominated-node check) rejected, with why;
    nodes not in it that were not found feasible carry `absent_status`
    (PreFilter's rejection, or the PreFilter node-set message).
    `unschedulable_plugins` are the plugins that rejected something (what
    the queue waits on events for). `error` is set for internal failures and
    for an empty snapshot; the pod should then be retried, not diagnosed.
    """

    suggested_host: str | None = None
    evaluated_nodes: int = 0
    feasible_nodes: int = 0
    statuses: dict[str, Status] = field(default_factory=dict)
    absent_status: Status = field(
        default_factory=lambda: Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE)
    )
    pre_filter_message: str = ""
    unschedulable_plugins: set[str] = field(default_factory=set)
    scores: Sequence[NodePluginScores] = field(default_factory=list)
    next_start_index: int = 0
    error: Status | None = None
    state: CycleState = field(default_factory=CycleState)

    def _record(self, node: str, status: Status) -> None:
        self.statuses[node] = status
        if status.is_rejected() and status.plugin:
            self.unschedulable_plugins.add(status.plugin)


def schedule_one(
    pod: dict[str, Any] | PodInfo,
    snapshot: Snapshot,
    profile: Profile,
    *,
    start_index: int = 0,
    rng: Random,
    nominated_pods: NominatedPods | None = None,
) -> ScheduleResult:
    info = pod if isinstance(pod, PodInfo) else PodInfo.of(pod)
    result = ScheduleResult(next_start_index=start_index)
    if not snapshot.node_infos:
        result.error = error(NO_NODES_AVAILABLE)
        return result
    feasible = _find_nodes_that_fit(info, snapshot, profile, start_index, result, nominated_pods)
    if result.error is not None:
        return result
    result.evaluated_nodes = len(feasible) + len(result.statuses)
    result.feasible_nodes = len(feasible)
    if not feasible:
        return result
    if len(feasible) == 1:
        result.suggested_host = feasible[0].name
        return result
    scores = _prioritize(info, snapshot, profile, feasible, result)
    if result.error is None:
        result.scores = scores
        result.suggested_host = select_host(scores, rng)
    return result


def _find_nodes_that_fit(
    pod: PodInfo, snapshot: Snapshot, profile: Profile, start: int, result: ScheduleResult,
    nominated: NominatedPods | None,
) -> list[NodeInfo]:
    state = result.state
    narrowed, status, restricting = run_pre_filter_plugins(profile, state, pod, snapshot)
    result.unschedulable_plugins.update(restricting)
    if not status.is_success():
        if not status.is_rejected():
            result.error = status
            return []
        result.absent_status = status
        result.pre_filter_message = status.message()
        if status.plugin:
            result.unschedulable_plugins.add(status.plugin)
        return []

    nominated_node = (pod.pod.get("status") or {}).get("nominatedNodeName")
    if nominated_node and (node := snapshot.get(nominated_node)) is not None:
        feasible = _pass_filters(pod, profile, [node], 0, result, nominated)
        if feasible or result.error is not None:
            return feasible

    nodes = snapshot.node_infos
    if not narrowed.all_nodes():
        nodes = [n for n in nodes if n.name in narrowed.node_names]
        result.absent_status = unresolvable(
            f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(set(restricting)))}]"
        )
    feasible = _pass_filters(pod, profile, nodes, start, result, nominated) if nodes else []
    processed = len(feasible) + len(result.statuses)
    result.next_start_index = (start + processed) % len(snapshot.node_infos)
    return feasible


def _pass_filters(
    pod: PodInfo, profile: Profile, nodes: Sequence[NodeInfo], start: int, result: ScheduleResult,
    nominated: NominatedPods | None,
) -> list[NodeInfo]:
    wanted = num_feasible_nodes_to_find(len(nodes), profile.percentage_of_nodes_to_score)
    if not profile.score_plugins:
        wanted = 1
    count = len(nodes)
    start %= count
    if not profile.filter_plugins:
        return [nodes[(start + i) % count] for i in range(min(wanted, count))]
    state = result.state
    filters = active_filters(profile, state)
    feasible: list[NodeInfo] = []
    for node in [*nodes[start:], *nodes[:start]]:
        others = nominated(node.name) if nominated is not None else None
        if others:
            status = run_filter_plugins_with_nominated_pods(profile, state, pod, node, others)
        else:
            # Without nominated pods, RunFilterPluginsWithNominatedPods is
            # one plain Filter.
            status = run_filters(filters, state, pod, node)
        if status is SUCCESS or status.code == Code.SUCCESS:
            feasible.append(node)
            if len(feasible) >= wanted:
                break
        elif status.code == Code.ERROR:
            result.error = status
            return []
        else:
            result._record(node.name, status)
    return feasible


def _prioritize(
    pod: PodInfo,
    snapshot: Snapshot,
    profile: Profile,
    nodes: list[NodeInfo],
    result: ScheduleResult,
) -> Sequence[NodePluginScores]:
    if not profile.score_plugins:
        return [NodePluginScores(node.name, total=1) for node in nodes]
    status = run_pre_score_plugins(profile, result.state, pod, nodes, snapshot)
    if not status.is_success():
        result.error = status
        return []
    scores, status = run_score_plugins(profile, result.state, pod, nodes)
    if not status.is_success():
        result.error = status
    return scores


def select_host(scores: Sequence[NodePluginScores], rng: Random) -> str:
    """A node with the highest total, each tied one equally likely."""
    totals = scores.totals if isinstance(scores, ScoreTable) else [s.total for s in scores]
    return scores[select_index(totals, rng)].name


def select_index(totals: Sequence[int], rng: Random) -> int:
    """The index of a highest total, each tied one equally likely
    (reservoir sampling: one rng.randrange per tie, as selectHost draws)."""
    best = 0
    top = totals[0]
    ties = 1
    randrange = rng.randrange
    for i in range(1, len(totals)):
        total = totals[i]
        if total > top:
            best, top, ties = i, total, 1
        elif total == top:
            ties += 1
            if randrange(ties) == 0:
                best = i
    return best
