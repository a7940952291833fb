"""kube-scheduler 1.32's default profile, as far as this package builds it.

Upstream's MultiPoint list, in order (weights for score plugins):
SchedulingGates, PrioritySort, NodeUnschedulable, NodeName,
TaintToleration (3), NodeAffinity (2), NodePorts, NodeResourcesFit (1),
VolumeRestrictions, NodeVolumeLimits, VolumeBinding, VolumeZone,
PodTopologySpread (2), InterPodAffinity (2), DefaultPreemption,
NodeResourcesBalancedAllocation (1), ImageLocality (1), DefaultBinder.
(The in-tree EBS / GCE PD / Azure disk limit plugins left the defaults in
1.31; DynamicResources joins only with its feature gate, off in 1.32.)

Here: every filter and score plugin of that list in the same order, except
the three that need volume objects (NodeVolumeLimits, VolumeBinding,
VolumeZone). SchedulingGates and PrioritySort belong to the queue,
DefaultPreemption (PostFilter) and DefaultBinder to the process around
the framework.
"""

from __future__ import annotations

from kubelite.scheduler.framework.interface import Plugin
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.plugins import names
from kubelite.scheduler.plugins.image_locality import ImageLocality
from kubelite.scheduler.plugins.interpodaffinity import InterPodAffinity
from kubelite.scheduler.plugins.node_affinity import NodeAffinity
from kubelite.scheduler.plugins.node_name import NodeName
from kubelite.scheduler.plugins.node_ports import NodePorts
from kubelite.scheduler.plugins.node_unschedulable import NodeUnschedulable
from kubelite.scheduler.plugins.noderesources.balanced_allocation import (
    NodeResourcesBalancedAllocation,
)
from kubelite.scheduler.plugins.noderesources.fit import NodeResourcesFit
from kubelite.scheduler.plugins.podtopologyspread import PodTopologySpread
from kubelite.scheduler.plugins.taint_toleration import TaintToleration
from kubelite.scheduler.plugins.volume_restrictions import VolumeRestrictions

DEFAULT_WEIGHTS = {
    names.TAINT_TOLERATION: 3,
    names.NODE_AFFINITY: 2,
    names.NODE_RESOURCES_FIT: 1,
    names.POD_TOPOLOGY_SPREAD: 2,
    names.INTER_POD_AFFINITY: 2,
    names.NODE_RESOURCES_BALANCED_ALLOCATION: 1,
    names.IMAGE_LOCALITY: 1,
}


def default_plugins() -> list[Plugin]:
    """Fresh instances with default args, in the default profile's order."""
    return [
        NodeUnschedulable(),
        NodeName(),
        TaintToleration(),
        NodeAffinity(),
        NodePorts(),
        NodeResourcesFit(),
        VolumeRestrictions(),
        PodTopologySpread(),
        InterPodAffinity(),
        NodeResourcesBalancedAllocation(),
        ImageLocality(),
    ]


def default_profile(*, percentage_of_nodes_to_score: int | None = None) -> Profile:
    return Profile.of(
        [(p, DEFAULT_WEIGHTS.get(p.name, 1)) for p in default_plugins()],
        percentage_of_nodes_to_score=percentage_of_nodes_to_score,
    )
