"""NodePorts: the host ports a pod's containers ask for must be free on the
node. A port is taken when a pod there uses the same protocol and port on
the same host IP, or on 0.0.0.0; a pod asking for 0.0.0.0 conflicts with
that protocol and port on any IP. An empty IP is 0.0.0.0, an empty
protocol TCP."""

from __future__ import annotations

from collections.abc import Sequence

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import HostPort, PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SKIP, SUCCESS, Status, unschedulable
from kubelite.scheduler.plugins import names

ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
PRE_FILTER_KEY = "PreFilter" + names.NODE_PORTS


class NodePorts:
    name = names.NODE_PORTS

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        if not pod.host_ports:
            return None, SKIP
        state.write(PRE_FILTER_KEY, pod.host_ports)
        return None, SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        wanted: Sequence[HostPort] = state.get(PRE_FILTER_KEY, pod.host_ports)
        if any(node.used_ports.conflicts(port) for port in wanted):
            return unschedulable(ERR_REASON)
        return SUCCESS
