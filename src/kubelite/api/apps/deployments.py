"""apps/v1 Deployment: declarative rollouts of a pod template through
ReplicaSets, with status and scale subresources."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    READY_COLUMN,
    fill,
    non_negative_fields,
    restarts_always,
    spec_of,
    status_of,
    template_columns,
    validate_selector_and_template,
    validate_surge_and_unavailable,
)
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, TIME, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, ScaleSpec, register
from kubelite.api.schema import (
    array,
    boolean,
    define,
    int_or_string,
    integer,
    obj,
    ref,
    string,
)

APPS = "io.k8s.api.apps.v1."
DEPLOYMENT = APPS + "Deployment"
STRATEGY_TYPES = ("Recreate", "RollingUpdate")

define(APPS + "RollingUpdateDeployment", obj(
    "How fast a rolling update replaces old pods with new ones.",
    {
        "maxUnavailable": int_or_string(
            "How many pods (or what percentage of the replicas, rounded down) may be "
            "unavailable during the update; 25% by default. Not 0 when maxSurge is 0."),
        "maxSurge": int_or_string(
            "How many pods (or what percentage of the replicas, rounded up) may be "
            "created above the replica count during the update; 25% by default."),
    },
))

define(APPS + "DeploymentStrategy", obj(
    "How a deployment replaces old pods with new ones.",
    {
        "type": string("Recreate (stop all old pods first) or RollingUpdate (the "
                       "default).", enum=list(STRATEGY_TYPES)),
        "rollingUpdate": ref(APPS + "RollingUpdateDeployment",
                             "Parameters of a RollingUpdate; only with that type."),
    },
))

define(APPS + "DeploymentSpec", obj(
    "The desired state of a deployment.",
    {
        "replicas": integer("How many pods to run; 1 by default."),
        "selector": ref(LABEL_SELECTOR, "Selects the pods this deployment owns; must "
                                        "match the template's labels. Immutable."),
        "template": ref(POD_TEMPLATE_SPEC, "The pods to run. Its restartPolicy must "
                                           "be Always."),
        "strategy": {**ref(APPS + "DeploymentStrategy",
                           "How new pods replace old ones."),
                     "x-kubernetes-patch-strategy": "retainKeys"},
        "minReadySeconds": integer("Seconds a new pod must be ready, without any "
                                   "container crashing, to count as available; 0 by "
                                   "default."),
        "revisionHistoryLimit": integer("How many old ReplicaSets to keep for "
                                        "rollback; 10 by default."),
        "paused": boolean("Stops the rollout of template changes while true."),
        "progressDeadlineSeconds": integer(
            "Seconds the rollout may make no progress before it is reported as "
            "failed (reason ProgressDeadlineExceeded); 600 by default."),
    },
    required=("selector", "template"),
))

define(APPS + "DeploymentCondition", obj(
    "One aspect of a deployment's state (Available, Progressing, ReplicaFailure).",
    {
        "type": string("Kind of condition."),
        "status": string("True, False or Unknown."),
        "lastUpdateTime": ref(TIME, "When the condition was last updated."),
        "lastTransitionTime": ref(TIME, "When the status last changed."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(APPS + "DeploymentStatus", obj(
    "The observed state of a deployment.",
    {
        "observedGeneration": integer("The generation the controller last acted on.",
                                      format="int64"),
        "replicas": integer("Pods the deployment's ReplicaSets own (not terminating)."),
        "updatedReplicas": integer("Pods running the current template."),
        "readyReplicas": integer("Pods that are ready."),
        "availableReplicas": integer("Pods ready for at least minReadySeconds."),
        "unavailableReplicas": integer("Pods still needed for the deployment to be "
                                       "fully available."),
        "terminatingReplicas": integer("Pods being deleted."),
        "conditions": array(ref(APPS + "DeploymentCondition"), "Current conditions.",
                            merge_key="type", strategy="merge", list_type="map",
                            map_keys=("type",)),
        "collisionCount": integer("Counts hash collisions of the template; the "
                                  "controller uses it to name new ReplicaSets."),
    },
))

define(DEPLOYMENT, top_level(
    "Runs a replicated set of pods and rolls out changes to their template.",
    {
        "spec": ref(APPS + "DeploymentSpec", "The desired state."),
        "status": ref(APPS + "DeploymentStatus", "The observed state; read only."),
    },
), gvk=("apps", "v1", "Deployment"))


def default(deployment: Obj) -> None:
    spec = fill(deployment, "spec", {})
    fill(spec, "replicas", 1)
    strategy = fill(spec, "strategy", {})
    if fill(strategy, "type", "RollingUpdate") == "RollingUpdate":
        rolling = fill(strategy, "rollingUpdate", {})
        fill(rolling, "maxUnavailable", "25%")
        fill(rolling, "maxSurge", "25%")
    fill(spec, "revisionHistoryLimit", 10)
    fill(spec, "progressDeadlineSeconds", 600)
    default_pod_template(fill(spec, "template", {}))


def _validate_strategy(strategy: Obj, path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [v.forbidden(f"{path}.rollingUpdate",
                                "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return [v.required(f"{path}.rollingUpdate")]
        return validate_surge_and_unavailable(rolling, f"{path}.rollingUpdate")
    return v.one_of(f"{path}.type", kind, STRATEGY_TYPES)


def validate(deployment: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(deployment)
    causes = non_negative_fields(spec, "spec", "replicas", "minReadySeconds",
                                 "revisionHistoryLimit", "progressDeadlineSeconds")
    causes += validate_selector_and_template(spec, "spec", "deployment")
    causes += restarts_always(spec, "spec", "ReplicaSet")
    causes += _validate_strategy(spec.get("strategy") or {}, "spec.strategy")
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int) and deadline <= (spec.get("minReadySeconds") or 0):
        causes.append(v.invalid("spec.progressDeadlineSeconds", deadline,
                                "must be greater than minReadySeconds"))
    if old is not None:
        causes += v.unchanged("spec.selector", spec.get("selector"),
                              spec_of(old).get("selector"))
    return causes



RESOURCE = register(Resource(
    group="apps",
    version="v1",
    kind="Deployment",
    plural="deployments",
    namespaced=True,
    schema=DEPLOYMENT,
    short_names=("deploy",),
    categories=("all",),
    status_subresource=True,
    # Every DeploymentStatus field is omitempty (or a pointer).
    zero_status={},
    annotations_bump_generation=True,
    # The Scale's status.selector is spec.selector written as label-query text.
    scale=ScaleSpec(label_selector="spec.selector"),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        READY_COLUMN,
        Column("Up-to-date", lambda d: status_of(d).get("updatedReplicas", 0),
               type="integer", description="Pods running the current template."),
        Column("Available", lambda d: status_of(d).get("availableReplicas", 0),
               type="integer", description="Pods available to serve."),
        AGE_COLUMN,
        *template_columns(lambda d: spec_of(d).get("template"),
                          lambda d: spec_of(d).get("selector")),
    ),
))
