"""The scheduling framework: the data a decision is made over (Snapshot,
NodeInfo, PodInfo, resources), the plugin interfaces and their Status, the
CycleState a cycle carries, a Profile of plugins, and `schedule_one`, which
runs a profile over a snapshot for one pod. Everything here is pure: data
in, data out (DESIGN rule 6).
"""

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.fit_error import fit_error_message
from kubelite.scheduler.framework.interface import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    BindPlugin,
    FilterPlugin,
    NodePluginScores,
    NodeScore,
    NormalizeScorePlugin,
    PermitPlugin,
    Plugin,
    PostFilterPlugin,
    PreFilterExtensions,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    ReservePlugin,
    ScorePlugin,
)
from kubelite.scheduler.framework.nodeinfo import HostPortInfo, ImageStateSummary, NodeInfo
from kubelite.scheduler.framework.podinfo import AffinityTerm, PodInfo, WeightedAffinityTerm
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.resources import Resource, pod_requests
from kubelite.scheduler.framework.schedule_one import (
    ScheduleResult,
    num_feasible_nodes_to_find,
    schedule_one,
    select_host,
)
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code, Status

__all__ = [
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "AffinityTerm",
    "BindPlugin",
    "Code",
    "CycleState",
    "FilterPlugin",
    "HostPortInfo",
    "ImageStateSummary",
    "NodeInfo",
    "NodePluginScores",
    "NodeScore",
    "NormalizeScorePlugin",
    "PermitPlugin",
    "Plugin",
    "PodInfo",
    "PostFilterPlugin",
    "PreFilterExtensions",
    "PreFilterPlugin",
    "PreFilterResult",
    "PreScorePlugin",
    "Profile",
    "Resource",
    "ReservePlugin",
    "ScheduleResult",
    "ScorePlugin",
    "Snapshot",
    "Status",
    "WeightedAffinityTerm",
    "fit_error_message",
    "num_feasible_nodes_to_find",
    "pod_requests",
    "schedule_one",
    "select_host",
]
