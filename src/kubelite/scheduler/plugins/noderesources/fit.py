"""NodeResourcesFit: the node must have room for the pod's requests, and
(Score) nodes are ranked by how their resources would be used.

Filter, in this order, keeping every reason:
- "Too many pods" when the node already has status.allocatable.pods pods;
- for cpu, memory, ephemeral-storage and each extended / scalar resource
  the pod requests (a request of 0 is no request): "Insufficient <name>"
  when the request exceeds allocatable minus what the node's pods request.
  Extended resources in `ignored_resources`, or whose prefix (before "/")
  is in `ignored_resource_groups`, are not checked.
The status is Unschedulable (preemption could free room).

Score: the configured strategy (LeastAllocated by default, over cpu and
memory with weight 1; see scoring.py). No normalization.

Filter first asks `fits` (the same conditions, no reasons gathered) and
lists the reasons only for a node that does not fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.resources import Resource, is_extended
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status, unschedulable
from kubelite.scheduler.plugins import names
from kubelite.scheduler.plugins.noderesources.scoring import (
    DEFAULT_RESOURCES,
    LEAST_ALLOCATED,
    MOST_ALLOCATED,
    REQUESTED_TO_CAPACITY_RATIO,
    ResourceSpec,
    Scorer,
    least_allocated,
    most_allocated,
    pod_resource_requests,
    requested_to_capacity_ratio,
    resource_score,
    resource_scores,
)

PRE_FILTER_KEY = "PreFilter" + names.NODE_RESOURCES_FIT
PRE_SCORE_KEY = "PreScore" + names.NODE_RESOURCES_FIT


@dataclass(frozen=True)
class ScoringStrategy:
    type: str = LEAST_ALLOCATED
    resources: tuple[ResourceSpec, ...] = DEFAULT_RESOURCES
    # For RequestedToCapacityRatio: (utilization 0..100, score 0..10) points.
    shape: tuple[tuple[int, int], ...] = ()

    def scorer(self) -> Scorer:
        if self.type == LEAST_ALLOCATED:
            return least_allocated(self.resources)
        if self.type == MOST_ALLOCATED:
            return most_allocated(self.resources)
        if self.type == REQUESTED_TO_CAPACITY_RATIO:
            if not self.shape:
                raise ValueError("RequestedToCapacityRatio needs a shape")
            return requested_to_capacity_ratio(self.resources, self.shape)
        raise ValueError(f"scoring strategy {self.type} is not supported")


@dataclass(frozen=True)
class InsufficientResource:
    resource: str
    reason: str
    requested: int
    used: int
    capacity: int


def fits(request: Resource, checked_scalars: Iterable[str], node: NodeInfo) -> bool:
    """Whether `insufficient_resources` would find nothing, given the
    scalar resources it checks (those requested and not ignored)."""
    allocatable, requested = node.allocatable, node.requested
    if len(node.pods) + 1 > allocatable.allowed_pod_number:
        return False
    cpu, memory, storage = request.milli_cpu, request.memory, request.ephemeral_storage
    if cpu > 0 and cpu > allocatable.milli_cpu - requested.milli_cpu:
        return False
    if memory > 0 and memory > allocatable.memory - requested.memory:
        return False
    if storage > 0 and storage > allocatable.ephemeral_storage - requested.ephemeral_storage:
        return False
    for name in checked_scalars:
        wanted = request.scalar[name]
        if wanted > 0 and wanted > allocatable.scalar.get(name, 0) - requested.scalar.get(name, 0):
            return False
    return True


def checked_scalars(
    request: Resource, ignored_resources: Iterable[str] = (), ignored_groups: Iterable[str] = ()
) -> list[str]:
    """The scalar resources Filter checks: those requested, less the
    ignored extended ones."""
    ignored, groups = set(ignored_resources), set(ignored_groups)
    return [
        name for name in sorted(request.scalar)
        if not (is_extended(name) and (name in ignored or name.split("/")[0] in groups))
    ]


def insufficient_resources(
    request: Resource,
    node: NodeInfo,
    ignored_resources: Iterable[str] = (),
    ignored_groups: Iterable[str] = (),
) -> list[InsufficientResource]:
    """What the node lacks for a pod requesting `request` (fitsRequest)."""
    found = []
    allowed = node.allocatable.allowed_pod_number
    if len(node.pods) + 1 > allowed:
        found.append(InsufficientResource("pods", "Too many pods", 1, len(node.pods), allowed))
    if request.is_zero():
        return found
    checks = [
        ("cpu", request.milli_cpu, node.allocatable.milli_cpu, node.requested.milli_cpu),
        ("memory", request.memory, node.allocatable.memory, node.requested.memory),
        (
            "ephemeral-storage",
            request.ephemeral_storage,
            node.allocatable.ephemeral_storage,
            node.requested.ephemeral_storage,
        ),
    ]
    for name in checked_scalars(request, ignored_resources, ignored_groups):
        checks.append(
            (
                name,
                request.scalar[name],
                node.allocatable.scalar.get(name, 0),
                node.requested.scalar.get(name, 0),
            )
        )
    for name, wanted, capacity, used in checks:
        if wanted > 0 and wanted > capacity - used:
            found.append(InsufficientResource(name, f"Insufficient {name}", wanted, used, capacity))
    return found


class NodeResourcesFit:
    name = names.NODE_RESOURCES_FIT

    def __init__(
        self,
        *,
        ignored_resources: Iterable[str] = (),
        ignored_resource_groups: Iterable[str] = (),
        scoring_strategy: ScoringStrategy | None = None,
    ) -> None:
        self.ignored_resources = frozenset(ignored_resources)
        self.ignored_resource_groups = frozenset(ignored_resource_groups)
        self.strategy = scoring_strategy or ScoringStrategy()
        self._scorer = self.strategy.scorer()

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        state.write(PRE_FILTER_KEY, pod.requests)
        return None, SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        request = state.get(PRE_FILTER_KEY) or pod.requests
        scalars = checked_scalars(
            request, self.ignored_resources, self.ignored_resource_groups
        ) if request.scalar else ()
        if fits(request, scalars, node):
            return SUCCESS
        missing = insufficient_resources(
            request, node, self.ignored_resources, self.ignored_resource_groups
        )
        return unschedulable(*(m.reason for m in missing))

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        state.write(PRE_SCORE_KEY, pod_resource_requests(pod, self.strategy.resources, False))
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return resource_score(
            node, self._requests(state, pod), self.strategy.resources, False, self._scorer)

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]:
        return resource_scores(
            nodes, self._requests(state, pod), self.strategy.resources, False, self._scorer)

    def _requests(self, state: CycleState, pod: PodInfo) -> list[int]:
        requests = state.get(PRE_SCORE_KEY)
        if requests is None:
            requests = pod_resource_requests(pod, self.strategy.resources, False)
        return requests
