"""ReplicationControllers (core/v1): keep a number of identical pods running,
as ReplicaSets do, but select them with a plain label map (spec.selector:
{"app": "web"}) instead of a LabelSelector. With status and scale
subresources; the Scale reports the selector as "app=web,tier=front".

Kubernetes' defaulting gives an empty selector, and empty labels of the
controller itself, the template's labels. Unlike a ReplicaSet's, the
selector may change, and the template may be missing from the request (it
is then refused as required).
"""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    REPLICA_COLUMNS,
    condition_schema,
    fill,
    replica_status_schema,
    restarts_always,
    spec_of,
    status_of,
    status_replicas,
    template_columns,
    template_labels,
    validate_replica_status,
    validate_template,
)
from kubelite.api.core.common import CORE
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, atomic, string_map, top_level
from kubelite.api.resource import Cause, Obj, Resource, ScaleSpec, register
from kubelite.api.schema import define, integer, obj, ref

REPLICATION_CONTROLLER = CORE + "ReplicationController"
CONDITION = CORE + "ReplicationControllerCondition"

define(CORE + "ReplicationControllerSpec", obj(
    "The desired state of a replication controller.",
    {
        "replicas": integer("How many pods to run; 1 by default."),
        "minReadySeconds": integer("Seconds a new pod must be ready, without any "
                                   "container crashing, to count as available; 0 by "
                                   "default."),
        "selector": atomic(string_map(
            "The labels of the pods this controller owns (all must match); the "
            "template's labels when empty.")),
        "template": ref(POD_TEMPLATE_SPEC, "The pods to create when too few match. "
                                           "Its restartPolicy must be Always."),
    },
))

define(CONDITION, condition_schema("ReplicationController"))

define(CORE + "ReplicationControllerStatus",
       replica_status_schema("replication controller", CONDITION))

define(REPLICATION_CONTROLLER, top_level(
    "Keeps a given number of pods with the labels of its selector running. Empty "
    "labels of its own default to its template's.",
    {
        "spec": ref(CORE + "ReplicationControllerSpec", "The desired state."),
        "status": ref(CORE + "ReplicationControllerStatus",
                      "The observed state; read only."),
    },
), gvk=("", "v1", "ReplicationController"))


def default(controller: Obj) -> None:
    spec = fill(controller, "spec", {})
    template = spec.get("template")
    if isinstance(template, dict):
        labels = template_labels(template)
        if labels:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            meta = fill(controller, "metadata", {})
            if not meta.get("labels"):
                meta["labels"] = dict(labels)
        default_pod_template(template)
    fill(spec, "replicas", 1)


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a label map selects these labels (an empty one selects all)."""
    return all(labels.get(key) == value for key, value in selector.items())


def validate(controller: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(controller)
    selector = spec.get("selector") or {}
    causes = v.non_negative("spec.minReadySeconds", spec.get("minReadySeconds"))
    if not selector:
        causes.append(v.required("spec.selector"))
    causes += v.non_negative("spec.replicas", spec.get("replicas"))
    template = spec.get("template")
    if template is None:
        causes.append(v.required("spec.template"))
    else:
        causes += validate_template(template, "spec.template",
                                    _selects(selector, template_labels(template)))
        causes += restarts_always(spec, "spec", "ReplicationController")
    return causes + validate_replica_status(status_of(controller))


RESOURCE = register(Resource(
    group="",
    version="v1",
    kind="ReplicationController",
    plural="replicationcontrollers",
    namespaced=True,
    schema=REPLICATION_CONTROLLER,
    short_names=("rc",),
    categories=("all",),
    status_subresource=True,
    # ReplicationControllerStatus.replicas has no omitempty.
    zero_status={"replicas": 0},
    scale=ScaleSpec(label_selector="spec.selector", selector_is_map=True),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        *REPLICA_COLUMNS,
        AGE_COLUMN,
        *template_columns(lambda rc: spec_of(rc).get("template"),
                          lambda rc: {"matchLabels": spec_of(rc).get("selector") or {}}),
    ),
    field_selectors={"status.replicas": status_replicas},
))
