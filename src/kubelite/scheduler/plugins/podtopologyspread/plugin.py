"""The PodTopologySpread plugin: PreFilter (with AddPod / RemovePod) and
Filter (filtering.py) over the DoNotSchedule constraints, PreScore / Score
/ NormalizeScore (scoring.py) over the ScheduleAnyway ones.

Args as upstream's PodTopologySpreadArgs: `defaulting_type` "System" (the
default: Kubernetes' system default constraints) or "List" (the given
`default_constraints`, TopologySpreadConstraint dicts without selectors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import NodeScore, PreFilterResult
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SKIP, SUCCESS, Status, error
from kubelite.scheduler.plugins import names
from kubelite.scheduler.plugins.podtopologyspread import filtering, scoring
from kubelite.scheduler.plugins.podtopologyspread.common import (
    DO_NOT_SCHEDULE,
    SCHEDULE_ANYWAY,
    SYSTEM_DEFAULT_CONSTRAINTS,
    pod_constraints,
)

PRE_FILTER_KEY = "PreFilter" + names.POD_TOPOLOGY_SPREAD
PRE_SCORE_KEY = "PreScore" + names.POD_TOPOLOGY_SPREAD
SYSTEM_DEFAULTING = "System"
LIST_DEFAULTING = "List"


class PodTopologySpread:
    name = names.POD_TOPOLOGY_SPREAD

    def __init__(
        self,
        *,
        defaulting_type: str = SYSTEM_DEFAULTING,
        default_constraints: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        self.system_defaulted = defaulting_type == SYSTEM_DEFAULTING
        self.default_constraints = (
            SYSTEM_DEFAULT_CONSTRAINTS if self.system_defaulted else tuple(default_constraints)
        )

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        try:
            constraints = pod_constraints(pod, snapshot, DO_NOT_SCHEDULE, self.default_constraints)
        except ValueError as err:
            return None, error(f"obtaining pod's hard topology spread constraints: {err}")
        if not constraints:
            return None, SKIP
        state.write(PRE_FILTER_KEY, filtering.compute_filter_state(pod, snapshot, constraints))
        return None, SUCCESS

    def add_pod(
        self, state: CycleState, pod: PodInfo, pod_to_add: PodInfo, node: NodeInfo
    ) -> Status:
        return self._update(state, pod, pod_to_add, node, 1)

    def remove_pod(
        self, state: CycleState, pod: PodInfo, pod_to_remove: PodInfo, node: NodeInfo
    ) -> Status:
        return self._update(state, pod, pod_to_remove, node, -1)

    @staticmethod
    def _update(
        state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: int
    ) -> Status:
        computed = state.get(PRE_FILTER_KEY)
        if computed is None:
            return error(f'reading "{PRE_FILTER_KEY}" from cycleState: not found')
        computed.update_with_pod(other, pod, node, delta)
        return SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        computed = state.get(PRE_FILTER_KEY)
        if computed is None:
            return error(f'reading "{PRE_FILTER_KEY}" from cycleState: not found')
        return filtering.filter_node(computed, pod, node)

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        if not snapshot.node_infos:
            return SKIP
        try:
            constraints = pod_constraints(pod, snapshot, SCHEDULE_ANYWAY, self.default_constraints)
        except ValueError as err:
            return error(f"obtaining pod's soft topology spread constraints: {err}")
        if not constraints:
            return SKIP
        require_all = bool(pod.spec.get("topologySpreadConstraints")) or not self.system_defaulted
        state.write(
            PRE_SCORE_KEY,
            scoring.compute_score_state(pod, snapshot, nodes, constraints, require_all),
        )
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        computed = state.get(PRE_SCORE_KEY)
        return scoring.score_node(computed, pod, node) if computed is not None else 0

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[NodeScore]) -> None:
        computed = state.get(PRE_SCORE_KEY)
        if computed is not None:
            scoring.normalize(computed, scores)
