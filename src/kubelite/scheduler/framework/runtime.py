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
  [0, 100], and is weighted; a node's total is the sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    NodePluginScores,
    NodeScore,
    PreFilterResult,
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


def run_filter_plugins(
    profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo
) -> Status:
    for plugin in profile.filter_plugins:
        if plugin.name in state.skip_filter_plugins:
            continue
        status = plugin.filter(state, pod, node)
        if not status.is_success():
            if not status.is_rejected():
                status = error(f'running "{plugin.name}" filter plugin: {status.message()}')
            return status.with_plugin(plugin.name)
    return SUCCESS


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


def run_score_plugins(
    profile: Profile, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
) -> tuple[list[NodePluginScores], Status]:
    totals = [NodePluginScores(node.name) for node in nodes]
    for plugin in profile.score_plugins:
        if plugin.name in state.skip_score_plugins:
            continue
        scores = [NodeScore(node.name, plugin.score(state, pod, node)) for node in nodes]
        if profile.normalizes(plugin):
            plugin.normalize_score(state, pod, scores)
        weight = profile.weight(plugin)
        for total, score in zip(totals, scores, strict=True):
            if not MIN_NODE_SCORE <= score.score <= MAX_NODE_SCORE:
                return [], error(
                    f'plugin "{plugin.name}" returns an invalid score {score.score}, it should '
                    f"in the range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing"
                ).with_plugin(plugin.name)
            total.scores[plugin.name] = score.score * weight
            total.total += score.score * weight
    return totals, SUCCESS
