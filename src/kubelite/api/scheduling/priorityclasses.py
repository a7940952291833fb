"""scheduling.k8s.io/v1 PriorityClass: a cluster-wide name for a pod
priority. Pods name one in spec.priorityClassName and the Priority
admission (kubelite.apiserver.priority) copies its value and
preemptionPolicy into the pod; one class may be the globalDefault, for pods
that name none.

Validation as Kubernetes': user classes go up to 1,000,000,000; names with
the "system-" prefix are kept for the two system classes (exactly their
value, never the default); value and preemptionPolicy cannot change. That
only one class is the default needs the other classes, so the admission
checks it. `system_priority_classes()` gives the two classes every cluster
creates at start-up.
"""

from __future__ import annotations

import copy

from kubelite.api import validation as v
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import boolean, define, integer, string

SCHEDULING = "io.k8s.api.scheduling.v1."
PRIORITY_CLASS = SCHEDULING + "PriorityClass"

HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical"
SYSTEM_NODE_CRITICAL = "system-node-critical"
# A pod naming no class when no class is the default.
DEFAULT_PRIORITY = 0
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"
PREEMPTION_POLICIES = (PREEMPT_LOWER_PRIORITY, PREEMPT_NEVER)

define(PRIORITY_CLASS, top_level(
    "A named pod priority. Pods refer to it by name in spec.priorityClassName.",
    {
        "value": integer("The priority of the pods of this class; higher is scheduled "
                         "first and may preempt lower. At most 1000000000 for classes "
                         "other than the system ones. Immutable."),
        "globalDefault": boolean("Whether pods naming no class get this one. At most one "
                                 "class is the default."),
        "description": string("When to use this class, for people."),
        "preemptionPolicy": string("Whether pods of this class may preempt lower-priority "
                                   "pods: PreemptLowerPriority (the default) or Never. "
                                   "Immutable.", enum=list(PREEMPTION_POLICIES)),
    },
    required=("value",),
), gvk=("scheduling.k8s.io", "v1", "PriorityClass"))

# The system classes as Kubernetes defines them (pkg/apis/scheduling).
_SYSTEM_CLASSES: tuple[Obj, ...] = (
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": SYSTEM_NODE_CRITICAL},
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their "
                       "current node.",
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": SYSTEM_CLUSTER_CRITICAL},
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": "Used for system critical pods that must run in the cluster, but "
                       "can be moved to another node if necessary.",
    },
)


def system_priority_classes() -> list[Obj]:
    """Fresh copies of the system classes, ready to create."""
    return copy.deepcopy(list(_SYSTEM_CLASSES))


def _known_system_class(name: str, value: object, global_default: bool) -> str:
    """"" when (name, value, globalDefault) is one of the system classes,
    else why not."""
    for system in _SYSTEM_CLASSES:
        if system["metadata"]["name"] == name:
            if system["value"] != value:
                return f"value of {name} PriorityClass must be {system['value']}"
            if global_default:
                return f"globalDefault of {name} PriorityClass must be false"
            return ""
    return f"{name} is not a known system priority class"


def default(pc: Obj) -> None:
    """value 0 when absent (a Go int32 without omitempty), preemptionPolicy
    PreemptLowerPriority; a false globalDefault and an empty description
    are dropped, as Go's omitempty drops them."""
    pc.setdefault("value", 0)
    if pc.get("preemptionPolicy") is None:
        pc["preemptionPolicy"] = PREEMPT_LOWER_PRIORITY
    if pc.get("globalDefault") is False:
        del pc["globalDefault"]
    if pc.get("description") == "":
        del pc["description"]


def validate(pc: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    name = (pc.get("metadata") or {}).get("name") or ""
    value = pc.get("value")
    if name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX):
        why = _known_system_class(name, value, bool(pc.get("globalDefault")))
        if why:
            causes.append(v.forbidden(
                "metadata.name",
                f"priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are "
                f"reserved for system use only. error: {why}"))
    elif isinstance(value, int) and value > HIGHEST_USER_DEFINABLE_PRIORITY:
        causes.append(v.forbidden(
            "value", f"maximum allowed value of a user defined priority is "
                     f"{HIGHEST_USER_DEFINABLE_PRIORITY}"))
    policy = pc.get("preemptionPolicy")
    if policy == "":
        causes.append(v.required("preemptionPolicy"))
    elif policy is not None and policy not in PREEMPTION_POLICIES:
        causes.append(v.not_supported("preemptionPolicy", policy, PREEMPTION_POLICIES))
    if old is not None:
        if value != old.get("value"):
            causes.append(v.forbidden("value", "may not be changed in an update."))
        causes += v.unchanged("preemptionPolicy", policy, old.get("preemptionPolicy"))
    return causes


RESOURCE = register(Resource(
    group="scheduling.k8s.io",
    version="v1",
    kind="PriorityClass",
    plural="priorityclasses",
    namespaced=False,
    schema=PRIORITY_CLASS,
    short_names=("pc",),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Value", lambda pc: pc.get("value", 0), type="integer",
               description="The priority of the class's pods."),
        Column("Global-Default", lambda pc: bool(pc.get("globalDefault")), type="boolean",
               description="Whether pods naming no class get this one."),
        AGE_COLUMN,
        # kubectl 1.32 shows it without -o wide (its release note said
        # -o wide, the column definition has no priority).
        Column("PreemptionPolicy", lambda pc: pc.get("preemptionPolicy") or "",
               description="Whether the class's pods may preempt lower-priority pods."),
    ),
))
