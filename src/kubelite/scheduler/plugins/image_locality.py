"""ImageLocality: prefer nodes that already have the pod's images.

For each container (init and app) whose image the node reports (names
compared after adding ":latest" to a name without a tag), add the image's
size scaled by the share of the snapshot's nodes that have it. The sum is
clamped to [23 MiB, 1000 MiB x number of containers] and mapped linearly
onto 0..100. No normalization.
"""

from __future__ import annotations

from collections.abc import Sequence

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
        # Upstream reads the node count in Score; it is the same for every node.
        state.write(PRE_SCORE_KEY, len(snapshot))
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        total_nodes = state.get(PRE_SCORE_KEY) or 1
        containers = _containers(pod)
        total = 0
        for container in containers:
            image = node.image_states.get(normalized_image_name(container.get("image") or ""))
            if image is not None:
                total += int(image.size * (image.num_nodes / total_nodes))
        return calculate_priority(total, len(containers))
