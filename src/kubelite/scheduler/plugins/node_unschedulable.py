"""NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods
that tolerate the node.kubernetes.io/unschedulable:NoSchedule taint."""

from __future__ import annotations

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.status import SUCCESS, Status, unresolvable
from kubelite.scheduler.framework.tolerations import NO_SCHEDULE, tolerated
from kubelite.scheduler.plugins import names

ERR_REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": NO_SCHEDULE}


class NodeUnschedulable:
    name = names.NODE_UNSCHEDULABLE

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        if not node.unschedulable:
            return SUCCESS
        if tolerated(pod.tolerations, UNSCHEDULABLE_TAINT):
            return SUCCESS
        return unresolvable(ERR_REASON)
