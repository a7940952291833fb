"""InterPodAffinity's Score: preferred pod affinity and anti-affinity, both
the incoming pod's and the existing pods'.

PreScore adds up, per topology key and value, over the existing pods (all
of them when the incoming pod has preferred terms, else only pods with
affinity), for the node each runs on:
- + weight for each of the incoming pod's preferred affinity terms the
  existing pod matches, - weight for each preferred anti-affinity term;
- + hard_pod_affinity_weight (1) for each of the existing pod's required
  affinity terms the incoming pod matches;
- + weight / - weight for each of the existing pod's preferred affinity /
  anti-affinity terms the incoming pod matches.
It says SKIP when nothing was counted.

Score: the sum of the counts for the node's own (key, value) pairs.
NormalizeScore: min-max scaling to 0..100, (score - min) * 100 / (max -
min) in floating point, truncated; all 0 when max == min.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, NodeScore
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import AffinityTerm, PodInfo, WeightedAffinityTerm
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.plugins.interpodaffinity.common import resolve_weighted


@dataclass
class ScoreState:
    """Weights by topology key, then topology value."""

    topology_score: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(
        self,
        term: AffinityTerm,
        weight: int,
        pod: PodInfo,
        namespace_labels: Mapping[str, str] | None,
        node_labels: Mapping[str, str],
    ) -> None:
        if term.matches(pod, namespace_labels) and term.topology_key in node_labels:
            values = self.topology_score.setdefault(term.topology_key, {})
            value = node_labels[term.topology_key]
            values[value] = values.get(value, 0) + weight

    def add_weighted(
        self,
        terms: list[WeightedAffinityTerm],
        sign: int,
        pod: PodInfo,
        namespace_labels: Mapping[str, str] | None,
        node_labels: Mapping[str, str],
    ) -> None:
        for t in terms:
            self.add(t.term, t.weight * sign, pod, namespace_labels, node_labels)


def has_preferred_terms(pod: PodInfo) -> bool:
    affinity = pod.spec.get("affinity") or {}
    return any(
        (affinity.get(kind) or {}).get("preferredDuringSchedulingIgnoredDuringExecution")
        for kind in ("podAffinity", "podAntiAffinity")
    )


def compute_score_state(
    pod: PodInfo, snapshot: Snapshot, hard_pod_affinity_weight: int
) -> ScoreState:
    preferred = has_preferred_terms(pod)
    affinity = resolve_weighted(pod.preferred_affinity_terms, snapshot)
    anti_affinity = resolve_weighted(pod.preferred_anti_affinity_terms, snapshot)
    ns_labels = snapshot.namespace_labels(pod.namespace)
    state = ScoreState()
    nodes = snapshot.node_infos if preferred else snapshot.have_pods_with_affinity
    for node in nodes:
        if not node.labels:
            continue
        for existing in node.pods if preferred else node.pods_with_affinity:
            state.add_weighted(affinity, 1, existing, None, node.labels)
            state.add_weighted(anti_affinity, -1, existing, None, node.labels)
            if hard_pod_affinity_weight > 0:
                for term in existing.required_affinity_terms:
                    state.add(term, hard_pod_affinity_weight, pod, ns_labels, node.labels)
            state.add_weighted(existing.preferred_affinity_terms, 1, pod, ns_labels, node.labels)
            state.add_weighted(
                existing.preferred_anti_affinity_terms, -1, pod, ns_labels, node.labels
            )
    return state


def score_node(state: ScoreState, node: NodeInfo) -> int:
    total = 0
    for key, values in state.topology_score.items():
        if key in node.labels:
            total += values.get(node.labels[key], 0)
    return total


def normalize(scores: list[NodeScore]) -> None:
    if not scores:
        return
    low = min(s.score for s in scores)
    spread = max(s.score for s in scores) - low
    for s in scores:
        s.score = int(MAX_NODE_SCORE * ((s.score - low) / spread)) if spread > 0 else 0
