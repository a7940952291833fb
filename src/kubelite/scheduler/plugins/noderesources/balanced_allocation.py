"""NodeResourcesBalancedAllocation: prefer nodes whose resources (cpu and
memory by default) would be used in equal shares.

Per resource, the fraction requested / allocatable with the pod added
(plain requests, no non-zero defaults; capped at 1). With two resources
the score is (1 - |f1 - f2| / 2) * 100, with more (1 - standard deviation)
* 100, truncated; with one or none, 100. Weights in the resource list do
not change the score. No normalization. 1.32 scores best-effort pods too
(skipping them came in 1.33).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status
from kubelite.scheduler.plugins import names
from kubelite.scheduler.plugins.noderesources.scoring import (
    DEFAULT_RESOURCES,
    ResourceSpec,
    pod_resource_requests,
    resource_score,
    resource_scores,
)

PRE_SCORE_KEY = "PreScore" + names.NODE_RESOURCES_BALANCED_ALLOCATION


def balanced_resource_scorer(requested: list[int], allocatable: list[int]) -> int:
    fractions = [
        min(req / alloc, 1.0) for req, alloc in zip(requested, allocatable, strict=True) if alloc
    ]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class NodeResourcesBalancedAllocation:
    name = names.NODE_RESOURCES_BALANCED_ALLOCATION

    def __init__(self, *, resources: Iterable[ResourceSpec] = DEFAULT_RESOURCES) -> None:
        self.resources = tuple(resources)

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        state.write(PRE_SCORE_KEY, pod_resource_requests(pod, self.resources, True))
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return resource_score(
            node, self._requests(state, pod), self.resources, True, balanced_resource_scorer)

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]:
        return resource_scores(
            nodes, self._requests(state, pod), self.resources, True, balanced_resource_scorer)

    def _requests(self, state: CycleState, pod: PodInfo) -> list[int]:
        requests = state.get(PRE_SCORE_KEY)
        if requests is None:
            requests = pod_resource_requests(pod, self.resources, True)
        return requests
