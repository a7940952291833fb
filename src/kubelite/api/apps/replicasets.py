"""apps/v1 ReplicaSet: keeps a number of identical pods running, with
status and scale subresources."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    fill,
    non_negative_fields,
    restarts_always,
    spec_of,
    status_of,
    template_columns,
    validate_selector_and_template,
)
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, TIME, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, ScaleSpec, register
from kubelite.api.schema import array, define, integer, obj, ref, string

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

define(APPS + "ReplicaSetCondition", obj(
    "One aspect of a replica set's state (e.g. ReplicaFailure).",
    {
        "type": string("Kind of condition."),
        "status": string("True, False or Unknown."),
        "lastTransitionTime": ref(TIME, "When the status last changed."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(APPS + "ReplicaSetStatus", obj(
    "The observed state of a replica set.",
    {
        "replicas": integer("Pods the replica set owns (not terminating)."),
        "fullyLabeledReplicas": integer("Pods whose labels match the template's."),
        "readyReplicas": integer("Pods that are ready."),
        "availableReplicas": integer("Pods ready for at least minReadySeconds."),
        "terminatingReplicas": integer("Pods being deleted."),
        "observedGeneration": integer("The generation the controller last acted on.",
                                      format="int64"),
        "conditions": array(ref(APPS + "ReplicaSetCondition"), "Current conditions.",
                            merge_key="type", strategy="merge", list_type="map",
                            map_keys=("type",)),
    },
    required=("replicas",),
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
    scale=ScaleSpec(label_selector="spec.selector"),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Desired", lambda r: spec_of(r).get("replicas", 0), type="integer",
               description="Pods wanted."),
        Column("Current", lambda r: status_of(r).get("replicas", 0), type="integer",
               description="Pods owned."),
        Column("Ready", lambda r: status_of(r).get("readyReplicas", 0), type="integer",
               description="Pods ready."),
        AGE_COLUMN,
        *template_columns(lambda r: spec_of(r).get("template"),
                          lambda r: spec_of(r).get("selector")),
    ),
    field_selectors={"status.replicas": lambda r: str(status_of(r).get("replicas", 0))},
))
