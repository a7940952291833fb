"""TaintToleration.

Filter: the node's first NoSchedule or NoExecute taint that the pod does
not tolerate rejects it: "node(s) had untolerated taint {key: value}".

Score: the number of the node's PreferNoSchedule taints that the pod's
tolerations (those with effect PreferNoSchedule or no effect) do not
tolerate; normalized in reverse (DefaultNormalizeScore), so fewer
intolerable taints score higher and a node with the most scores 0.
When none of the nodes has a PreferNoSchedule taint, every count is 0 and
every node scores 100: `score_nodes` says so without counting.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE, NodeScore
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.normalize import default_normalize, default_normalize_score
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status, unresolvable
from kubelite.scheduler.framework.tolerations import (
    PREFER_NO_SCHEDULE,
    first_untolerated,
    tolerated,
)
from kubelite.scheduler.plugins import names

PRE_SCORE_KEY = "PreScore" + names.TAINT_TOLERATION


def _prefer_no_schedule_tolerations(pod: PodInfo) -> list[dict]:
    return [
        t
        for t in pod.spec.get("tolerations") or []
        if (t.get("effect") or "") in ("", PREFER_NO_SCHEDULE)
    ]


class TaintToleration:
    name = names.TAINT_TOLERATION

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        if not node.no_schedule_taints:
            return SUCCESS
        taint = first_untolerated(node.no_schedule_taints, pod.tolerations)
        if taint is None:
            return SUCCESS
        return unresolvable(
            f"node(s) had untolerated taint {{{taint.get('key') or ''}: "
            f"{taint.get('value') or ''}}}"
        )

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        state.write(PRE_SCORE_KEY, _prefer_no_schedule_tolerations(pod))
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        tolerations = state.get(PRE_SCORE_KEY)
        if tolerations is None:
            tolerations = _prefer_no_schedule_tolerations(pod)
        return _intolerable(node, tolerations)

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[NodeScore]) -> None:
        default_normalize_score(MAX_NODE_SCORE, True, scores)

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]:
        if not any(node.prefer_no_schedule_taints for node in nodes):
            return [MAX_NODE_SCORE] * len(nodes)
        tolerations = state.get(PRE_SCORE_KEY)
        if tolerations is None:
            tolerations = _prefer_no_schedule_tolerations(pod)
        counts = [_intolerable(node, tolerations) for node in nodes]
        return default_normalize(MAX_NODE_SCORE, True, counts)


def _intolerable(node: NodeInfo, tolerations: list[dict]) -> int:
    """The node's PreferNoSchedule taints that `tolerations` do not tolerate."""
    return sum(1 for taint in node.prefer_no_schedule_taints if not tolerated(tolerations, taint))
