"""Running a profile's plugins at each extension point, as the framework
runtime does.

- PreFilter: every plugin in order. SKIP drops that plugin's Filter for
  this cycle. UNSCHEDULABLE_AND_UNRESOLVABLE stops at once; UNSCHEDULABLE
  is kept and the others still run (preemption wants their state); any
  other failure is an internal error. Node sets the plugins return are
  intersected; an empty intersection is unresolvable: "node(s) didn't
  satisfy plugin X" (one plugin) or "node(s) didn't satisfy plugin(s)
  [X Y] simultaneously".
- PreFilter extensions (AddPod / RemovePod): each PreFilter plugin that has
  them and did not say SKIP updates its state for a pod added to or taken
  from a node; a failure is an internal error.
- Filter: plugins in order, stopping at the first that rejects the node;
  its status (with the plugin's name) is the node's.
- Filter with nominated pods (RunFilterPluginsWithNominatedPods): the pods
  nominated to the node with a priority at least the pod's (other than
  itself) are added to a copy of the node and of the state first; when
  that passes, Filter runs again without them (pod affinity may need them
  absent). Both must pass.
- PreScore: SKIP drops that plugin's Score; a failure is an error.
- Score: each plugin scores each node, normalizes, must land in
  [0, 100], and is weighted; a node's total is the sum. A plugin with
  `score_nodes` gives its normalized scores for all nodes in one call.

For speed, the plugins a cycle runs (those its PreFilter did not skip) are
listed once per cycle (`active_filters`), a rejection's status with the
plugin's name is made once per distinct status, and scores are added up
plugin by plugin over lists of integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    FilterPlugin,
    NodeScore,
    PreFilterResult,
    ScorePlugin,
    ScoreTable,
)
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Code, Status, error, unresolvable


def run_pre_filter_plugins(
    profile: Profile, state: CycleState, pod: PodInfo, snapshot: Snapshot
) -> tuple[PreFilterResult, Status, list[str]]:
    """The merged node restriction, the status, and the plugins that
    restricted the nodes."""
    result = PreFilterResult()
    returned = SUCCESS
    restricting: list[str] = []
    for plugin in profile.pre_filter_plugins:
        narrowed, status = plugin.pre_filter(state, pod, snapshot)
        if status.is_skip():
            state.skip_filter_plugins.add(plugin.name)
            continue
        if not status.is_success():
            status = status.with_plugin(plugin.name)
            if status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return result, status, restricting
            if status.code == Code.UNSCHEDULABLE:
                returned = status
                continue
            return (
                result,
                error(f'running PreFilter plugin "{plugin.name}": {status.message()}')
                .with_plugin(plugin.name),
                restricting,
            )
        if narrowed is not None and not narrowed.all_nodes():
            restricting.append(plugin.name)
        result = result.merge(narrowed)
        if not result.all_nodes() and not result.node_names:
            if len(restricting) == 1:
                message = f"node(s) didn't satisfy plugin {restricting[0]}"
            else:
                message = (
                    f"node(s) didn't satisfy plugin(s) [{' '.join(restricting)}] simultaneously"
                )
            return result, unresolvable(message), restricting
    return result, returned, restricting


def run_pre_filter_extension_add_pod(
    profile: Profile, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
) -> Status:
    for plugin in profile.pre_filter_extensions:
        if plugin.name in state.skip_filter_plugins:
            continue
        status = plugin.add_pod(state, pod, pod_to_add, node)
        if not status.is_success():
            return error(
                f'running AddPod on PreFilter plugin "{plugin.name}": {status.message()}'
            ).with_plugin(plugin.name)
    return SUCCESS


def run_pre_filter_extension_remove_pod(
    profile: Profile, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
) -> Status:
    for plugin in profile.pre_filter_extensions:
        if plugin.name in state.skip_filter_plugins:
            continue
        status = plugin.remove_pod(state, pod, pod_to_remove, node)
        if not status.is_success():
            return error(
                f'running RemovePod on PreFilter plugin "{plugin.name}": {status.message()}'
            ).with_plugin(plugin.name)
    return SUCCESS


def active_filters(profile: Profile, state: CycleState) -> list[FilterPlugin]:
    """The Filter plugins to run in this cycle, in order: those whose
    PreFilter did not say SKIP."""
    skipped = state.skip_filter_plugins
    return [p for p in profile.filter_plugins if p.name not in skipped]


@lru_cache(maxsize=4096)
def _from_plugin(status: Status, plugin: str) -> Status:
    return status.with_plugin(plugin)


def _failed_filter(status: Status, plugin: str) -> Status:
    """A failed Filter's status as the node's: the plugin's name on it, and
    an internal error for anything but a rejection."""
    if not status.is_rejected():
        return error(f'running "{plugin}" filter plugin: {status.message()}').with_plugin(plugin)
    try:
        return _from_plugin(status, plugin)
    except TypeError:  # reasons that cannot be hashed (a list)
        return status.with_plugin(plugin)


def run_filters(
    filters: Sequence[FilterPlugin], state: CycleState, pod: PodInfo, node: NodeInfo
) -> Status:
    """Filter with the given plugins (active_filters), stopping at the
    first that does not succeed."""
    for plugin in filters:
        status = plugin.filter(state, pod, node)
        if status is not SUCCESS and status.code != Code.SUCCESS:
            return _failed_filter(status, plugin.name)
    return SUCCESS


def run_filter_plugins(
    profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo
) -> Status:
    return run_filters(active_filters(profile, state), state, pod, node)


class NominatedPods(Protocol):
    """The pods nominated to a node (SchedulingQueue.nominated_pods_for_node)."""

    def __call__(self, node_name: str) -> Sequence[PodInfo]: ...


def run_filter_plugins_with_nominated_pods(
    profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo,
    nominated: Sequence[PodInfo],
) -> Status:
    status = SUCCESS
    for first in (True, False):
        state_to_use, node_to_use = state, node
        if first:
            added, state_to_use, node_to_use, failed = _add_nominated_pods(
                profile, state, pod, node, nominated)
            if failed is not None:
                return failed
        elif not added or not status.is_success():
            break
        status = run_filter_plugins(profile, state_to_use, pod, node_to_use)
        if not status.is_success() and not status.is_rejected():
            return status
    return status


def _add_nominated_pods(
    profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo,
    nominated: Sequence[PodInfo],
) -> tuple[bool, CycleState, NodeInfo, Status | None]:
    """addGENominatedPods: the nominated pods of equal or higher priority
    added to copies of the node and the state."""
    chosen = [p for p in nominated if p.priority >= pod.priority and p.uid != pod.uid]
    if not chosen:
        return False, state, node, None
    node_out, state_out = node.clone(), state.clone()
    for other in chosen:
        node_out.add_pod(other)
        status = run_pre_filter_extension_add_pod(profile, state_out, pod, other, node_out)
        if not status.is_success():
            return False, state, node, status
    return True, state_out, node_out, None


def run_pre_score_plugins(
    profile: Profile,
    state: CycleState,
    pod: PodInfo,
    nodes: Sequence[NodeInfo],
    snapshot: Snapshot,
) -> Status:
    for plugin in profile.pre_score_plugins:
        status = plugin.pre_score(state, pod, nodes, snapshot)
        if status.is_skip():
            state.skip_score_plugins.add(plugin.name)
        elif not status.is_success():
            return error(
                f'running PreScore plugin "{plugin.name}": {status.message()}'
            ).with_plugin(plugin.name)
    return SUCCESS


def plugin_scores(
    plugin: ScorePlugin, normalizes: bool, state: CycleState, pod: PodInfo,
    nodes: Sequence[NodeInfo],
) -> list[int]:
    """One plugin's normalized scores for `nodes`, in their order."""
    score_nodes = getattr(plugin, "score_nodes", None)
    if score_nodes is not None:
        return score_nodes(state, pod, nodes)
    scores = [plugin.score(state, pod, node) for node in nodes]
    if normalizes:
        listed = [NodeScore(node.name, score) for node, score in zip(nodes, scores, strict=True)]
        plugin.normalize_score(state, pod, listed)
        scores = [s.score for s in listed]
    return scores


def _invalid_score(plugin: ScorePlugin, scores: list[int]) -> Status | None:
    if not scores or (min(scores) >= MIN_NODE_SCORE and max(scores) <= MAX_NODE_SCORE):
        return None
    bad = next(s for s in scores if not MIN_NODE_SCORE <= s <= MAX_NODE_SCORE)
    return error(
        f'plugin "{plugin.name}" returns an invalid score {bad}, it should '
        f"in the range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing"
    ).with_plugin(plugin.name)


def run_score_plugins(
    profile: Profile, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
) -> tuple[ScoreTable, Status]:
    names: list[str] = []
    columns: list[list[int]] = []
    skipped = state.skip_score_plugins
    for plugin, weight, normalizes in profile.score_plan:
        if plugin.name in skipped:
            continue
        scores = plugin_scores(plugin, normalizes, state, pod, nodes)
        invalid = _invalid_score(plugin, scores)
        if invalid is not None:
            return ScoreTable([], [], []), invalid
        names.append(plugin.name)
        columns.append(scores if weight == 1 else [score * weight for score in scores])
    return ScoreTable([node.name for node in nodes], names, columns), SUCCESS
