"""NodeName: a pod that names its node (spec.nodeName) fits only there."""

from __future__ import annotations

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.status import SUCCESS, Status, unresolvable
from kubelite.scheduler.plugins import names

ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = names.NODE_NAME

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        wanted = pod.node_name
        if not wanted or wanted == node.name:
            return SUCCESS
        return unresolvable(ERR_REASON)
