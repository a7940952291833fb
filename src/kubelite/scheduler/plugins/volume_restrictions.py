"""VolumeRestrictions, as far as a pod's own volumes tell: the same disk
mounted read-write by two pods on one node conflicts.

- GCE PD: same pdName, unless both mounts are read-only;
- AWS EBS: same volumeID, always;
- iSCSI: same IQN, unless both are read-only;
- RBD: a shared Ceph monitor, same pool (default "rbd") and image, unless
  both are read-only.

The reason is "node(s) had no available disk". Pods with none of these
volumes skip the plugin. Not here: the ReadWriteOncePod check, which needs
PersistentVolumeClaims (upstream: "node has pod using PersistentVolumeClaim
with the same name and ReadWriteOncePod access mode").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SKIP, SUCCESS, Status, unschedulable
from kubelite.scheduler.plugins import names

ERR_REASON_DISK_CONFLICT = "node(s) had no available disk"
_KINDS = ("gcePersistentDisk", "awsElasticBlockStore", "rbd", "iscsi")


def needs_check(volume: Mapping[str, Any]) -> bool:
    return any(volume.get(kind) is not None for kind in _KINDS)


def _both_read_only(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a.get("readOnly")) and bool(b.get("readOnly"))


def volumes_conflict(volume: Mapping[str, Any], existing: Mapping[str, Any]) -> bool:
    disk, other = volume.get("gcePersistentDisk"), existing.get("gcePersistentDisk")
    if disk is not None and other is not None:
        if disk.get("pdName") == other.get("pdName") and not _both_read_only(disk, other):
            return True
    ebs, other = volume.get("awsElasticBlockStore"), existing.get("awsElasticBlockStore")
    if ebs is not None and other is not None and ebs.get("volumeID") == other.get("volumeID"):
        return True
    iscsi, other = volume.get("iscsi"), existing.get("iscsi")
    if iscsi is not None and other is not None:
        if iscsi.get("iqn") == other.get("iqn") and not _both_read_only(iscsi, other):
            return True
    rbd, other = volume.get("rbd"), existing.get("rbd")
    if rbd is not None and other is not None:
        shared_monitor = bool(set(rbd.get("monitors") or []) & set(other.get("monitors") or []))
        if (
            shared_monitor
            and (rbd.get("pool") or "rbd") == (other.get("pool") or "rbd")
            and rbd.get("image") == other.get("image")
            and not _both_read_only(rbd, other)
        ):
            return True
    return False


class VolumeRestrictions:
    name = names.VOLUME_RESTRICTIONS

    def pre_filter(
        self, state: CycleState, pod: PodInfo, snapshot: Snapshot
    ) -> tuple[PreFilterResult | None, Status]:
        if not any(needs_check(v) for v in pod.spec.get("volumes") or []):
            return None, SKIP
        return None, SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        for volume in pod.spec.get("volumes") or []:
            if not needs_check(volume):
                continue
            for existing_pod in node.pods:
                for existing in existing_pod.spec.get("volumes") or []:
                    if volumes_conflict(volume, existing):
                        return unschedulable(ERR_REASON_DISK_CONFLICT)
        return SUCCESS
