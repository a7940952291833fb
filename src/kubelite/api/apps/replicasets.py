"""apps/v1 ReplicaSet: keeps a number of identical pods running, with
status and scale subresources."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    REPLICA_COLUMNS,
    condition_schema,
    fill,
    non_negative_fields,
    replica_status_schema,
    restarts_always,
    spec_of,
    status_of,
    status_replicas,
    template_columns,
    validate_replica_status,
    validate_selector_and_template,
)
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Obj, Resource, ScaleSpec, register
from kubelite.api.schema import define, integer, obj, ref

APPS = "io.k8s.api.apps.v1."
REPLICA_SET = APPS + "ReplicaSet"

define(APPS + "ReplicaSetSpec", obj(
    "The desired state of a replica set.",
    {
        "replicas": integer("How many pods to run; 1 by default."),
        "minReadySeconds": integer("Seconds a new pod must be ready, without any "
                                   "container crashing, to count as available."),
        "selector": ref(LABEL_SELECTOR, "Selects the pods this replica set owns; must "
                                        "match the template's labels. Immutable."),
        "template": ref(POD_TEMPLATE_SPEC, "The pods to create when too few match."),
    },
    required=("selector",),
))

define(APPS + "ReplicaSetCondition", condition_schema("ReplicaSet"))

define(APPS + "ReplicaSetStatus", replica_status_schema(
    "replica set", APPS + "ReplicaSetCondition",
    terminatingReplicas=integer("Pods being deleted."),
))

define(REPLICA_SET, top_level(
    "Keeps a given number of pods matching its selector running.",
    {
        "spec": ref(APPS + "ReplicaSetSpec", "The desired state."),
        "status": ref(APPS + "ReplicaSetStatus", "The observed state; read only."),
    },
), gvk=("apps", "v1", "ReplicaSet"))


def default(replica_set: Obj) -> None:
    spec = fill(replica_set, "spec", {})
    fill(spec, "replicas", 1)
    default_pod_template(fill(spec, "template", {}))


def validate(replica_set: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(replica_set)
    causes = non_negative_fields(spec, "spec", "replicas", "minReadySeconds")
    # Kubernetes words the empty-selector error for ReplicaSets as for Deployments.
    causes += validate_selector_and_template(spec, "spec", "deployment")
    causes += restarts_always(spec, "spec", "ReplicaSet")
    causes += validate_replica_status(status_of(replica_set))
    if old is not None:
        causes += v.unchanged("spec.selector", spec.get("selector"),
                              spec_of(old).get("selector"))
    return causes


RESOURCE = register(Resource(
    group="apps",
    version="v1",
    kind="ReplicaSet",
    plural="replicasets",
    namespaced=True,
    schema=REPLICA_SET,
    short_names=("rs",),
    categories=("all",),
    status_subresource=True,
    # ReplicaSetStatus.replicas has no omitempty.
    zero_status={"replicas": 0},
    scale=ScaleSpec(label_selector="spec.selector"),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        *REPLICA_COLUMNS,
        AGE_COLUMN,
        *template_columns(lambda r: spec_of(r).get("template"),
                          lambda r: spec_of(r).get("selector")),
    ),
    field_selectors={"status.replicas": status_replicas},
))
