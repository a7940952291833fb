"""The filter and score plugins of kube-scheduler's default profile (1.32),
one module (or package) per plugin, and `default_profile()`.

Each plugin is a class with a `name` and the extension-point methods it
implements (see kubelite.scheduler.framework.interface); constructor
keyword arguments are the plugin's args, defaulting as upstream defaults
them.
"""

from kubelite.scheduler.plugins.defaults import DEFAULT_WEIGHTS, default_plugins, default_profile
from kubelite.scheduler.plugins.image_locality import ImageLocality
from kubelite.scheduler.plugins.interpodaffinity import InterPodAffinity
from kubelite.scheduler.plugins.node_affinity import NodeAffinity
from kubelite.scheduler.plugins.node_name import NodeName
from kubelite.scheduler.plugins.node_ports import NodePorts
from kubelite.scheduler.plugins.node_unschedulable import NodeUnschedulable
from kubelite.scheduler.plugins.noderesources.balanced_allocation import (
    NodeResourcesBalancedAllocation,
)
from kubelite.scheduler.plugins.noderesources.fit import NodeResourcesFit, ScoringStrategy
from kubelite.scheduler.plugins.podtopologyspread import PodTopologySpread
from kubelite.scheduler.plugins.taint_toleration import TaintToleration
from kubelite.scheduler.plugins.volume_restrictions import VolumeRestrictions

__all__ = [
    "DEFAULT_WEIGHTS",
    "ImageLocality",
    "InterPodAffinity",
    "NodeAffinity",
    "NodeName",
    "NodePorts",
    "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "PodTopologySpread",
    "ScoringStrategy",
    "TaintToleration",
    "VolumeRestrictions",
    "default_plugins",
    "default_profile",
]
