"""Pods (core/v1): the Pod kind, its binding and eviction bodies, defaults,
validation (including which spec fields an update may change), the columns
of `kubectl get pods` and the pod field selectors.

Workload kinds in other groups reuse `default_pod_template`,
`validate_pod_template` (and the spec-level `default_pod_spec`,
`validate_pod_spec`) from here.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref
from kubelite.api.core.podspec import POD_SPEC
from kubelite.api.core.podspec_defaults import (
    child,
    default_pod_spec,
    default_pod_template,
    dicts,
)
from kubelite.api.core.podspec_validation import validate_pod_spec, validate_pod_template
from kubelite.api.core.podstatus import POD_STATUS
from kubelite.api.meta import (
    AGE_COLUMN,
    DELETE_OPTIONS,
    NAME_COLUMN,
    top_level,
)
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, ref

__all__ = [
    "PODS",
    "default_pod",
    "default_pod_spec",
    "default_pod_template",
    "pod_summary",
    "qos_class",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_template",
]

POD = CORE + "Pod"

define(POD, top_level(
    "A group of containers that share network, IPC and volumes, scheduled onto one "
    "node together.",
    {
        "spec": ref(POD_SPEC, "What the pod runs."),
        "status": ref(POD_STATUS, "What the pod is doing; written by the system."),
    },
), gvk=("", "v1", "Pod"))

define(CORE + "Binding", top_level(
    "Assigns a pod to a node: the body of a POST to pods/<name>/binding.",
    {"target": core_ref("ObjectReference", "The node to bind to.")},
    required=("target",),
), gvk=("", "v1", "Binding"))

define("io.k8s.api.policy.v1.Eviction", top_level(
    "Asks for a pod to be deleted, subject to disruption budgets: the body of a "
    "POST to pods/<name>/eviction.",
    {"deleteOptions": ref(DELETE_OPTIONS, "Options for the deletion.")},
), gvk=("policy", "v1", "Eviction"))

# --- defaults --------------------------------------------------------------------

_QOS_RESOURCES = ("cpu", "memory")


def _requests_from_limits(resources: Obj | None) -> None:
    """Requests default to limits, resource by resource (in Pods only, not
    in templates)."""
    limits = resources.get("limits") if resources else None
    if not isinstance(limits, dict) or not limits:
        return
    requests = resources.setdefault("requests", {})
    if isinstance(requests, dict):
        for name, amount in limits.items():
            requests.setdefault(name, amount)


def qos_class(spec: Obj) -> str:
    """Guaranteed when every container limits cpu and memory and requests
    exactly that; BestEffort when nothing requests or limits them;
    Burstable otherwise."""
    pod_level = child(spec, "resources")
    if pod_level and (pod_level.get("requests") or pod_level.get("limits")):
        all_resources = [pod_level]
    else:
        all_resources = [child(c, "resources") or {}
                         for key in ("containers", "initContainers")
                         for c in dicts(spec.get(key))]
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for resources in all_resources:
        for part, totals in (("requests", requests), ("limits", limits)):
            for name, value in (resources.get(part) or {}).items():
                amount = v.parse_quantity(value)
                if name in _QOS_RESOURCES and amount:
                    totals[name] = totals.get(name, Fraction(0)) + amount
        limited = {name for name, value in (resources.get("limits") or {}).items()
                   if name in _QOS_RESOURCES and v.parse_quantity(value)}
        if limited != set(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    return "Guaranteed" if guaranteed and requests == limits else "Burstable"


def default_pod(pod: Obj) -> None:
    spec = pod.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    default_pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)
    _requests_from_limits(child(spec, "resources"))
    for key in ("containers", "initContainers"):
        for container in dicts(spec.get(key)):
            _requests_from_limits(child(container, "resources"))
            if spec.get("hostNetwork") is True:
                for port in dicts(container.get("ports")):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    status = pod.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", qos_class(spec))


# --- validation ------------------------------------------------------------------

UPDATABLE_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)",
)
SPEC_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than " + ",".join(UPDATABLE_FIELDS)
)


def _deadline_update(new: Any, old: Any) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        if old is not None:
            return [v.invalid(path, None, "must not update from a positive integer to nil "
                                          "value")]
        return []
    if isinstance(new, int) and isinstance(old, int) and new > old:
        return [v.invalid(path, new, "must be less than or equal to previous value")]
    return []


def _munged_spec(new: Obj, old: Obj) -> tuple[Obj, list[Cause]]:
    """`new` with the fields an update may change taken from `old`: if the
    result differs from `old`, something forbidden changed."""
    munged = copy.deepcopy(new)
    causes: list[Cause] = []
    for key in ("containers", "initContainers"):
        new_list, old_list = munged.get(key), old.get(key)
        if isinstance(new_list, list) and isinstance(old_list, list) \
                and len(new_list) == len(old_list):
            for n, o in zip(new_list, old_list, strict=True):
                if isinstance(n, dict) and isinstance(o, dict):
                    n.pop("image", None)
                    if "image" in o:
                        n["image"] = o["image"]
    munged.pop("activeDeadlineSeconds", None)
    if "activeDeadlineSeconds" in old:
        munged["activeDeadlineSeconds"] = old["activeDeadlineSeconds"]
    old_tolerations = old.get("tolerations") or []
    if all(t in (new.get("tolerations") or []) for t in old_tolerations):
        munged["tolerations"] = copy.deepcopy(old.get("tolerations"))
        if munged["tolerations"] is None:
            munged.pop("tolerations")
    old_grace = old.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 \
            and new.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    old_gates = [g.get("name") for g in dicts(old.get("schedulingGates"))]
    for i, gate in enumerate(dicts(new.get("schedulingGates"))):
        if gate.get("name") not in old_gates:
            causes.append(v.forbidden(
                f"spec.schedulingGates[{i}]",
                f"only deletion is allowed, but found new scheduling gate '{gate.get('name')}'"))
    if old_gates:
        munged["schedulingGates"] = copy.deepcopy(old["schedulingGates"])
    return munged, causes


def validate_pod_update(new: Obj, old: Obj) -> list[Cause]:
    new_spec = child(new, "spec") or {}
    # Compare with the stored spec as today's defaults would leave it, so a
    # default the stored object lacks (say serviceAccount, mirrored from a
    # serviceAccountName that admission set after defaulting) is no change.
    stored = copy.deepcopy(old)
    default_pod(stored)
    old_spec = child(stored, "spec") or {}
    causes = _deadline_update(new_spec.get("activeDeadlineSeconds"),
                              old_spec.get("activeDeadlineSeconds"))
    munged, more = _munged_spec(new_spec, old_spec)
    causes += more
    if munged != old_spec:
        causes.append(v.forbidden("spec", SPEC_UPDATE_FORBIDDEN))
    return causes


def validate_pod(pod: Obj, old: Obj | None) -> list[Cause]:
    spec = child(pod, "spec")
    if spec is None:
        return [v.required("spec")]
    causes = validate_pod_spec(spec, "spec")
    if old is None:
        if spec.get("ephemeralContainers"):
            causes.append(v.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    else:
        causes += validate_pod_update(pod, old)
    return causes


# --- table -----------------------------------------------------------------------


def _condition_true(status: Obj, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True"
               for c in dicts(status.get("conditions")))


def _exit_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def pod_summary(pod: Obj) -> tuple[int, int, str, int]:
    """(ready containers, containers, status, restarts) as `kubectl get pods`
    shows them: the status is the phase unless a container's waiting or
    terminated reason (ContainerCreating, CrashLoopBackOff, Completed,
    Init:0/1, ...) or a pending deletion (Terminating) says more."""
    spec, status = child(pod, "spec") or {}, child(pod, "status") or {}
    init_specs = {c.get("name"): c for c in dicts(spec.get("initContainers"))}

    def sidecar(name: Any) -> bool:
        return (init_specs.get(name) or {}).get("restartPolicy") == "Always"

    total = len(list(dicts(spec.get("containers")))) + sum(
        1 for name in init_specs if sidecar(name))
    ready = restarts = sidecar_restarts = 0
    reason = status.get("reason") or status.get("phase") or ""
    for cond in dicts(status.get("conditions")):
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    for i, cs in enumerate(dicts(status.get("initContainerStatuses"))):
        count = cs.get("restartCount") or 0
        restarts += count
        state = child(cs, "state") or {}
        terminated, waiting = child(state, "terminated"), child(state, "waiting")
        if sidecar(cs.get("name")):
            sidecar_restarts += count
        if terminated is not None and terminated.get("exitCode") == 0:
            continue
        if sidecar(cs.get("name")) and cs.get("started"):
            ready += 1 if cs.get("ready") else 0
            continue
        if terminated is not None:
            reason = _exit_reason(terminated, "Init:")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts = sidecar_restarts
        running = False
        for cs in reversed(list(dicts(status.get("containerStatuses")))):
            restarts += cs.get("restartCount") or 0
            state = child(cs, "state") or {}
            terminated, waiting = child(state, "terminated"), child(state, "waiting")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated is not None:
                reason = _exit_reason(terminated)
            elif cs.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    return ready, total, reason, restarts


def _pod_ip(pod: Obj) -> str:
    status = child(pod, "status") or {}
    ips = list(dicts(status.get("podIPs")))
    return (ips[0].get("ip") if ips else status.get("podIP")) or ""


def _readiness_gates(pod: Obj) -> str:
    gates = [g.get("conditionType") for g in dicts((child(pod, "spec") or {})
                                                   .get("readinessGates"))]
    if not gates:
        return "<none>"
    status = child(pod, "status") or {}
    passed = sum(1 for gate in gates if _condition_true(status, gate))
    return f"{passed}/{len(gates)}"


def _spec_field(key: str) -> Any:
    return lambda pod: (child(pod, "spec") or {}).get(key) or "<none>"


COLUMNS = (
    NAME_COLUMN,
    Column("Ready", lambda p: "{}/{}".format(*pod_summary(p)[:2]),
           description="Ready containers out of all containers."),
    Column("Status", lambda p: pod_summary(p)[2],
           description="Overall state of the pod's containers."),
    Column("Restarts", lambda p: str(pod_summary(p)[3]),
           description="How many times the pod's containers have restarted."),
    AGE_COLUMN,
    Column("IP", lambda p: _pod_ip(p) or "<none>", priority=1,
           description="Address of the pod."),
    Column("Node", _spec_field("nodeName"), priority=1,
           description="Node the pod is bound to."),
    Column("Nominated Node", lambda p: (child(p, "status") or {}).get("nominatedNodeName")
           or "<none>", priority=1,
           description="Node the pod may run on once preemption makes room."),
    Column("Readiness Gates", _readiness_gates, priority=1,
           description="Readiness gates passed out of all gates."),
)


def _field(part: str, key: str) -> Any:
    return lambda pod: str((child(pod, part) or {}).get(key) or "")


FIELD_SELECTORS = {
    "spec.nodeName": _field("spec", "nodeName"),
    "spec.restartPolicy": _field("spec", "restartPolicy"),
    "spec.schedulerName": _field("spec", "schedulerName"),
    "spec.serviceAccountName": _field("spec", "serviceAccountName"),
    "spec.hostNetwork": lambda pod: "true" if (child(pod, "spec") or {}).get("hostNetwork")
    is True else "false",
    "status.phase": _field("status", "phase"),
    "status.podIP": _pod_ip,
    "status.nominatedNodeName": _field("status", "nominatedNodeName"),
}

PODS = register(Resource(
    group="",
    version="v1",
    kind="Pod",
    plural="pods",
    namespaced=True,
    schema=POD,
    short_names=("po",),
    categories=("all",),
    status_subresource=True,
    # Every PodStatus field is omitempty; phase and qosClass are set on create.
    zero_status={},
    return_deleted_object=True,
    watch_index="spec.nodeName",
    subresources=("binding", "eviction"),
    default=default_pod,
    validate=validate_pod,
    columns=COLUMNS,
    field_selectors=FIELD_SELECTORS,
))
