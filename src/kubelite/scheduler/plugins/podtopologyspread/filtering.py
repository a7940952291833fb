"""PodTopologySpread's Filter: the DoNotSchedule constraints.

PreFilter counts, per constraint, the matching pods in each domain (the
value of the topology key) over the nodes that carry every constraint's
key and that the constraint's inclusion policies count. A domain with no
matching pods still counts as a domain.

Filter: the node must carry the key ("node(s) didn't match pod topology
spread constraints (missing required label)", unresolvable) and

    matching pods in the node's domain + (1 if the pod itself matches)
        - global minimum  <=  maxSkew

where the global minimum is the smallest domain count, or 0 when there are
fewer domains than minDomains; else "node(s) didn't match pod topology
spread constraints".

`update_with_pod` counts a pod added to or taken from a node for a "what
if" Filter (AddPod / RemovePod): pods of the incoming pod's namespace that
a constraint selects, on nodes with every constraint's key that the
constraint's inclusion policies count.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.scheduler.framework.nodeaffinity import RequiredNodeAffinity
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo, selector_matches
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status, unresolvable, unschedulable
from kubelite.scheduler.plugins.podtopologyspread.common import (
    Constraint,
    count_matching,
    has_all_keys,
)

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"


@dataclass
class FilterState:
    constraints: list[Constraint]
    # Per constraint: topology value -> matching pods.
    counts: list[dict[str, int]]

    def clone(self) -> FilterState:
        return FilterState(self.constraints, [dict(c) for c in self.counts])

    def update_with_pod(
        self, updated: PodInfo, preemptor: PodInfo, node: NodeInfo, delta: int
    ) -> None:
        if updated.namespace != preemptor.namespace:
            return
        if not has_all_keys(node.labels, self.constraints):
            return
        required = RequiredNodeAffinity.of(preemptor.pod)
        for i, c in enumerate(self.constraints):
            if not selector_matches(c.selector, updated.labels):
                continue
            if not c.counts_node(preemptor, node, required):
                continue
            value = node.labels[c.topology_key]
            self.counts[i][value] = self.counts[i].get(value, 0) + delta

    def global_minimum(self, i: int) -> int:
        domains = self.counts[i]
        if len(domains) < self.constraints[i].min_domains:
            return 0
        return min(domains.values())


def compute_filter_state(
    pod: PodInfo, snapshot: Snapshot, constraints: list[Constraint]
) -> FilterState:
    counts: list[dict[str, int]] = [{} for _ in constraints]
    required = RequiredNodeAffinity.of(pod.pod)
    for node in snapshot.node_infos:
        if not has_all_keys(node.labels, constraints):
            continue
        for i, c in enumerate(constraints):
            if not c.counts_node(pod, node, required):
                continue
            value = node.labels[c.topology_key]
            matched = count_matching(node.pods, c.selector, pod.namespace)
            counts[i][value] = counts[i].get(value, 0) + matched
    return FilterState(constraints, counts)


def filter_node(state: FilterState, pod: PodInfo, node: NodeInfo) -> Status:
    for i, c in enumerate(state.constraints):
        value = node.labels.get(c.topology_key)
        if value is None:
            return unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
        self_match = 1 if selector_matches(c.selector, pod.labels) else 0
        skew = state.counts[i].get(value, 0) + self_match - state.global_minimum(i)
        if skew > c.max_skew:
            return unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
    return SUCCESS
