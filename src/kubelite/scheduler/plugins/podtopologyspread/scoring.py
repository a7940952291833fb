"""PodTopologySpread's Score: the ScheduleAnyway constraints (a pod's own,
or the system defaults for pods of a Service or controller).

PreScore looks at the nodes that passed Filter. With the pod's own
constraints (or non-system defaults), a node lacking any constraint's key
is ignored (scores 0); with the system defaults it is not, so nodes
without a zone label still get hostname spreading. Each constraint weighs
log(number of its domains among those nodes + 2) (for hostname: the
number of nodes). Domain counts are the matching pods over all nodes of
the snapshot that the constraint's inclusion policies count, for domains
present among the scored nodes.

Score: the sum over constraints whose key the node has of
count * weight + (maxSkew - 1), where count is the matching pods in the
node's domain (on the node itself, for hostname); rounded.

NormalizeScore: fewer is better: 100 * (max + min - score) / max (integer
division; min and max over the nodes not ignored), 100 for all when max is
0, and 0 for ignored nodes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelite.scheduler.framework.arith import go_round
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, NodeScore
from kubelite.scheduler.framework.nodeaffinity import RequiredNodeAffinity
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import HOSTNAME_LABEL, PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.plugins.podtopologyspread.common import (
    Constraint,
    count_matching,
    has_all_keys,
)


@dataclass
class ScoreState:
    constraints: list[Constraint]
    ignored_nodes: set[str] = field(default_factory=set)
    # Per constraint (not hostname): topology value -> matching pods.
    counts: list[dict[str, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)


def compute_score_state(
    pod: PodInfo,
    snapshot: Snapshot,
    nodes: Sequence[NodeInfo],
    constraints: list[Constraint],
    require_all_topologies: bool,
) -> ScoreState:
    state = ScoreState(constraints, counts=[{} for _ in constraints])
    for node in nodes:
        if require_all_topologies and not has_all_keys(node.labels, constraints):
            state.ignored_nodes.add(node.name)
            continue
        for i, c in enumerate(constraints):
            if c.topology_key != HOSTNAME_LABEL:
                state.counts[i].setdefault(node.labels.get(c.topology_key, ""), 0)
    scored = len(nodes) - len(state.ignored_nodes)
    state.weights = [
        math.log((scored if c.topology_key == HOSTNAME_LABEL else len(state.counts[i])) + 2)
        for i, c in enumerate(constraints)
    ]
    required = RequiredNodeAffinity.of(pod.pod)
    for node in snapshot.node_infos:
        if require_all_topologies and not has_all_keys(node.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.counts_node(pod, node, required):
                continue
            value = node.labels.get(c.topology_key, "")
            if value in state.counts[i]:
                state.counts[i][value] += count_matching(node.pods, c.selector, pod.namespace)
    return state


def score_node(state: ScoreState, pod: PodInfo, node: NodeInfo) -> int:
    if node.name in state.ignored_nodes:
        return 0
    total = 0.0
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            continue
        if c.topology_key == HOSTNAME_LABEL:
            count = count_matching(node.pods, c.selector, pod.namespace)
        else:
            count = state.counts[i].get(value, 0)
        total += count * state.weights[i] + (c.max_skew - 1)
    return go_round(total)


def normalize(state: ScoreState, scores: list[NodeScore]) -> None:
    counted = [s.score for s in scores if s.name not in state.ignored_nodes]
    low = min(counted, default=0)
    high = max(counted, default=0)
    for s in scores:
        if s.name in state.ignored_nodes:
            s.score = 0
        elif high == 0:
            s.score = MAX_NODE_SCORE
        else:
            s.score = MAX_NODE_SCORE * (high + low - s.score) // high
