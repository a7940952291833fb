"""InterPodAffinity's Filter: required pod affinity and anti-affinity.

PreFilter counts, per topology pair (key, value of the node's label):
- existing pods whose required anti-affinity terms select the incoming pod
  (by the topology of the node they run on);
- existing pods matching all of the incoming pod's required affinity terms;
- existing pods matching each of its required anti-affinity terms.
It says SKIP when there is nothing to check, and rejects the pod
(unresolvable, "parsing pod: ...") when its selectors do not parse.
`update_with_pod` keeps the counts right when a pod is added to or taken
from a node for a "what if" Filter (AddPod / RemovePod).

Filter, in this order:
1. affinity: the node must carry every term's topology key and each pair
   must have a matching pod; except that a pod whose terms match nothing
   anywhere but which matches its own terms may go to any node with the
   keys (the first of a group): else "node(s) didn't match pod affinity
   rules" (unresolvable);
2. the pod's anti-affinity: no matching pod in the node's topology of any
   term: else "node(s) didn't match pod anti-affinity rules";
3. existing pods' anti-affinity: no pair of the node's labels may hold a
   pod whose anti-affinity rejects this pod: else "node(s) didn't satisfy
   existing pods anti-affinity rules".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import AffinityTerm, PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status, unresolvable, unschedulable
from kubelite.scheduler.plugins.interpodaffinity.common import (
    TopologyCounts,
    matches_all,
    resolve_terms,
)

ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"


@dataclass
class FilterState:
    pod: PodInfo
    affinity_terms: list[AffinityTerm]
    anti_affinity_terms: list[AffinityTerm]
    existing_anti_affinity: TopologyCounts
    affinity: TopologyCounts
    anti_affinity: TopologyCounts
    # The labels of the incoming pod's namespace (existing pods' terms
    # select it by them).
    namespace_labels: Mapping[str, str] | None = field(default=None)

    def nothing_to_check(self) -> bool:
        return not (self.existing_anti_affinity or self.affinity_terms or self.anti_affinity_terms)

    def clone(self) -> FilterState:
        return FilterState(
            self.pod, self.affinity_terms, self.anti_affinity_terms,
            TopologyCounts(self.existing_anti_affinity), TopologyCounts(self.affinity),
            TopologyCounts(self.anti_affinity), self.namespace_labels,
        )

    def update_with_pod(self, other: PodInfo, node: NodeInfo, multiplier: int) -> None:
        """Count `other` on `node` in (multiplier 1) or out (-1)."""
        for term in other.required_anti_affinity_terms:
            if term.matches(self.pod, self.namespace_labels):
                self.existing_anti_affinity.bump(node.labels, term.topology_key, multiplier)
        if matches_all(self.affinity_terms, other):
            for term in self.affinity_terms:
                self.affinity.bump(node.labels, term.topology_key, multiplier)
        for term in self.anti_affinity_terms:
            if term.matches(other, None):
                self.anti_affinity.bump(node.labels, term.topology_key, multiplier)


def compute_filter_state(pod: PodInfo, snapshot: Snapshot) -> FilterState:
    affinity_terms = resolve_terms(pod.required_affinity_terms, snapshot)
    anti_terms = resolve_terms(pod.required_anti_affinity_terms, snapshot)
    ns_labels = snapshot.namespace_labels(pod.namespace)
    existing = TopologyCounts()
    for node in snapshot.have_pods_with_required_anti_affinity:
        for other in node.pods_with_required_anti_affinity:
            for term in other.required_anti_affinity_terms:
                if term.matches(pod, ns_labels):
                    existing.bump(node.labels, term.topology_key, 1)
    affinity, anti = TopologyCounts(), TopologyCounts()
    if affinity_terms or anti_terms:
        for node in snapshot.node_infos:
            for other in node.pods:
                if matches_all(affinity_terms, other):
                    for term in affinity_terms:
                        affinity.bump(node.labels, term.topology_key, 1)
                for term in anti_terms:
                    if term.matches(other, None):
                        anti.bump(node.labels, term.topology_key, 1)
    return FilterState(pod, affinity_terms, anti_terms, existing, affinity, anti, ns_labels)


def _satisfies_affinity(state: FilterState, node: NodeInfo) -> bool:
    pods_exist = True
    for term in state.affinity_terms:
        value = node.labels.get(term.topology_key)
        if value is None:
            return False
        if state.affinity.get((term.topology_key, value), 0) <= 0:
            pods_exist = False
    if pods_exist:
        return True
    return not state.affinity and matches_all(state.affinity_terms, state.pod)


def _satisfies_anti_affinity(state: FilterState, node: NodeInfo) -> bool:
    if not state.anti_affinity:
        return True
    for term in state.anti_affinity_terms:
        value = node.labels.get(term.topology_key)
        if value is not None and state.anti_affinity.get((term.topology_key, value), 0) > 0:
            return False
    return True


def _satisfies_existing_anti_affinity(state: FilterState, node: NodeInfo) -> bool:
    if not state.existing_anti_affinity:
        return True
    return not any(state.existing_anti_affinity.get(pair, 0) > 0 for pair in node.labels.items())


def filter_node(state: FilterState, node: NodeInfo) -> Status:
    if not _satisfies_affinity(state, node):
        return unresolvable(ERR_REASON_AFFINITY)
    if not _satisfies_anti_affinity(state, node):
        return unschedulable(ERR_REASON_ANTI_AFFINITY)
    if not _satisfies_existing_anti_affinity(state, node):
        return unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY)
    return SUCCESS
