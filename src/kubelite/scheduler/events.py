"""Cluster events, and which plugins wait for which, as kube-scheduler 1.32
declares them (framework.ClusterEvent and each plugin's EventsToRegister,
with SchedulerQueueingHints on, as 1.32 ships it).

An event is a resource and an action. The resources are Node, Pod (in a
registration: any pod) and, for events as they happen, AssignedPod (a pod
with spec.nodeName) and UnschedulablePod (one without), plus the wildcard
"*" of the queue's own events (UnschedulableTimeout, ForceActivate), which
match everything. Actions are bits, so a registration can name several:
Add, Delete, and the kinds of update (a node's allocatable, labels, taints
(including spec.unschedulable becoming false), conditions, annotations; a
pod's labels, a scale-down of its requests, added tolerations, the last
scheduling gate removed).

A registration matches an event when its resource matches and they share
an action bit. `node_update_events` and `pod_update_events` turn an update
into its events, as upstream's NodeSchedulingPropertiesChange and
PodSchedulingPropertiesChange do: one per kind of change found; a pod
update that changes none of those kinds is a plain Update.

EVENTS_TO_REGISTER maps each default plugin to its registrations. Upstream
pairs each with a QueueingHint function that looks at the objects and may
answer "skip"; those functions are not modelled here: a matching event
always requeues (more retries than upstream, never fewer), with one rule
kept from them: an unscheduled pod's own update concerns only that pod.
VolumeRestrictions' PersistentVolumeClaim events are left out with the
claims themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntFlag
from typing import Any

from kubelite.scheduler.framework.resources import milli_value, pod_requests, resource_list
from kubelite.scheduler.plugins import names

Obj = dict[str, Any]


class ActionType(IntFlag):
    ADD = 1 << 0
    DELETE = 1 << 1
    UPDATE_NODE_ALLOCATABLE = 1 << 2
    UPDATE_NODE_LABEL = 1 << 3
    UPDATE_NODE_TAINT = 1 << 4  # taints, or spec.unschedulable turned off
    UPDATE_NODE_CONDITION = 1 << 5
    UPDATE_NODE_ANNOTATION = 1 << 6
    UPDATE_POD_LABEL = 1 << 7
    UPDATE_POD_SCALE_DOWN = 1 << 8
    UPDATE_POD_TOLERATIONS = 1 << 9
    UPDATE_POD_SCHEDULING_GATES_ELIMINATED = 1 << 10
    UPDATE_POD_GENERATED_RESOURCE_CLAIM = 1 << 11
    ALL = (1 << 12) - 1
    UPDATE = ALL & ~(ADD | DELETE)


_ACTION_LABELS = {
    ActionType.ADD: "Add",
    ActionType.DELETE: "Delete",
    ActionType.UPDATE_NODE_ALLOCATABLE: "UpdateNodeAllocatable",
    ActionType.UPDATE_NODE_LABEL: "UpdateNodeLabel",
    ActionType.UPDATE_NODE_TAINT: "UpdateNodeTaint",
    ActionType.UPDATE_NODE_CONDITION: "UpdateNodeCondition",
    ActionType.UPDATE_NODE_ANNOTATION: "UpdateNodeAnnotation",
    ActionType.UPDATE_POD_LABEL: "UpdatePodLabel",
    ActionType.UPDATE_POD_SCALE_DOWN: "UpdatePodScaleDown",
    ActionType.UPDATE_POD_TOLERATIONS: "UpdatePodToleration",
    ActionType.UPDATE_POD_SCHEDULING_GATES_ELIMINATED: "UpdatePodSchedulingGatesEliminated",
    ActionType.UPDATE_POD_GENERATED_RESOURCE_CLAIM: "UpdatePodGeneratedResourceClaim",
    ActionType.ALL: "All",
    ActionType.UPDATE: "Update",
}

NODE = "Node"
POD = "Pod"
ASSIGNED_POD = "AssignedPod"
UNSCHEDULED_POD = "UnschedulablePod"
WILDCARD = "*"


@dataclass(frozen=True)
class ClusterEvent:
    resource: str
    action: ActionType
    custom_label: str = ""

    @property
    def label(self) -> str:
        """As upstream labels events in metrics: "NodeAdd",
        "UnschedulableTimeout", ..."""
        if self.custom_label:
            return self.custom_label
        action = _ACTION_LABELS.get(self.action) or "|".join(
            label for bit, label in _ACTION_LABELS.items()
            if bit.bit_count() == 1 and bit & self.action
        )
        return f"{self.resource}{action}"

    def is_wildcard(self) -> bool:
        return self.resource == WILDCARD and self.action == ActionType.ALL

    def match(self, incoming: ClusterEvent) -> bool:
        """Whether this registration is interested in `incoming`."""
        if self.is_wildcard():
            return True
        resource_matches = (
            self.resource in (WILDCARD, incoming.resource)
            or (self.resource == POD and incoming.resource in (ASSIGNED_POD, UNSCHEDULED_POD))
        )
        return resource_matches and bool(self.action & incoming.action)


NODE_ADD = ClusterEvent(NODE, ActionType.ADD)
NODE_DELETE = ClusterEvent(NODE, ActionType.DELETE)
ASSIGNED_POD_ADD = ClusterEvent(ASSIGNED_POD, ActionType.ADD)
ASSIGNED_POD_UPDATE = ClusterEvent(ASSIGNED_POD, ActionType.UPDATE)
ASSIGNED_POD_DELETE = ClusterEvent(ASSIGNED_POD, ActionType.DELETE)
UNSCHEDULED_POD_ADD = ClusterEvent(UNSCHEDULED_POD, ActionType.ADD)
UNSCHEDULED_POD_UPDATE = ClusterEvent(UNSCHEDULED_POD, ActionType.UPDATE)
UNSCHEDULED_POD_DELETE = ClusterEvent(UNSCHEDULED_POD, ActionType.DELETE)
UNSCHEDULABLE_TIMEOUT = ClusterEvent(WILDCARD, ActionType.ALL, "UnschedulableTimeout")
FORCE_ACTIVATE = ClusterEvent(WILDCARD, ActionType.ALL, "ForceActivate")
# Labels of the queue's own moves (metrics only).
SCHEDULE_ATTEMPT_FAILURE = "ScheduleAttemptFailure"
BACKOFF_COMPLETE = "BackoffComplete"


def _registrations(*pairs: tuple[str, ActionType]) -> tuple[ClusterEvent, ...]:
    return tuple(ClusterEvent(resource, action) for resource, action in pairs)


A = ActionType
EVENTS_TO_REGISTER: Mapping[str, tuple[ClusterEvent, ...]] = {
    names.SCHEDULING_GATES: _registrations((POD, A.UPDATE_POD_SCHEDULING_GATES_ELIMINATED)),
    names.NODE_UNSCHEDULABLE: _registrations(
        (NODE, A.ADD | A.UPDATE_NODE_TAINT), (POD, A.UPDATE_POD_TOLERATIONS)),
    names.NODE_NAME: _registrations((NODE, A.ADD)),
    names.TAINT_TOLERATION: _registrations(
        (NODE, A.ADD | A.UPDATE_NODE_TAINT), (POD, A.UPDATE_POD_TOLERATIONS)),
    names.NODE_AFFINITY: _registrations((NODE, A.ADD | A.UPDATE_NODE_LABEL)),
    names.NODE_PORTS: _registrations((POD, A.DELETE), (NODE, A.ADD)),
    names.NODE_RESOURCES_FIT: _registrations(
        (POD, A.DELETE), (NODE, A.ADD | A.UPDATE_NODE_ALLOCATABLE)),
    names.VOLUME_RESTRICTIONS: _registrations((POD, A.DELETE), (NODE, A.ADD)),
    names.POD_TOPOLOGY_SPREAD: _registrations(
        (POD, A.ADD | A.UPDATE_POD_LABEL | A.UPDATE_POD_TOLERATIONS | A.DELETE),
        (NODE, A.ADD | A.DELETE | A.UPDATE_NODE_LABEL | A.UPDATE_NODE_TAINT)),
    names.INTER_POD_AFFINITY: _registrations(
        (POD, A.ADD | A.UPDATE_POD_LABEL | A.DELETE), (NODE, A.ADD | A.UPDATE_NODE_LABEL)),
    # Never reject a pod, so wait for nothing.
    names.NODE_RESOURCES_BALANCED_ALLOCATION: (),
    names.IMAGE_LOCALITY: (),
    names.PRIORITY_SORT: (),
    names.DEFAULT_PREEMPTION: (),
}


# --- what changed ------------------------------------------------------------


def _meta(obj: Obj, key: str) -> Any:
    return (obj.get("metadata") or {}).get(key) or {}


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def node_update_events(old: Obj, new: Obj) -> list[ClusterEvent]:
    """The events of a node update, in upstream's order."""
    found = []
    if bool(_spec(old).get("unschedulable")) != bool(_spec(new).get("unschedulable")) \
            and not _spec(new).get("unschedulable"):
        found.append(A.UPDATE_NODE_TAINT)
    if resource_list(_status(old).get("allocatable")) != \
            resource_list(_status(new).get("allocatable")):
        found.append(A.UPDATE_NODE_ALLOCATABLE)
    if _meta(old, "labels") != _meta(new, "labels"):
        found.append(A.UPDATE_NODE_LABEL)
    if (_spec(old).get("taints") or []) != (_spec(new).get("taints") or []):
        found.append(A.UPDATE_NODE_TAINT)

    def conditions(node: Obj) -> dict[str, Any]:
        return {c.get("type"): c.get("status") for c in _status(node).get("conditions") or []}

    if conditions(old) != conditions(new):
        found.append(A.UPDATE_NODE_CONDITION)
    if _meta(old, "annotations") != _meta(new, "annotations"):
        found.append(A.UPDATE_NODE_ANNOTATION)
    return [ClusterEvent(NODE, action) for action in found]


def _scaled_down(old: Obj, new: Obj) -> bool:
    before, after = pod_requests(old), pod_requests(new)
    return any(name not in after or milli_value(value) > milli_value(after[name])
               for name, value in before.items())


def pod_update_events(old: Obj, new: Obj) -> list[ClusterEvent]:
    """The events of a pod update: on AssignedPod when the new pod has a
    node, else on UnschedulablePod."""
    resource = ASSIGNED_POD if _spec(new).get("nodeName") else UNSCHEDULED_POD
    found = []
    if _meta(old, "labels") != _meta(new, "labels"):
        found.append(A.UPDATE_POD_LABEL)
    if _scaled_down(old, new):
        found.append(A.UPDATE_POD_SCALE_DOWN)
    if _spec(old).get("schedulingGates") and not _spec(new).get("schedulingGates"):
        found.append(A.UPDATE_POD_SCHEDULING_GATES_ELIMINATED)
    if len(_spec(old).get("tolerations") or []) != len(_spec(new).get("tolerations") or []):
        found.append(A.UPDATE_POD_TOLERATIONS)
    return [ClusterEvent(resource, action) for action in found or [A.UPDATE]]
