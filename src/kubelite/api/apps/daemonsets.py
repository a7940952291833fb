"""apps/v1 DaemonSet: one pod on every (selected) node, with a status
subresource."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apps.workload import (
    condition_schema,
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
from kubelite.api.meta import AGE_COLUMN, LABEL_SELECTOR, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, define, int_or_string, integer, obj, ref, string

APPS = "io.k8s.api.apps.v1."
DAEMON_SET = APPS + "DaemonSet"
UPDATE_STRATEGY_TYPES = ("OnDelete", "RollingUpdate")

define(APPS + "RollingUpdateDaemonSet", obj(
    "How fast a DaemonSet rolling update replaces pods.",
    {
        "maxUnavailable": int_or_string(
            "How many nodes (or what percentage of them, rounded up) may be without a "
            "ready pod during the update; 1 by default."),
        "maxSurge": int_or_string(
            "How many nodes (or what percentage of them, rounded up) may run an old and "
            "a new pod at once during the update; 0 by default. Not 0 when "
            "maxUnavailable is 0."),
    },
))

define(APPS + "DaemonSetUpdateStrategy", obj(
    "How the controller updates pods when the template changes.",
    {
        "type": string("RollingUpdate (the default) or OnDelete (update a pod only "
                       "when it is deleted).", enum=list(UPDATE_STRATEGY_TYPES)),
        "rollingUpdate": ref(APPS + "RollingUpdateDaemonSet",
                             "Parameters of a RollingUpdate; only with that type."),
    },
))

define(APPS + "DaemonSetSpec", obj(
    "The desired state of a DaemonSet.",
    {
        "selector": ref(LABEL_SELECTOR, "Selects the pods this DaemonSet owns; must "
                                        "match the template's labels. Immutable."),
        "template": ref(POD_TEMPLATE_SPEC, "The pod to run on each node its node "
                                           "selector and affinity allow."),
        "updateStrategy": ref(APPS + "DaemonSetUpdateStrategy",
                              "How pods are replaced when the template changes."),
        "minReadySeconds": integer("Seconds a new pod must be ready, without any "
                                   "container crashing, to count as available."),
        "revisionHistoryLimit": integer("How many old revisions to keep; 10 by "
                                        "default."),
    },
    required=("selector", "template"),
))

define(APPS + "DaemonSetCondition", condition_schema("DaemonSet"))

define(APPS + "DaemonSetStatus", obj(
    "The observed state of a DaemonSet.",
    {
        "currentNumberScheduled": integer("Nodes running a daemon pod that should."),
        "numberMisscheduled": integer("Nodes running a daemon pod that should not."),
        "desiredNumberScheduled": integer("Nodes that should run a daemon pod."),
        "numberReady": integer("Nodes whose daemon pod is ready."),
        "observedGeneration": integer("The generation the controller last acted on.",
                                      format="int64"),
        "updatedNumberScheduled": integer("Nodes running the current template."),
        "numberAvailable": integer("Nodes whose daemon pod has been ready for "
                                   "minReadySeconds."),
        "numberUnavailable": integer("Nodes that should run an available daemon pod "
                                     "and do not."),
        "collisionCount": integer("Counts hash collisions of revision names."),
        "conditions": array(ref(APPS + "DaemonSetCondition"), "Current conditions.",
                            merge_key="type", strategy="merge", list_type="map",
                            map_keys=("type",)),
    },
    required=("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled",
              "numberReady"),
))

define(DAEMON_SET, top_level(
    "Runs a copy of a pod on every node, or on the nodes selected.",
    {
        "spec": ref(APPS + "DaemonSetSpec", "The desired state."),
        "status": ref(APPS + "DaemonSetStatus", "The observed state; read only."),
    },
), gvk=("apps", "v1", "DaemonSet"))


def default(daemon_set: Obj) -> None:
    spec = fill(daemon_set, "spec", {})
    strategy = fill(spec, "updateStrategy", {})
    if fill(strategy, "type", "RollingUpdate") == "RollingUpdate":
        rolling = fill(strategy, "rollingUpdate", {})
        fill(rolling, "maxUnavailable", 1)
        fill(rolling, "maxSurge", 0)
    fill(spec, "revisionHistoryLimit", 10)
    default_pod_template(fill(spec, "template", {}))


def _validate_update_strategy(strategy: Obj, path: str) -> list[Cause]:
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "OnDelete":
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return [v.required(f"{path}.rollingUpdate")]
        return validate_surge_and_unavailable(rolling, f"{path}.rollingUpdate")
    return v.one_of(f"{path}.type", kind, UPDATE_STRATEGY_TYPES)


def validate(daemon_set: Obj, old: Obj | None) -> list[Cause]:
    spec = spec_of(daemon_set)
    causes = validate_selector_and_template(spec, "spec", "daemonset")
    causes += restarts_always(spec, "spec", "DaemonSet")
    causes += non_negative_fields(spec, "spec", "minReadySeconds", "revisionHistoryLimit")
    causes += _validate_update_strategy(spec.get("updateStrategy") or {},
                                        "spec.updateStrategy")
    if old is not None:
        causes += v.unchanged("spec.selector", spec.get("selector"),
                              spec_of(old).get("selector"))
    return causes


def _node_selector(d: Obj) -> str:
    template = spec_of(d).get("template") or {}
    selector = (template.get("spec") or {}).get("nodeSelector") or {}
    return ",".join(f"{k}={selector[k]}" for k in sorted(selector)) or "<none>"


RESOURCE = register(Resource(
    group="apps",
    version="v1",
    kind="DaemonSet",
    plural="daemonsets",
    namespaced=True,
    schema=DAEMON_SET,
    short_names=("ds",),
    categories=("all",),
    status_subresource=True,
    # The four counters of DaemonSetStatus without omitempty.
    zero_status={"currentNumberScheduled": 0, "numberMisscheduled": 0,
                 "desiredNumberScheduled": 0, "numberReady": 0},
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Desired", lambda d: status_of(d).get("desiredNumberScheduled", 0),
               type="integer", description="Nodes that should run the pod."),
        Column("Current", lambda d: status_of(d).get("currentNumberScheduled", 0),
               type="integer", description="Nodes running the pod."),
        Column("Ready", lambda d: status_of(d).get("numberReady", 0), type="integer",
               description="Nodes whose pod is ready."),
        Column("Up-to-date", lambda d: status_of(d).get("updatedNumberScheduled", 0),
               type="integer", description="Nodes running the current template."),
        Column("Available", lambda d: status_of(d).get("numberAvailable", 0),
               type="integer", description="Nodes whose pod is available."),
        Column("Node Selector", _node_selector,
               description="The node selector of the pod template."),
        AGE_COLUMN,
        *template_columns(lambda d: spec_of(d).get("template"),
                          lambda d: spec_of(d).get("selector")),
    ),
))
