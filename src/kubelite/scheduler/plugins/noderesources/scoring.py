"""Resource-based node scores: the scorer NodeResourcesFit and
NodeResourcesBalancedAllocation share (resource_allocation.go) and the
three strategies NodeResourcesFit can score with.

For each configured resource, the node's allocatable and what would be
requested with the pod added: for cpu and memory the node's non-zero
requests (100m / 200Mi for containers requesting none) plus the pod's,
counted the same way, or the plain requests when `use_requested`;
ephemeral-storage and extended resources always use plain requests. An
extended resource the pod does not request, or that the node does not
have, is left out; so is any resource with zero allocatable.

- LeastAllocated: per resource (allocatable - requested) * 100 /
  allocatable (0 when over), then the weighted mean, integer division.
- MostAllocated: per resource requested * 100 / allocatable (requested
  capped at allocatable), then the weighted mean.
- RequestedToCapacityRatio: per resource the utilization (percent) mapped
  through the configured piecewise-linear shape (scores 0..10 scaled to
  0..100); resources scoring 0 are left out of the weighted mean, which is
  rounded.

`resource_scores` scores many nodes: when every resource is cpu or memory,
a node's score depends only on its allocatable and requested cpu and
memory (the pod's requests are the same for every node), so nodes alike
in those four numbers, as most of a uniform cluster's are, are scored once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubelite.scheduler.framework.arith import go_div, go_round
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    NON_ZERO_DEFAULT_UNITS,
    is_scalar_name,
    pod_requests_scaled,
)

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
MAX_CUSTOM_PRIORITY_SCORE = 10
MAX_UTILIZATION = 100

Scorer = Callable[[list[int], list[int]], int]


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    weight: int = 1


DEFAULT_RESOURCES = (ResourceSpec(CPU), ResourceSpec(MEMORY))


def pod_resource_requests(
    pod: PodInfo, resources: Sequence[ResourceSpec], use_requested: bool
) -> list[int]:
    requests = pod_requests_scaled(pod.pod, None if use_requested else NON_ZERO_DEFAULT_UNITS)
    return [requests.get(r.name, 0) for r in resources]


def _allocatable_and_requested(
    node: NodeInfo, name: str, pod_request: int, use_requested: bool
) -> tuple[int, int]:
    if pod_request == 0 and is_scalar_name(name):
        return 0, 0
    requested = node.requested if use_requested else node.non_zero_requested
    if name == CPU:
        return node.allocatable.milli_cpu, requested.milli_cpu + pod_request
    if name == MEMORY:
        return node.allocatable.memory, requested.memory + pod_request
    if name == EPHEMERAL_STORAGE:
        return node.allocatable.ephemeral_storage, (
            node.requested.ephemeral_storage + pod_request
        )
    if name in node.allocatable.scalar:
        return node.allocatable.scalar[name], node.requested.scalar.get(name, 0) + pod_request
    return 0, 0


def resource_score(
    node: NodeInfo,
    pod_requests_list: Sequence[int],
    resources: Sequence[ResourceSpec],
    use_requested: bool,
    scorer: Scorer,
) -> int:
    requested = [0] * len(resources)
    allocatable = [0] * len(resources)
    for i, spec in enumerate(resources):
        alloc, req = _allocatable_and_requested(
            node, spec.name, pod_requests_list[i], use_requested
        )
        if alloc:
            allocatable[i], requested[i] = alloc, req
    return scorer(requested, allocatable)


def resource_scores(
    nodes: Sequence[NodeInfo],
    pod_requests_list: Sequence[int],
    resources: Sequence[ResourceSpec],
    use_requested: bool,
    scorer: Scorer,
) -> list[int]:
    """`resource_score` of each node, in order."""
    if not all(spec.name in (CPU, MEMORY) for spec in resources):
        return [
            resource_score(node, pod_requests_list, resources, use_requested, scorer)
            for node in nodes
        ]
    known: dict[tuple[int, int, int, int], int] = {}
    scores = []
    for node in nodes:
        allocatable = node.allocatable
        requested = node.requested if use_requested else node.non_zero_requested
        key = (allocatable.milli_cpu, allocatable.memory, requested.milli_cpu, requested.memory)
        score = known.get(key)
        if score is None:
            score = known[key] = resource_score(
                node, pod_requests_list, resources, use_requested, scorer)
        scores.append(score)
    return scores


def _weighted_mean(
    resources: Sequence[ResourceSpec], per_resource: Callable[[int, int], int]
) -> Scorer:
    def score(requested: list[int], allocatable: list[int]) -> int:
        total = weights = 0
        for i, spec in enumerate(resources):
            if allocatable[i] == 0:
                continue
            total += per_resource(requested[i], allocatable[i]) * spec.weight
            weights += spec.weight
        return total // weights if weights else 0

    return score


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    return min(requested, capacity) * MAX_NODE_SCORE // capacity


def least_allocated(resources: Sequence[ResourceSpec]) -> Scorer:
    return _weighted_mean(resources, least_requested_score)


def most_allocated(resources: Sequence[ResourceSpec]) -> Scorer:
    return _weighted_mean(resources, most_requested_score)


def broken_linear(shape: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """The piecewise-linear function through (utilization, score) points."""

    def f(p: int) -> int:
        for i, (utilization, score) in enumerate(shape):
            if p <= utilization:
                if i == 0:
                    return shape[0][1]
                u0, s0 = shape[i - 1]
                return s0 + go_div((score - s0) * (p - u0), utilization - u0)
        return shape[-1][1]

    return f


def requested_to_capacity_ratio(
    resources: Sequence[ResourceSpec], shape: Sequence[tuple[int, int]]
) -> Scorer:
    """`shape` is (utilization 0..100, score 0..10) points, increasing in
    utilization."""
    scale = MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE
    raw = broken_linear([(u, s * scale) for u, s in shape])

    def per_resource(requested: int, capacity: int) -> int:
        if capacity == 0 or requested > capacity:
            return raw(MAX_UTILIZATION)
        return raw(requested * MAX_UTILIZATION // capacity)

    def score(requested: list[int], allocatable: list[int]) -> int:
        total = weights = 0
        for i, spec in enumerate(resources):
            if allocatable[i] == 0:
                continue
            value = per_resource(requested[i], allocatable[i])
            if value > 0:
                total += value * spec.weight
                weights += spec.weight
        if weights == 0:
            return 0
        return go_round(total / weights)

    return score

