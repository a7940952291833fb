"""NodeAffinity: the pod's nodeSelector and node affinity.

PreFilter: nothing to check (SKIP) without a nodeSelector and without
required node affinity. When every required term names nodes with
`matchFields: metadata.name In [...]`, only those nodes are worth
filtering (the union over terms of each term's intersection); when that
set is empty: "pod affinity terms conflict".

Filter: the node must match the nodeSelector and one of the required terms,
else "node(s) didn't match Pod's node affinity/selector" (unresolvable).

Score: the sum of the weights of the preferred terms the node matches,
normalized so the best node scores 100 (DefaultNormalizeScore).
"""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, NodeScore, PreFilterResult
from kubelite.scheduler.framework.nodeaffinity import (
    NAME_FIELD,
    PreferredSchedulingTerms,
    RequiredNodeAffinity,
)
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.normalize import default_normalize, default_normalize_score
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import (
    SKIP,
    SUCCESS,
    Status,
    error,
    unresolvable,
)
from kubelite.scheduler.plugins import names

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
_REJECTED = unresolvable(ERR_REASON_POD)
ERR_REASON_CONFLICT = "pod affinity terms conflict"
PRE_FILTER_KEY = "PreFilter" + names.NODE_AFFINITY
PRE_SCORE_KEY = "PreScore" + names.NODE_AFFINITY


def _node_affinity(pod: PodInfo) -> dict:
    return (pod.spec.get("affinity") or {}).get("nodeAffinity") or {}


def _named_nodes(terms: list[dict]) -> set[str] | None:
    """The nodes the required terms restrict the pod to by name, or None
    when some term does not restrict by name."""
    names_found: set[str] = set()
    for term in terms:
        in_term: set[str] | None = None
        for expr in term.get("matchFields") or []:
            if expr.get("key") == NAME_FIELD and expr.get("operator") == "In":
                values = set(expr.get("values") or [])
                in_term = values if in_term is None else in_term & values
        if in_term is None:
            return None
        names_found |= in_term
    return names_found


class NodeAffinity:
    name = names.NODE_AFFINITY

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        if required is None and pod.spec.get("nodeSelector") is None:
            return None, SKIP
        state.write(PRE_FILTER_KEY, RequiredNodeAffinity.of(pod.pod))
        terms = (required or {}).get("nodeSelectorTerms") or []
        if not terms:
            return None, SUCCESS
        named = _named_nodes(terms)
        if named is None:
            return None, SUCCESS
        if not named:
            return None, unresolvable(ERR_REASON_CONFLICT)
        return PreFilterResult(frozenset(named)), SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        required = state.get(PRE_FILTER_KEY) or RequiredNodeAffinity.of(pod.pod)
        if required.matches_labels(node.labels, node.name):
            return SUCCESS
        return _REJECTED

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        preferred = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution")
        if preferred is None:
            return SKIP
        try:
            state.write(PRE_SCORE_KEY, PreferredSchedulingTerms.parse(preferred))
        except ValueError as err:
            return error(f"parsing pod preferred node affinity: {err}")
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return self._terms(state, pod).score_labels(node.labels, node.name)

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[NodeScore]) -> None:
        default_normalize_score(MAX_NODE_SCORE, False, scores)

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]:
        terms = self._terms(state, pod)
        return default_normalize(
            MAX_NODE_SCORE, False, [terms.score_labels(n.labels, n.name) for n in nodes])

    @staticmethod
    def _terms(state: CycleState, pod: PodInfo) -> PreferredSchedulingTerms:
        terms = state.get(PRE_SCORE_KEY)
        if terms is None:
            preferred = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution")
            terms = PreferredSchedulingTerms.parse(preferred or [])
        return terms
