"""What the workload kinds of apps/v1 and batch/v1 (and core/v1's
ReplicationController) share.

A workload owns pods through a label selector and a pod template. This
module holds the facts about both that several kinds need: matching a
LabelSelector object against labels and writing it in the text form
kubectl prints (and the scale subresource reports), checking the selector
and its template, the integer-or-percent fields of rolling updates, the
CONTAINERS / IMAGES / SELECTOR columns of `kubectl get -o wide`, and
`fill`, which defaults a field the way Kubernetes' defaulting does.

ReplicaSets and ReplicationControllers keep the same pod counts: their
status and condition schemas, the checks of those counts, the DESIRED /
CURRENT / READY columns and the status.replicas field selector are here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.pods import validate_pod_template
from kubelite.api.meta import TIME
from kubelite.api.resource import Cause, Column, Obj
from kubelite.api.schema import Schema, array, integer, obj, ref, string
from kubelite.api.selectors import from_label_selector_object, to_string

# --- label selectors -----------------------------------------------------------------

SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_matches(selector: Obj | None, labels: dict[str, str] | None) -> bool:
    """Whether a LabelSelector object selects these labels. A missing or
    invalid selector selects nothing; an empty one everything."""
    if selector is None:
        return False
    try:
        return from_label_selector_object(selector).matches(labels or {})
    except ValueError:
        return False


def selector_is_empty(selector: Obj) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def validate_label_selector(selector: Obj, path: str) -> list[Cause]:
    """A LabelSelector object's own validity: label keys and values, known
    operators, values present exactly for In and NotIn."""
    causes = v.validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        at = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn") and not values:
            causes.append(v.required(
                f"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist") and values:
            causes.append(v.forbidden(
                f"{at}.values", "may not be specified when `operator` is 'Exists' or "
                "'DoesNotExist'"))
        elif op not in SELECTOR_OPERATORS:
            causes.append(v.invalid(f"{at}.operator", op, "not a valid selector operator"))
        causes += v.check(f"{at}.key", expr.get("key", ""),
                          v.is_valid_label_key(expr.get("key", "")))
        for j, value in enumerate(values):
            causes += v.check(f"{at}.values[{j}]", value, v.is_valid_label_value(value))
    return causes


def template_labels(template: Obj | None) -> dict[str, str]:
    """The labels of a pod template (its pods'); {} when it has none."""
    return ((template or {}).get("metadata") or {}).get("labels") or {}


def validate_template(template: Obj, path: str, selected: bool) -> list[Cause]:
    """A workload's pod template at `path` ("spec.template"): a valid pod
    template, whose labels the workload's selector must select (`selected`
    says whether it does; an empty selector is the caller's to refuse)."""
    causes: list[Cause] = []
    if not selected:
        causes.append(v.invalid(f"{path}.metadata.labels", template_labels(template),
                                "`selector` does not match template `labels`"))
    return causes + validate_pod_template(template, path)


def validate_selector_and_template(spec: Obj, path: str, kind: str | None) -> list[Cause]:
    """The selector is required and valid, it selects the template's
    labels, and the template is a valid pod template. Given `kind` (named
    in the message), an empty selector is refused too."""
    selector = spec.get("selector")
    template = spec.get("template") or {}
    causes: list[Cause] = []
    if selector is None:
        causes.append(v.required(f"{path}.selector"))
    else:
        causes += validate_label_selector(selector, f"{path}.selector")
        if kind and selector_is_empty(selector):
            causes.append(v.invalid(f"{path}.selector", selector,
                                    f"empty selector is invalid for {kind}"))
    selected = selector is None or selector_is_empty(selector) or selector_matches(
        selector, template_labels(template))
    return causes + validate_template(template, f"{path}.template", selected)


def restarts_always(spec: Obj, path: str, kind: str) -> list[Cause]:
    """The template of a controller that keeps pods running (ReplicaSet,
    StatefulSet, DaemonSet; Deployments count as ReplicaSets): restartPolicy
    Always and no activeDeadlineSeconds."""
    pod = (spec.get("template") or {}).get("spec") or {}
    at = f"{path}.template.spec"
    causes = v.one_of(f"{at}.restartPolicy", pod.get("restartPolicy"), ["Always"])
    deadline = pod.get("activeDeadlineSeconds")
    if deadline is not None:
        if kind == "DaemonSet":
            causes.append(v.invalid(f"{at}.activeDeadlineSeconds", deadline,
                                    "activeDeadlineSeconds must be nil for daemonset"))
        else:
            causes.append(v.forbidden(f"{at}.activeDeadlineSeconds",
                                      f"activeDeadlineSeconds in {kind} is not Supported"))
    return causes


def non_negative_fields(spec: Obj, path: str, *names: str) -> list[Cause]:
    causes: list[Cause] = []
    for name in names:
        causes += v.non_negative(f"{path}.{name}", spec.get(name))
    return causes


def condition_schema(kind: str) -> Schema:
    """A workload's condition (type, status, reason, message and when it
    last changed): of a DaemonSet, StatefulSet, ReplicaSet or
    ReplicationController (`kind`)."""
    return obj(
        f"One aspect of a {kind}'s state.",
        {
            "type": string("Kind of condition."),
            "status": string("True, False or Unknown."),
            "lastTransitionTime": ref(TIME, "When the status last changed."),
            "reason": string("One-word CamelCase reason for the last transition."),
            "message": string("Human-readable details."),
        },
        required=("type", "status"),
    )


# --- the pod counts of ReplicaSets and ReplicationControllers ------------------------


def replica_status_schema(kind: str, condition: str, **more: Schema) -> Schema:
    """The status of a replica set or replication controller (`kind`), whose
    conditions are the definition `condition`, with `more` fields."""
    return obj(
        f"The observed state of a {kind}.",
        {
            "replicas": integer(f"Pods the {kind} owns (not terminating)."),
            "fullyLabeledReplicas": integer("Pods whose labels match the template's."),
            "readyReplicas": integer("Pods that are ready."),
            "availableReplicas": integer("Pods ready for at least minReadySeconds."),
            **more,
            "observedGeneration": integer("The generation the controller last acted on.",
                                          format="int64"),
            "conditions": array(ref(condition), "Current conditions.",
                                merge_key="type", strategy="merge", list_type="map",
                                map_keys=("type",)),
        },
        required=("replicas",),
    )


_REPLICA_COUNTS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def validate_replica_status(status: Obj) -> list[Cause]:
    """The counts of a replica set's or replication controller's status:
    none negative, none above status.replicas, available not above ready."""
    causes = non_negative_fields(status, "status", *_REPLICA_COUNTS, "observedGeneration")
    counts = {name: n if isinstance(n := status.get(name), int) else 0
              for name in _REPLICA_COUNTS}
    for name in _REPLICA_COUNTS[1:]:
        if counts[name] > counts["replicas"]:
            causes.append(v.invalid(f"status.{name}", counts[name],
                                    "cannot be greater than status.replicas"))
    if counts["availableReplicas"] > counts["readyReplicas"]:
        causes.append(v.invalid("status.availableReplicas", counts["availableReplicas"],
                                "cannot be greater than readyReplicas"))
    return causes


def status_replicas(o: Obj) -> str:
    """status.replicas, as the field selector of that name reads it."""
    return str(status_of(o).get("replicas", 0))


# --- rolling updates -----------------------------------------------------------------

_PERCENT = re.compile(r"[0-9]+%")
_PERCENT_ERROR = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)


def int_or_percent(value: Any, path: str, *, at_most_100: bool = False) -> list[Cause]:
    """A count or a percentage ("25%"): never negative, percentages well
    formed (and up to 100% when `at_most_100`)."""
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            return [v.invalid(path, value, _PERCENT_ERROR)]
        if at_most_100 and int(value[:-1]) > 100:
            return [v.invalid(path, value, "must not be greater than 100%")]
        return []
    return v.non_negative(path, value)


def is_zero(value: Any) -> bool:
    """An unset, 0 or "0%" count."""
    if isinstance(value, str):
        return bool(_PERCENT.fullmatch(value)) and int(value[:-1]) == 0
    return not value


def validate_surge_and_unavailable(rolling: Obj, path: str) -> list[Cause]:
    """maxUnavailable and maxSurge of a Deployment or DaemonSet rolling update."""
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = int_or_percent(surge, f"{path}.maxSurge")
    causes += int_or_percent(unavailable, f"{path}.maxUnavailable", at_most_100=True)
    if is_zero(unavailable) and is_zero(surge):
        causes.append(v.invalid(f"{path}.maxUnavailable", unavailable,
                                "may not be 0 when `maxSurge` is 0"))
    return causes


# --- columns -------------------------------------------------------------------------

Getter = Callable[[Obj], Obj | None]


def _containers(template: Obj | None) -> list[Obj]:
    return ((template or {}).get("spec") or {}).get("containers") or []


def template_columns(template: Getter, selector: Getter | None = None) -> tuple[Column, ...]:
    """The wide columns of a workload: its template's container names and
    images, and (given `selector`) its selector as label-query text."""
    columns = [
        Column("Containers", lambda o: ",".join(c.get("name", "") for c in _containers(
            template(o))), priority=1, description="Names of the template's containers."),
        Column("Images", lambda o: ",".join(c.get("image", "") for c in _containers(
            template(o))), priority=1, description="Images of the template's containers."),
    ]
    if selector is not None:
        columns.append(Column("Selector", lambda o: to_string(selector(o) or {}) or "<none>",
                              priority=1, description="The label selector of the pods."))
    return tuple(columns)


# --- defaulting and reading ------------------------------------------------------------


def fill(obj: Obj, key: str, value: Any) -> Any:
    """Set `key` to `value` when it is unset (missing, null or ""), as
    Kubernetes' defaulting does for nil pointers and empty strings; return
    the field's value."""
    if obj.get(key) in (None, ""):
        obj[key] = value
    return obj[key]


def spec_of(o: Obj) -> Obj:
    return o.get("spec") or {}


def status_of(o: Obj) -> Obj:
    return o.get("status") or {}


def _ready_of_wanted(o: Obj) -> str:
    return f"{status_of(o).get('readyReplicas', 0)}/{spec_of(o).get('replicas', 0)}"


# Deployments' and StatefulSets' READY: "ready/wanted".
READY_COLUMN = Column("Ready", _ready_of_wanted,
                      description="Ready pods out of the replicas wanted.")

# ReplicaSets' and ReplicationControllers' DESIRED, CURRENT and READY.
REPLICA_COLUMNS = (
    Column("Desired", lambda o: spec_of(o).get("replicas", 0), type="integer",
           description="Pods wanted."),
    Column("Current", lambda o: status_of(o).get("replicas", 0), type="integer",
           description="Pods owned."),
    Column("Ready", lambda o: status_of(o).get("readyReplicas", 0), type="integer",
           description="Pods ready."),
)
