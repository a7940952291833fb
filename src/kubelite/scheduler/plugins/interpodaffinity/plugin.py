"""The InterPodAffinity plugin: PreFilter (with AddPod / RemovePod) and
Filter from filtering.py, PreScore / Score / NormalizeScore from
scoring.py.

Args as upstream's InterPodAffinityArgs: `hard_pod_affinity_weight`
(default 1) is what an existing pod's required affinity term adds to
the score of nodes in its topology when the incoming pod matches it;
`ignore_preferred_terms_of_existing_pods` skips scoring for pods without
preferred terms of their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import NodeScore, PreFilterResult
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SKIP, SUCCESS, Status, error, unresolvable
from kubelite.scheduler.plugins import names
from kubelite.scheduler.plugins.interpodaffinity.filtering import (
    FilterState,
    compute_filter_state,
    filter_node,
)
from kubelite.scheduler.plugins.interpodaffinity.scoring import (
    ScoreState,
    compute_score_state,
    has_preferred_terms,
    normalize,
    score_node,
)

PRE_FILTER_KEY = "PreFilter" + names.INTER_POD_AFFINITY
PRE_SCORE_KEY = "PreScore" + names.INTER_POD_AFFINITY


class InterPodAffinity:
    name = names.INTER_POD_AFFINITY

    def __init__(
        self,
        *,
        hard_pod_affinity_weight: int = 1,
        ignore_preferred_terms_of_existing_pods: bool = False,
    ) -> None:
        self.hard_pod_affinity_weight = hard_pod_affinity_weight
        self.ignore_preferred_terms_of_existing_pods = ignore_preferred_terms_of_existing_pods

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        if pod.parse_error:
            return None, unresolvable(f"parsing pod: {pod.parse_error}")
        computed = compute_filter_state(pod, snapshot)
        if computed.nothing_to_check():
            return None, SKIP
        state.write(PRE_FILTER_KEY, computed)
        return None, SUCCESS

    def add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        return self._update(state, pod_to_add, node, 1)

    def remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        return self._update(state, pod_to_remove, node, -1)

    @staticmethod
    def _update(state: CycleState, other: PodInfo, node: NodeInfo, multiplier: int) -> Status:
        computed: FilterState | None = state.get(PRE_FILTER_KEY)
        if computed is None:
            return error(f'reading "{PRE_FILTER_KEY}" from cycleState: not found')
        computed.update_with_pod(other, node, multiplier)
        return SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        computed: FilterState | None = state.get(PRE_FILTER_KEY)
        if computed is None:
            return error(f'reading "{PRE_FILTER_KEY}" from cycleState: not found')
        return filter_node(computed, node)

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        if not nodes:
            return SKIP
        if self.ignore_preferred_terms_of_existing_pods and not has_preferred_terms(pod):
            return SKIP
        if pod.parse_error:
            return error(f"failed to parse pod: {pod.parse_error}")
        computed = compute_score_state(pod, snapshot, self.hard_pod_affinity_weight)
        if not computed.topology_score:
            return SKIP
        state.write(PRE_SCORE_KEY, computed)
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        computed: ScoreState | None = state.get(PRE_SCORE_KEY)
        return score_node(computed, node) if computed is not None else 0

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[NodeScore]) -> None:
        if state.get(PRE_SCORE_KEY) is not None:
            normalize(scores)
