"""What InterPodAffinity's filtering and scoring share: counting matches
per topology pair, and resolving the incoming pod's namespaceSelectors.

The incoming pod's terms have their namespaceSelector resolved up front
into the namespaces it selects (from the snapshot's namespaces), so they
match existing pods by namespace name alone. Existing pods' terms keep
their namespaceSelector and are matched against the labels of the incoming
pod's namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from kubelite.scheduler.framework.podinfo import AffinityTerm, PodInfo, WeightedAffinityTerm
from kubelite.scheduler.framework.snapshot import Snapshot

TopologyPair = tuple[str, str]


def resolved(term: AffinityTerm, snapshot: Snapshot) -> AffinityTerm:
    """mergeAffinityTermNamespacesIfNotEmpty: a copy of the term whose
    non-empty namespaceSelector is replaced by the namespaces it selects."""
    selector = term.namespace_selector
    if selector is None or selector.empty():
        return term
    return replace(
        term,
        namespaces=term.namespaces | snapshot.namespaces_matching(selector),
        namespace_selector=None,
    )


def resolve_terms(terms: Iterable[AffinityTerm], snapshot: Snapshot) -> list[AffinityTerm]:
    return [resolved(t, snapshot) for t in terms]


def resolve_weighted(
    terms: Iterable[WeightedAffinityTerm], snapshot: Snapshot
) -> list[WeightedAffinityTerm]:
    return [WeightedAffinityTerm(resolved(t.term, snapshot), t.weight) for t in terms]


def matches_all(terms: list[AffinityTerm], pod: PodInfo) -> bool:
    """The pod matches every term (and there is at least one)."""
    return bool(terms) and all(t.matches(pod, None) for t in terms)


class TopologyCounts(dict[TopologyPair, int]):
    """Matches per (topology key, value); zero entries are dropped."""

    def bump(self, node_labels: Mapping[str, str], key: str, value: int) -> None:
        if key in node_labels:
            pair = (key, node_labels[key])
            count = self.get(pair, 0) + value
            if count:
                self[pair] = count
            else:
                self.pop(pair, None)
