"""apps/v1 StatefulSet: pods with stable names and storage, created and
updated in order, with status and scale subresources."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    READY_COLUMN,
    condition_schema,
    fill,
    int_or_percent,
    non_negative_fields,
    restarts_always,
    spec_of,
    template_columns,
    validate_selector_and_template,
)
from kubelite.api.core.pods import default_pod_template
from kubelite.api.core.podspec import POD_TEMPLATE_SPEC
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Obj, Resource, ScaleSpec, register
from kubelite.api.schema import array, define, int_or_string, integer, obj, ref, string

APPS = "io.k8s.api.apps.v1."
STATEFUL_SET = APPS + "StatefulSet"
PVC = "io.k8s.api.core.v1.PersistentVolumeClaim"
POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
UPDATE_STRATEGY_TYPES = ("RollingUpdate", "OnDelete")
RETENTION_POLICIES = ("Retain", "Delete")
# Spec fields an update may change; any other change is refused.
UPDATABLE = ("replicas", "ordinals", "template", "updateStrategy",
             "persistentVolumeClaimRetentionPolicy", "minReadySeconds")

define(APPS + "RollingUpdateStatefulSetStrategy", obj(
    "Parameters of a StatefulSet rolling update.",
    {
        "partition": integer("Only pods with an ordinal at or above this are updated; "
                             "0 by default."),
        "maxUnavailable": int_or_string(
            "How many pods (or what percentage of the replicas) may be unavailable "
            "during the update; 1 by default. Needs the MaxUnavailableStatefulSet "
            "feature."),
    },
))

define(APPS + "StatefulSetUpdateStrategy", obj(
    "How the controller updates pods when the template changes.",
    {
        "type": string("RollingUpdate (the default) or OnDelete (update a pod only "
                       "when it is deleted).", enum=list(UPDATE_STRATEGY_TYPES)),
        "rollingUpdate": ref(APPS + "RollingUpdateStatefulSetStrategy",
                             "Parameters of a RollingUpdate."),
    },
))

define(APPS + "StatefulSetPersistentVolumeClaimRetentionPolicy", obj(
    "What happens to the claims made from volumeClaimTemplates.",
    {
        "whenDeleted": string("Retain (the default) or Delete the claims when the "
                              "StatefulSet is deleted.", enum=list(RETENTION_POLICIES)),
        "whenScaled": string("Retain (the default) or Delete the claims of pods "
                             "removed by scaling down.", enum=list(RETENTION_POLICIES)),
    },
))

define(APPS + "StatefulSetOrdinals", obj(
    "How the pods of a StatefulSet are numbered.",
    {"start": integer("The ordinal of the first pod; 0 by default.")},
))

define(APPS + "StatefulSetSpec", obj(
    "The desired state of a StatefulSet.",
    {
        "replicas": integer("How many pods to run; 1 by default."),
        "selector": ref(LABEL_SELECTOR, "Selects the pods this StatefulSet owns; must "
                                        "match the template's labels. Immutable."),
        "template": ref(POD_TEMPLATE_SPEC, "The pods to run; each gets a stable name "
                                           "<statefulset>-<ordinal>."),
        "volumeClaimTemplates": array(
            ref(PVC), "Claims made for every pod, named <template>-<pod>, and mounted "
                      "by the template's volumeMounts of the same name.",
            list_type="atomic"),
        "serviceName": string("The headless Service that gives the pods their DNS "
                              "names."),
        "podManagementPolicy": string(
            "OrderedReady (the default: create and delete one pod at a time, in "
            "order) or Parallel.", enum=list(POD_MANAGEMENT_POLICIES)),
        "updateStrategy": ref(APPS + "StatefulSetUpdateStrategy",
                              "How pods are updated when the template changes."),
        "revisionHistoryLimit": integer("How many old revisions to keep; 10 by "
                                        "default."),
        "minReadySeconds": integer("Seconds a new pod must be ready, without any "
                                   "container crashing, to count as available."),
        "persistentVolumeClaimRetentionPolicy": ref(
            APPS + "StatefulSetPersistentVolumeClaimRetentionPolicy",
            "What happens to the claims on deletion and on scale down."),
        "ordinals": ref(APPS + "StatefulSetOrdinals", "How the pods are numbered."),
    },
    required=("selector", "template"),
))

define(APPS + "StatefulSetCondition", condition_schema("StatefulSet"))

define(APPS + "StatefulSetStatus", obj(
    "The observed state of a StatefulSet.",
    {
        "observedGeneration": integer("The generation the controller last acted on.",
                                      format="int64"),
        "replicas": integer("Pods the StatefulSet owns."),
        "readyReplicas": integer("Pods that are ready."),
        "currentReplicas": integer("Pods at currentRevision."),
        "updatedReplicas": integer("Pods at updateRevision."),
        "availableReplicas": integer("Pods ready for at least minReadySeconds."),
        "currentRevision": string("The revision the first currentReplicas pods run."),
        "updateRevision": string("The revision being rolled out."),
        "collisionCount": integer("Counts hash collisions of revision names."),
        "conditions": array(ref(APPS + "StatefulSetCondition"), "Current conditions.",
                            merge_key="type", strategy="merge", list_type="map",
                            map_keys=("type",)),
    },
    required=("replicas",),
))

define(STATEFUL_SET, top_level(
    "Runs pods with stable identities: names, network names and storage.",
    {
        "spec": ref(APPS + "StatefulSetSpec", "The desired state."),
        "status": ref(APPS + "StatefulSetStatus", "The observed state; read only."),
    },
), gvk=("apps", "v1", "StatefulSet"))


def _default_claim_template(claim: Obj) -> None:
    """What Kubernetes fills in a PersistentVolumeClaim."""
    fill(fill(claim, "spec", {}), "volumeMode", "Filesystem")
    fill(fill(claim, "status", {}), "phase", "Pending")


def default(stateful_set: Obj) -> None:
    spec = fill(stateful_set, "spec", {})
    fill(spec, "podManagementPolicy", "OrderedReady")
    strategy = fill(spec, "updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        fill(strategy, "rollingUpdate", {})
    if strategy["type"] == "RollingUpdate" and strategy.get("rollingUpdate") is not None:
        fill(strategy["rollingUpdate"], "partition", 0)
    retention = fill(spec, "persistentVolumeClaimRetentionPolicy", {})
    fill(retention, "whenDeleted", "Retain")
    fill(retention, "whenScaled", "Retain")
    fill(spec, "replicas", 1)
    fill(spec, "revisionHistoryLimit", 10)
    default_pod_template(fill(spec, "template", {}))
    for claim in spec.get("volumeClaimTemplates") or []:
        _default_claim_template(claim)


def _validate_update_strategy(strategy: Obj, path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if not kind:
        return [v.required(path)]
    if kind == "OnDelete":
        if rolling is not None:
            return [v.invalid(f"{path}.rollingUpdate", rolling,
                              "only allowed for updateStrategy 'RollingUpdate'")]
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return []
        causes = v.non_negative(f"{path}.rollingUpdate.partition", rolling.get("partition"))
        unavailable = rolling.get("maxUnavailable")
        if unavailable is not None:
            causes += int_or_percent(unavailable, f"{path}.rollingUpdate.maxUnavailable",
                                     at_most_100=True)
            if unavailable in (0, "0%"):
                causes.append(v.invalid(f"{path}.rollingUpdate.maxUnavailable", unavailable,
                                        "should not be zero"))
        return causes
    return [v.invalid(path, strategy, "must be 'RollingUpdate' or 'OnDelete'")]


def _validate_claim_templates(claims: list[Obj], path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        name = (claim.get("metadata") or {}).get("name") or ""
        at = f"{path}[{i}].metadata.name"
        if not name:
            causes.append(v.required(at))
            continue
        causes += v.check(at, name, v.is_dns1123_subdomain(name))
        if name in seen:
            causes.append(v.duplicate(at, name))
        seen.add(name)
    return causes


def validate(stateful_set: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(stateful_set)
    policy = spec.get("podManagementPolicy")
    if not policy:
        causes = [v.required("spec.podManagementPolicy")]
    elif policy not in POD_MANAGEMENT_POLICIES:
        causes = [v.invalid("spec.podManagementPolicy", policy,
                            "must be 'OrderedReady' or 'Parallel'")]
    else:
        causes = []
    causes += _validate_update_strategy(spec.get("updateStrategy") or {},
                                        "spec.updateStrategy")
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    for key in ("whenDeleted", "whenScaled"):
        if retention.get(key) is not None:
            causes += v.one_of(f"spec.persistentVolumeClaimRetentionPolicy.{key}",
                               retention[key], RETENTION_POLICIES)
    causes += non_negative_fields(spec, "spec", "replicas", "minReadySeconds",
                                  "revisionHistoryLimit")
    causes += v.non_negative("spec.ordinals.start", (spec.get("ordinals") or {}).get("start"))
    causes += validate_selector_and_template(_with_claim_volumes(spec), "spec", "statefulset")
    causes += restarts_always(spec, "spec", "StatefulSet")
    causes += _validate_claim_templates(spec.get("volumeClaimTemplates") or [],
                                        "spec.volumeClaimTemplates")
    if old is not None:
        causes += _validate_update(spec, spec_of(old))
    return causes


def _with_claim_volumes(spec: Obj) -> Obj:
    """The spec with each claim template as a volume of the pod template (in
    place of a volume of the same name), as the controller creates the pods,
    so that their volumeMounts are checked against both."""
    claims = [(c.get("metadata") or {}).get("name") for c in spec.get("volumeClaimTemplates")
              or []]
    template = spec.get("template")
    if not claims or not isinstance(template, dict):
        return spec
    pod = dict(template.get("spec") or {})
    pod["volumes"] = [vol for vol in pod.get("volumes") or [] if vol.get("name") not in claims]
    pod["volumes"] += [{"name": name, "persistentVolumeClaim": {"claimName": name}}
                       for name in claims if name]
    return {**spec, "template": {**template, "spec": pod}}


def _validate_update(spec: Obj, old_spec: Obj) -> list[Cause]:
    rest = {k: val for k, val in spec.items() if k not in UPDATABLE}
    old_rest = {k: val for k, val in old_spec.items() if k not in UPDATABLE}
    if rest != old_rest:
        allowed = ", ".join(f"'{k}'" for k in UPDATABLE[:-1])
        return [v.forbidden("spec", f"updates to statefulset spec for fields other than "
                                    f"{allowed} and '{UPDATABLE[-1]}' are forbidden")]
    return []



RESOURCE = register(Resource(
    group="apps",
    version="v1",
    kind="StatefulSet",
    plural="statefulsets",
    namespaced=True,
    schema=STATEFUL_SET,
    short_names=("sts",),
    categories=("all",),
    status_subresource=True,
    # StatefulSetStatus.replicas and .availableReplicas have no omitempty.
    zero_status={"replicas": 0, "availableReplicas": 0},
    scale=ScaleSpec(label_selector="spec.selector"),
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        READY_COLUMN,
        AGE_COLUMN,
        *template_columns(lambda s: spec_of(s).get("template")),
    ),
))
