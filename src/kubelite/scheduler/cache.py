"""The scheduler's view of the cluster between cycles, as kube-scheduler's
cache keeps it: the nodes, the pods bound to them, and the pods this
scheduler has assumed bound while their binding is in flight, held as the
Snapshot the scheduling cycles read.

Pod changes update the snapshot in place (a binding confirmed, a pod gone);
node, namespace and controller changes, rare next to pod changes, have it
built again from what the cache holds when the next cycle asks. Pure: the
process feeds it informer events and reads `snapshot()`.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.scheduler.framework.snapshot import Snapshot, is_assigned

Obj = dict[str, Any]

# What else the snapshot is built from, by informer: namespaces (pod
# affinity's namespaceSelector) and the controllers default spreading
# takes a pod's selector from.
KINDS = ("namespaces", "services", "replicationcontrollers", "replicasets", "statefulsets")


def uid(obj: Obj) -> str:
    return obj["metadata"].get("uid") or ""


def key(obj: Obj) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace')}/{meta['name']}" if meta.get("namespace") else meta["name"]


class SchedulerCache:
    def __init__(self) -> None:
        self.nodes: dict[str, Obj] = {}
        self.pods: dict[str, Obj] = {}  # uid -> the pod as counted on its node
        self.assumed: set[str] = set()  # uids bound here, not yet seen bound
        self.others: dict[str, dict[str, Obj]] = {kind: {} for kind in KINDS}
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = Snapshot(
                self.nodes.values(), self.pods.values(),
                namespaces=self.others["namespaces"].values(),
                services=self.others["services"].values(),
                replication_controllers=self.others["replicationcontrollers"].values(),
                replica_sets=self.others["replicasets"].values(),
                stateful_sets=self.others["statefulsets"].values(),
            )
        return self._snapshot

    # -------------------------------------------------------------- nodes, others

    def node_changed(self, node: Obj) -> None:
        self.nodes[node["metadata"]["name"]] = node
        self._snapshot = None

    def node_deleted(self, node: Obj) -> None:
        self.nodes.pop(node["metadata"]["name"], None)
        self._snapshot = None

    def other_changed(self, kind: str, obj: Obj, deleted: bool = False) -> None:
        if deleted:
            self.others[kind].pop(key(obj), None)
        else:
            self.others[kind][key(obj)] = obj
        self._snapshot = None

    # -------------------------------------------------------------- pods

    def pod_seen(self, pod: Obj) -> None:
        """An informer's latest state of a pod: counted on its node while
        it is bound and not finished."""
        if not is_assigned(pod):
            self.pod_gone(pod)
            return
        counted = self.pods.get(uid(pod))
        self.assumed.discard(uid(pod))
        if counted is not None and _same_placement(counted, pod):
            self.pods[uid(pod)] = pod  # (only its status or metadata moved on)
            return
        self._uncount(uid(pod))
        self._count(pod)

    def pod_gone(self, pod: Obj) -> None:
        self.assumed.discard(uid(pod))
        self._uncount(uid(pod))

    def assume(self, pod: Obj, node: str) -> Obj:
        """Count `pod` on `node` before its binding is confirmed, so the
        next cycles see the node's room taken; the assumed pod."""
        assumed = copy.copy(pod)
        assumed["spec"] = {**pod.get("spec", {}), "nodeName": node}
        self._uncount(uid(pod))
        self._count(assumed)
        self.assumed.add(uid(pod))
        return assumed

    def forget(self, pod: Obj) -> None:
        """A binding that failed: the pod is no longer on that node."""
        if uid(pod) in self.assumed:
            self.assumed.discard(uid(pod))
            self._uncount(uid(pod))

    def _count(self, pod: Obj) -> None:
        self.pods[uid(pod)] = pod
        if self._snapshot is not None:
            self._snapshot.add_pod(pod)

    def _uncount(self, pod_uid: str) -> None:
        counted = self.pods.pop(pod_uid, None)
        if counted is not None and self._snapshot is not None:
            self._snapshot.remove_pod(counted)


def _same_placement(counted: Obj, pod: Obj) -> bool:
    """Whether a pod's update leaves what the snapshot counts of it as it
    was: the node, the containers' requests, labels (pod affinity and
    spreading match them) and affinity."""
    a, b = counted.get("spec") or {}, pod.get("spec") or {}
    return (a.get("nodeName") == b.get("nodeName")
            and a.get("containers") == b.get("containers")
            and a.get("initContainers") == b.get("initContainers")
            and a.get("affinity") == b.get("affinity")
            and counted["metadata"].get("labels") == pod["metadata"].get("labels"))
