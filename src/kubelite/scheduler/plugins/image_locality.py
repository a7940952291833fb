"""ImageLocality: prefer nodes that already have the pod's images.

For each container (init and app) whose image the node reports (names
compared after adding ":latest" to a name without a tag), add the image's
size scaled by the share of the snapshot's nodes that have it. The sum is
clamped to [23 MiB, 1000 MiB x number of containers] and mapped linearly
onto 0..100. No normalization.

PreScore (upstream reads these in Score; they are the same for every node)
keeps the node count and the pod's image names, normalized, and whether
any node of the snapshot has one of them: when none has, every node sums
0 and `score_nodes` gives them all that score without looking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Status
from kubelite.scheduler.plugins import names

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
PRE_SCORE_KEY = "PreScore" + names.IMAGE_LOCALITY


def normalized_image_name(name: str) -> str:
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def _containers(pod: PodInfo) -> list[dict]:
    return list(pod.spec.get("initContainers") or []) + list(pod.spec.get("containers") or [])


@dataclass(frozen=True)
class _PreScoreState:
    total_nodes: int
    images: list[str]  # normalized, one per container (init and app)
    any_present: bool  # some node of the snapshot has one of them


def _pre_score_state(pod: PodInfo, snapshot: Snapshot | None) -> _PreScoreState:
    images = [normalized_image_name(c.get("image") or "") for c in _containers(pod)]
    if snapshot is None:
        return _PreScoreState(1, images, True)
    present = any(name in snapshot.image_node_counts for name in images)
    return _PreScoreState(len(snapshot), images, present)


def _score(node: NodeInfo, state: _PreScoreState) -> int:
    total_nodes = state.total_nodes or 1
    total = 0
    for name in state.images:
        image = node.image_states.get(name)
        if image is not None:
            total += int(image.size * (image.num_nodes / total_nodes))
    return calculate_priority(total, len(state.images))


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = max(sum_scores, MIN_THRESHOLD)
    if sum_scores > max_threshold:
        sum_scores = max_threshold
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


class ImageLocality:
    name = names.IMAGE_LOCALITY

    def pre_score(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo], snapshot: Snapshot
    ) -> Status:
        state.write(PRE_SCORE_KEY, _pre_score_state(pod, snapshot))
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return _score(node, self._state(state, pod))

    def score_nodes(
        self, state: CycleState, pod: PodInfo, nodes: Sequence[NodeInfo]
    ) -> list[int]:
        computed = self._state(state, pod)
        if not computed.any_present:
            return [calculate_priority(0, len(computed.images))] * len(nodes)
        return [_score(node, computed) for node in nodes]

    @staticmethod
    def _state(state: CycleState, pod: PodInfo) -> _PreScoreState:
        return state.get(PRE_SCORE_KEY) or _pre_score_state(pod, None)
