"""The apps/v1, batch/v1 and autoscaling/v1 declarations: schemas complete
enough for real manifests (checked field by field against the official
client's models too), Kubernetes' defaults, validation messages and the
columns `kubectl get` shows.

`problems` (a walker over a value and its schema) and `client_mismatches`
are shared with test_api_other_groups."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import kubernetes.client.models as client_models
import pytest

import kubelite.api.all  # noqa: F401  (core and meta definitions)
from kubelite.api.apiextensions import jsonschema
from kubelite.api.apps import (
    controllerrevisions,
    daemonsets,
    deployments,
    replicasets,
    statefulsets,
    workload,
)
from kubelite.api.autoscaling import scale
from kubelite.api.batch import cron, cronjobs, jobs
from kubelite.api.resource import Obj, Resource
from kubelite.api.schema import DEFINITIONS, REF_PREFIX, Schema, resolve
from kubelite.api.selectors import to_string

# --- helpers shared with test_api_other_groups ------------------------------------------

_SCHEMA_OR = (jsonschema.OR_ARRAY, jsonschema.OR_BOOL, jsonschema.OR_STRING_ARRAY)
_JSON_TYPES = {"string": str, "boolean": bool, "array": list, "object": dict,
               "integer": int, "number": (int, float)}


def _ref_name(schema: Schema) -> str | None:
    target = schema.get("$ref")
    if target is None and len(schema.get("allOf", ())) == 1:
        target = schema["allOf"][0].get("$ref")
    return target.removeprefix(REF_PREFIX) if target else None


def problems(value: Any, schema: Schema, path: str = "") -> list[str]:
    """Fields of `value` its schema does not declare, and values of the wrong
    type. Follows refs, additionalProperties, int-or-string and
    preserve-unknown-fields, and reads the schema-or-something fields of
    JSONSchemaProps (items, additionalProperties, ...) as schemas."""
    if _ref_name(schema) in _SCHEMA_OR:
        values = value if isinstance(value, list) else [value]
        props = DEFINITIONS[jsonschema.JSON_SCHEMA_PROPS]
        return [p for x in values if isinstance(x, dict) for p in problems(x, props, path)]
    schema = resolve(schema)
    if value is None:
        return []
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, int | str) and not isinstance(value, bool)
        return [] if ok else [f"{path}: not an int or string"]
    kind = schema.get("type")
    if kind in _JSON_TYPES and (not isinstance(value, _JSON_TYPES[kind])
                                or (kind in ("integer", "number") and isinstance(value, bool))):
        return [f"{path}: not of type {kind}"]
    if isinstance(value, list):
        return [p for i, x in enumerate(value)
                for p in problems(x, schema.get("items", {}), f"{path}[{i}]")]
    if not isinstance(value, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    props, extra = schema.get("properties"), schema.get("additionalProperties")
    if props is None and extra is None:
        return []
    out = []
    for key, sub in value.items():
        at = f"{path}.{key}" if path else key
        if props is not None and key in props:
            out += problems(sub, props[key], at)
        elif isinstance(extra, dict):
            out += problems(sub, extra, at)
        else:
            out.append(f"{at}: unknown field")
    return out


def check_manifest(obj: Obj, res: Resource) -> None:
    """The manifest, and the object defaulting makes of it, use only
    declared fields with the declared types."""
    assert problems(obj, DEFINITIONS[res.schema]) == []
    defaulted = copy.deepcopy(obj)
    res.default(defaulted)
    assert problems(defaulted, DEFINITIONS[res.schema]) == []


def definitions(*prefixes: str) -> list[str]:
    return sorted(n for n in DEFINITIONS if n.startswith(prefixes))


def refs_in(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["$ref"]} if isinstance(schema.get("$ref"), str) else set()
        return found.union(*(refs_in(x) for x in schema.values()))
    if isinstance(schema, list):
        return set().union(*(refs_in(x) for x in schema))
    return set()


# Fields the client (generated from a newer Kubernetes) knows that kubelite
# leaves out on purpose.
_LEFT_OUT = {"io.k8s.api.batch.v1.JobSpec": {"scheduling"}}
_CLIENT_TYPES = {"int": "integer", "str": "string", "bool": "boolean", "float": "number",
                 "datetime": "string", "bytes": "string"}


def _client_model(name: str) -> Any:
    group, version, kind = name.rsplit(".", 3)[-3:]
    group = "apiextensions" if "apiextensions" in name else group
    for candidate in (f"{group.capitalize()}{version.capitalize()}{kind}",
                      f"{version.capitalize()}{kind}"):
        if hasattr(client_models, candidate):
            return getattr(client_models, candidate)
    return None


def _coarse(client_type: str) -> str | None:
    if client_type.startswith("List["):
        return "array"
    if client_type.startswith("Dict["):
        return "object"
    if client_type == "object":
        return None  # any JSON, or an int-or-string
    return _CLIENT_TYPES.get(client_type, "object")


def client_mismatches(name: str) -> list[str]:
    """How a definition's fields differ from the official client's model."""
    model = _client_model(name)
    if model is None:
        return []
    theirs = {model.attribute_map[a]: t for a, t in model.openapi_types.items()}
    ours = resolve(DEFINITIONS[name]).get("properties", {})
    out = [f"missing {f}" for f in sorted(set(theirs) - set(ours) - _LEFT_OUT.get(name, set()))]
    out += [f"extra {f}" for f in sorted(set(ours) - set(theirs))]
    for field, client_type in theirs.items():
        want, got = _coarse(client_type), resolve(ours.get(field, {})).get("type")
        if field in ours and want and got and want != got:
            out.append(f"{field}: {got}, client says {want}")
    return out


# --- manifests -----------------------------------------------------------------------

UID = "5f0c8a9e-1b2c-4d3e-8f4a-0123456789ab"


def nginx_deployment() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "nginx"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "50%"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "name": "http"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                }]},
            },
        },
    }


def web_statefulset() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "serviceName": "nginx",
            "replicas": 2,
            "minReadySeconds": 5,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [{
                        "name": "nginx",
                        "image": "registry.k8s.io/nginx-slim:0.24",
                        "ports": [{"containerPort": 80, "name": "web"}],
                        "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}],
                    }],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "www"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard",
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }],
        },
    }


def fluentd_daemonset() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "fluentd", "namespace": "kube-system"},
        "spec": {
            "selector": {"matchLabels": {"name": "fluentd"}},
            "template": {
                "metadata": {"labels": {"name": "fluentd"}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "node-role.kubernetes.io/control-plane",
                                     "operator": "Exists", "effect": "NoSchedule"}],
                    "containers": [{
                        "name": "fluentd",
                        "image": "fluentd:v1.16",
                        "resources": {"limits": {"memory": "200Mi"}},
                        "volumeMounts": [{"name": "varlog", "mountPath": "/var/log"}],
                    }],
                    "volumes": [{"name": "varlog", "hostPath": {"path": "/var/log"}}],
                },
            },
        },
    }


def pi_job() -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi", "namespace": "default", "uid": UID},
        "spec": {
            "backoffLimit": 4,
            "ttlSecondsAfterFinished": 100,
            "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "pi", "image": "perl:5.34.0",
                                "command": ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"]}],
            }},
        },
    }


def hello_cronjob() -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "hello", "namespace": "default"},
        "spec": {
            "schedule": "*/5 * * * *",
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "metadata": {"labels": {"app": "hello"}},
                "spec": {"template": {"spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [{"name": "hello", "image": "busybox:1.36",
                                    "imagePullPolicy": "IfNotPresent",
                                    "command": ["/bin/sh", "-c", "date; echo hi"]}],
                }}},
            },
        },
    }


def defaulted(make: Any, res: Resource) -> Obj:
    obj = make()
    res.default(obj)
    return obj


def causes(res: Resource, obj: Obj, old: Obj | None = None) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in res.validate(obj, old)]


def cells(res: Resource, obj: Obj) -> dict[str, Any]:
    return {c.name: c.value(obj) for c in res.columns}


# --- schemas -------------------------------------------------------------------------

MINE = ("io.k8s.api.apps.v1.", "io.k8s.api.batch.v1.", "io.k8s.api.autoscaling.v1.")


def test_every_reference_resolves() -> None:
    for name in definitions(*MINE):
        for target in refs_in(DEFINITIONS[name]):
            assert target.removeprefix(REF_PREFIX) in DEFINITIONS, (name, target)


@pytest.mark.parametrize("name", definitions(*MINE))
def test_fields_match_the_official_client(name: str) -> None:
    assert client_mismatches(name) == []


@pytest.mark.parametrize("make,res", [
    (nginx_deployment, deployments.RESOURCE),
    (web_statefulset, statefulsets.RESOURCE),
    (fluentd_daemonset, daemonsets.RESOURCE),
    (pi_job, jobs.RESOURCE),
    (hello_cronjob, cronjobs.RESOURCE),
])
def test_real_manifests_use_only_declared_fields(make: Any, res: Resource) -> None:
    check_manifest(make(), res)


def test_walker_reports_unknown_and_mistyped_fields() -> None:
    bad = nginx_deployment()
    bad["spec"]["replica"] = 2
    bad["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"
    assert sorted(problems(bad, DEFINITIONS[deployments.DEPLOYMENT])) == [
        "spec.replica: unknown field",
        "spec.template.spec.containers[0].ports[0].containerPort: not of type integer",
    ]


def test_strategic_merge_facts() -> None:
    spec = DEFINITIONS["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]
    assert spec["strategy"]["x-kubernetes-patch-strategy"] == "retainKeys"
    conditions = DEFINITIONS["io.k8s.api.apps.v1.DeploymentStatus"]["properties"]["conditions"]
    assert conditions["x-kubernetes-patch-merge-key"] == "type"
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]
    job_conditions = DEFINITIONS["io.k8s.api.batch.v1.JobStatus"]["properties"]["conditions"]
    assert job_conditions["x-kubernetes-list-type"] == "atomic"


def test_scale_schema() -> None:
    assert DEFINITIONS[scale.PREFIX + "Scale"]["x-kubernetes-group-version-kind"] == [
        {"group": "autoscaling", "version": "v1", "kind": "Scale"}]
    assert DEFINITIONS[scale.PREFIX + "ScaleStatus"]["required"] == ["replicas"]


def test_resource_declarations() -> None:
    found = {r.plural: r for r in (deployments.RESOURCE, replicasets.RESOURCE,
                                   statefulsets.RESOURCE, daemonsets.RESOURCE,
                                   controllerrevisions.RESOURCE, jobs.RESOURCE,
                                   cronjobs.RESOURCE)}
    assert {p: r.short_names for p, r in found.items()} == {
        "deployments": ("deploy",), "replicasets": ("rs",), "statefulsets": ("sts",),
        "daemonsets": ("ds",), "controllerrevisions": (), "jobs": (), "cronjobs": ("cj",)}
    assert {p for p, r in found.items() if r.categories == ("all",)} == {
        "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"}
    assert {p for p, r in found.items() if r.scale} == {
        "deployments", "replicasets", "statefulsets"}
    assert all(r.scale.label_selector == "spec.selector" for r in found.values() if r.scale)
    assert {p for p, r in found.items() if r.status_subresource} == set(found) - {
        "controllerrevisions"}


# --- label selectors -----------------------------------------------------------------


def test_selector_text_and_matching() -> None:
    selector = {"matchLabels": {"tier": "web", "app": "shop"},
                "matchExpressions": [
                    {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                    {"key": "app", "operator": "Exists"},
                    {"key": "canary", "operator": "DoesNotExist"},
                    {"key": "zone", "operator": "NotIn", "values": ["b"]}]}
    assert to_string(selector) == (
        "app=shop,app,!canary,env in (dev,prod),tier=web,zone notin (b)")
    assert to_string({}) == ""
    labels = {"app": "shop", "tier": "web", "env": "prod"}
    assert workload.selector_matches(selector, labels)
    assert not workload.selector_matches(selector, {**labels, "canary": "1"})
    assert not workload.selector_matches(selector, {**labels, "zone": "b"})
    assert workload.selector_matches({}, {})
    assert not workload.selector_matches(None, labels)


# --- Deployment ----------------------------------------------------------------------


def test_deployment_defaults() -> None:
    d = {"metadata": {"name": "x"}, "spec": {
        "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}},
                     "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    deployments.default(d)
    spec = d["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_deployment_recreate_gets_no_rolling_update() -> None:
    d = nginx_deployment()
    d["spec"]["strategy"] = {"type": "Recreate"}
    deployments.default(d)
    assert d["spec"]["strategy"] == {"type": "Recreate"}
    assert causes(deployments.RESOURCE, d) == []


def test_valid_deployment() -> None:
    assert causes(deployments.RESOURCE, defaulted(nginx_deployment, deployments.RESOURCE)) == []


def test_deployment_selector_must_match_template() -> None:
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    d["spec"]["template"]["metadata"]["labels"] = {"app": "apache"}
    assert causes(deployments.RESOURCE, d) == [(
        "spec.template.metadata.labels",
        'Invalid value: {"app":"apache"}: `selector` does not match template `labels`')]


def test_deployment_selector_required_and_not_empty() -> None:
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    del d["spec"]["selector"]
    assert causes(deployments.RESOURCE, d) == [("spec.selector", "Required value")]
    d["spec"]["selector"] = {}
    assert causes(deployments.RESOURCE, d) == [
        ("spec.selector", "Invalid value: {}: empty selector is invalid for deployment")]


def test_deployment_field_checks() -> None:
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    d["spec"]["replicas"] = -1
    d["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": 0, "maxSurge": "0%"}
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert causes(deployments.RESOURCE, d) == [
        ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.template.spec.restartPolicy",
         'Unsupported value: "Never": supported values: "Always"'),
        ("spec.strategy.rollingUpdate.maxUnavailable",
         "Invalid value: 0: may not be 0 when `maxSurge` is 0"),
    ]
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    d["spec"]["strategy"] = {"type": "Canary"}
    d["spec"]["strategy"]["rollingUpdate"] = None
    d["spec"]["progressDeadlineSeconds"] = 5
    d["spec"]["minReadySeconds"] = 10
    assert causes(deployments.RESOURCE, d) == [
        ("spec.strategy.type",
         'Unsupported value: "Canary": supported values: "Recreate", "RollingUpdate"'),
        ("spec.progressDeadlineSeconds", "Invalid value: 5: must be greater than minReadySeconds"),
    ]


def test_deployment_rolling_update_values() -> None:
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    d["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": "120%", "maxSurge": "lots"}
    assert [f for f, _ in causes(deployments.RESOURCE, d)] == [
        "spec.strategy.rollingUpdate.maxSurge", "spec.strategy.rollingUpdate.maxUnavailable"]
    d["spec"]["strategy"] = {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}
    assert causes(deployments.RESOURCE, d) == [(
        "spec.strategy.rollingUpdate",
        "Forbidden: may not be specified when strategy `type` is 'Recreate'")]


def test_deployment_selector_is_immutable() -> None:
    old = defaulted(nginx_deployment, deployments.RESOURCE)
    new = copy.deepcopy(old)
    new["spec"]["selector"]["matchLabels"]["tier"] = "front"
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert causes(deployments.RESOURCE, new, old) == [(
        "spec.selector",
        'Invalid value: {"matchLabels":{"app":"nginx","tier":"front"}}: field is immutable')]
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    assert causes(deployments.RESOURCE, new, old) == []


def test_deployment_columns() -> None:
    d = defaulted(nginx_deployment, deployments.RESOURCE)
    d["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    d["status"] = {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3,
                   "availableReplicas": 2}
    assert cells(deployments.RESOURCE, d) == {
        "Name": "nginx", "Ready": "2/3", "Up-to-date": 3, "Available": 2,
        "Age": "2024-05-01T10:00:00Z", "Containers": "nginx", "Images": "nginx:1.27",
        "Selector": "app=nginx"}
    assert [c.name for c in deployments.RESOURCE.columns if c.priority == 1] == [
        "Containers", "Images", "Selector"]
    del d["status"]
    assert cells(deployments.RESOURCE, d)["Ready"] == "0/3"


# --- ReplicaSet ----------------------------------------------------------------------


def nginx_replicaset() -> Obj:
    rs = nginx_deployment()
    rs["kind"] = "ReplicaSet"
    del rs["spec"]["strategy"]
    return rs


def test_replicaset() -> None:
    check_manifest(nginx_replicaset(), replicasets.RESOURCE)
    rs = nginx_replicaset()
    del rs["spec"]["replicas"]
    replicasets.default(rs)
    assert rs["spec"]["replicas"] == 1
    assert causes(replicasets.RESOURCE, rs) == []
    rs["status"] = {"replicas": 1, "readyReplicas": 1}
    assert [cells(replicasets.RESOURCE, rs)[k] for k in ("Desired", "Current", "Ready")] == [
        1, 1, 1]
    assert replicasets.RESOURCE.field_selectors["status.replicas"](rs) == "1"
    old = copy.deepcopy(rs)
    rs["spec"]["selector"] = {"matchLabels": {"app": "nginx", "x": "y"}}
    rs["spec"]["template"]["metadata"]["labels"]["x"] = "y"
    assert [f for f, _ in causes(replicasets.RESOURCE, rs, old)] == ["spec.selector"]


# --- StatefulSet ---------------------------------------------------------------------


def test_statefulset_defaults() -> None:
    s = defaulted(web_statefulset, statefulsets.RESOURCE)
    spec = s["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                            "whenScaled": "Retain"}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["replicas"] == 2
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert claim["status"] == {"phase": "Pending"}
    assert causes(statefulsets.RESOURCE, s) == []
    on_delete = web_statefulset()
    on_delete["spec"]["updateStrategy"] = {"type": "OnDelete"}
    statefulsets.default(on_delete)
    assert on_delete["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_statefulset_validation() -> None:
    s = defaulted(web_statefulset, statefulsets.RESOURCE)
    s["spec"]["podManagementPolicy"] = "Random"
    s["spec"]["updateStrategy"] = {"type": "OnDelete", "rollingUpdate": {"partition": 1}}
    s["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] = "Keep"
    s["spec"]["selector"] = {}
    assert causes(statefulsets.RESOURCE, s) == [
        ("spec.podManagementPolicy",
         "Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"),
        ("spec.updateStrategy.rollingUpdate",
         "Invalid value: {\"partition\":1}: only allowed for updateStrategy 'RollingUpdate'"),
        ("spec.persistentVolumeClaimRetentionPolicy.whenScaled",
         'Unsupported value: "Keep": supported values: "Retain", "Delete"'),
        ("spec.selector", "Invalid value: {}: empty selector is invalid for statefulset"),
    ]


def test_statefulset_updates_only_some_fields() -> None:
    old = defaulted(web_statefulset, statefulsets.RESOURCE)
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    new["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 2
    assert causes(statefulsets.RESOURCE, new, old) == []
    new["spec"]["serviceName"] = "other"
    assert causes(statefulsets.RESOURCE, new, old) == [(
        "spec",
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
        "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        "'minReadySeconds' are forbidden")]


def test_statefulset_columns() -> None:
    s = defaulted(web_statefulset, statefulsets.RESOURCE)
    s["status"] = {"replicas": 2, "readyReplicas": 1}
    assert [c.name for c in statefulsets.RESOURCE.columns] == [
        "Name", "Ready", "Age", "Containers", "Images"]
    assert cells(statefulsets.RESOURCE, s)["Ready"] == "1/2"
    assert cells(statefulsets.RESOURCE, s)["Images"] == "registry.k8s.io/nginx-slim:0.24"


# --- DaemonSet -----------------------------------------------------------------------


def test_daemonset_defaults_and_validation() -> None:
    ds = defaulted(fluentd_daemonset, daemonsets.RESOURCE)
    assert ds["spec"]["updateStrategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10
    assert causes(daemonsets.RESOURCE, ds) == []
    ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = "0%"
    ds["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 30
    assert causes(daemonsets.RESOURCE, ds) == [
        ("spec.template.spec.activeDeadlineSeconds",
         "Invalid value: 30: activeDeadlineSeconds must be nil for daemonset"),
        ("spec.updateStrategy.rollingUpdate.maxUnavailable",
         'Invalid value: "0%": may not be 0 when `maxSurge` is 0'),
    ]


def test_daemonset_columns() -> None:
    ds = defaulted(fluentd_daemonset, daemonsets.RESOURCE)
    ds["status"] = {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                    "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0}
    assert [c.name for c in daemonsets.RESOURCE.columns] == [
        "Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector",
        "Age", "Containers", "Images", "Selector"]
    row = cells(daemonsets.RESOURCE, ds)
    assert [row["Desired"], row["Current"], row["Ready"], row["Up-to-date"],
            row["Available"]] == [3, 3, 2, 3, 2]
    assert row["Node Selector"] == "kubernetes.io/os=linux"
    assert row["Selector"] == "name=fluentd"
    del ds["spec"]["template"]["spec"]["nodeSelector"]
    assert cells(daemonsets.RESOURCE, ds)["Node Selector"] == "<none>"


# --- ControllerRevision --------------------------------------------------------------


def test_controller_revision() -> None:
    rev = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
           "metadata": {"name": "web-7b9f", "namespace": "default", "ownerReferences": [
               {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                "uid": UID, "controller": True}]},
           "data": {"spec": {"template": {"$patch": "replace"}}}, "revision": 2}
    check_manifest(rev, controllerrevisions.RESOURCE)
    assert causes(controllerrevisions.RESOURCE, rev) == []
    assert cells(controllerrevisions.RESOURCE, rev)["Controller"] == "statefulset.apps/web"
    assert cells(controllerrevisions.RESOURCE, rev)["Revision"] == 2
    changed = {**rev, "data": {"spec": {}}}
    assert causes(controllerrevisions.RESOURCE, changed, rev) == [
        ("data", 'Invalid value: {"spec":{}}: field is immutable')]
    assert causes(controllerrevisions.RESOURCE, {**rev, "data": None}) == [
        ("data", "Required value: data is mandatory")]


# --- Job -----------------------------------------------------------------------------


def test_job_defaults_generate_the_selector() -> None:
    job = defaulted(pi_job, jobs.RESOURCE)
    spec = job["spec"]
    generated = {"batch.kubernetes.io/controller-uid": UID, "batch.kubernetes.io/job-name": "pi",
                 "controller-uid": UID, "job-name": "pi"}
    assert spec["template"]["metadata"]["labels"] == generated
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}}
    assert job["metadata"]["labels"] == generated
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 4)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert "manualSelector" not in spec
    assert causes(jobs.RESOURCE, job) == []


def test_job_defaults_by_kubernetes_rules() -> None:
    job = pi_job()
    job["spec"].update(parallelism=3, backoffLimitPerIndex=1, completionMode="Indexed",
                       completions=6)
    del job["spec"]["backoffLimit"]
    job["spec"]["podFailurePolicy"] = {"rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}
    jobs.default(job)
    spec = job["spec"]
    assert (spec["parallelism"], spec["completions"], spec["backoffLimit"]) == (3, 6, 2**31 - 1)
    assert spec["podReplacementPolicy"] == "Failed"
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["status"] == "True"
    assert causes(jobs.RESOURCE, job) == []
    only_parallel = pi_job()
    only_parallel["spec"]["parallelism"] = 2
    jobs.default(only_parallel)
    assert "completions" not in only_parallel["spec"]


def test_job_restart_policy() -> None:
    job = pi_job()
    del job["spec"]["template"]["spec"]["restartPolicy"]
    jobs.default(job)
    assert causes(jobs.RESOURCE, job) == [(
        "spec.template.spec.restartPolicy", 'Required value: valid values: "OnFailure", "Never"')]
    job["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes"
    assert (
        "spec.template.spec.restartPolicy",
        'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"',
    ) in causes(jobs.RESOURCE, job)


def test_job_selector_checks() -> None:
    job = defaulted(pi_job, jobs.RESOURCE)
    job["spec"]["selector"]["matchLabels"]["extra"] = "x"
    job["spec"]["template"]["metadata"]["labels"]["extra"] = "x"
    assert causes(jobs.RESOURCE, job) == [(
        "spec.selector",
        'Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"' + UID
        + '","extra":"x"}}: `selector` not auto-generated')]
    manual = pi_job()
    manual["spec"]["manualSelector"] = True
    manual["spec"]["selector"] = {"matchLabels": {"app": "pi"}}
    jobs.default(manual)
    assert "labels" not in manual["metadata"]
    assert causes(jobs.RESOURCE, manual) == [
        ("spec.template.metadata.labels",
         "Invalid value: {}: `selector` does not match template `labels`")]


def test_job_field_checks() -> None:
    job = defaulted(pi_job, jobs.RESOURCE)
    job["spec"].update(completionMode="Sometimes", backoffLimit=-1)
    assert causes(jobs.RESOURCE, job) == [
        ("spec.backoffLimit", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.completionMode",
         'Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'),
    ]
    job = defaulted(pi_job, jobs.RESOURCE)
    job["spec"].update(completionMode="Indexed", completions=None)
    job["spec"]["podFailurePolicy"] = {"rules": [{"action": "FailJob", "onExitCodes": {
        "operator": "In", "values": [0, 3, 2]}}]}
    assert causes(jobs.RESOURCE, job) == [
        ("spec.completions", "Required value: when completion mode is Indexed"),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values[0]",
         "Invalid value: 0: must not be 0 for the In operator"),
        ("spec.podFailurePolicy.rules[0].onExitCodes.values[2]",
         "Invalid value: 2: must be ordered"),
        ("spec.podReplacementPolicy",
         'Unsupported value: "TerminatingOrFailed": supported values: "Failed"'),
    ]


def test_job_template_is_immutable() -> None:
    old = defaulted(pi_job, jobs.RESOURCE)
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "perl:5.40"
    assert [(f, m.endswith("field is immutable")) for f, m in causes(jobs.RESOURCE, new, old)] \
        == [("spec.template", True)]
    new = copy.deepcopy(old)
    new["spec"]["parallelism"] = 4
    new["spec"]["suspend"] = True
    assert causes(jobs.RESOURCE, new, old) == []


def test_suspended_job_may_change_scheduling() -> None:
    old = defaulted(pi_job, jobs.RESOURCE)
    old["spec"]["suspend"] = True
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    assert causes(jobs.RESOURCE, new, old) == []
    old["status"] = {"startTime": "2024-05-01T10:00:00Z"}
    assert [f for f, _ in causes(jobs.RESOURCE, new, old)] == ["spec.template"]


def test_job_columns() -> None:
    job = defaulted(pi_job, jobs.RESOURCE)
    assert cells(jobs.RESOURCE, job)["Status"] == "Running"
    assert cells(jobs.RESOURCE, job)["Completions"] == "0/1"
    assert cells(jobs.RESOURCE, job)["Duration"] == ""
    job["status"] = {"startTime": "2024-05-01T10:00:00Z", "succeeded": 1,
                     "completionTime": "2024-05-01T10:01:05Z",
                     "conditions": [{"type": "Complete", "status": "True"}]}
    row = cells(jobs.RESOURCE, job)
    assert (row["Status"], row["Completions"], row["Duration"]) == (
        "Complete", "1/1", timedelta(seconds=65))
    assert row["Selector"] == f"batch.kubernetes.io/controller-uid={UID}"
    del job["status"]["completionTime"]
    job["status"]["conditions"] = [{"type": "Suspended", "status": "True"}]
    assert cells(jobs.RESOURCE, job)["Duration"] == "2024-05-01T10:00:00Z"
    assert cells(jobs.RESOURCE, job)["Status"] == "Suspended"
    job["spec"].update(completions=None, parallelism=3)
    assert cells(jobs.RESOURCE, job)["Completions"] == "1/1 of 3"
    assert jobs.RESOURCE.field_selectors["status.successful"](job) == "1"


# --- CronJob -------------------------------------------------------------------------


def test_cronjob_defaults() -> None:
    cj = defaulted(hello_cronjob, cronjobs.RESOURCE)
    spec = cj["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Forbid", False, 3, 1)
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["dnsPolicy"] == "ClusterFirst"
    assert "backoffLimit" not in spec["jobTemplate"]["spec"]
    assert causes(cronjobs.RESOURCE, cj) == []


def test_cronjob_validation() -> None:
    cj = defaulted(hello_cronjob, cronjobs.RESOURCE)
    cj["metadata"]["name"] = "n" * 53
    cj["spec"].update(schedule="61 * * * *", concurrencyPolicy="Sometimes",
                      timeZone="Mars/Olympus")
    cj["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    assert causes(cronjobs.RESOURCE, cj) == [
        ("metadata.name", f'Invalid value: "{"n" * 53}": must be no more than 52 characters'),
        ("spec.schedule",
         'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'),
        ("spec.concurrencyPolicy",
         'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'),
        ("spec.jobTemplate.spec.selector",
         'Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated'),
        ("spec.timeZone", 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'),
    ]
    cj = defaulted(hello_cronjob, cronjobs.RESOURCE)
    cj["spec"]["schedule"] = ""
    cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert causes(cronjobs.RESOURCE, cj) == [
        ("spec.schedule", "Required value"),
        ("spec.jobTemplate.spec.template.spec.restartPolicy",
         'Required value: valid values: "OnFailure", "Never"'),
    ]
    cj["spec"]["schedule"] = "CRON_TZ=UTC 0 * * * *"
    assert causes(cronjobs.RESOURCE, cj)[0] == (
        "spec.schedule", 'Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ '
        "in schedule, use timeZone field instead")


def test_cronjob_columns() -> None:
    cj = defaulted(hello_cronjob, cronjobs.RESOURCE)
    row = cells(cronjobs.RESOURCE, cj)
    assert [c.name for c in cronjobs.RESOURCE.columns] == [
        "Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age",
        "Containers", "Images", "Selector"]
    assert (row["Schedule"], row["Timezone"], row["Suspend"], row["Active"],
            row["Last Schedule"], row["Selector"]) == (
        "*/5 * * * *", "Etc/UTC", "False", 0, "<none>", "<none>")
    cj["status"] = {"active": [{"kind": "Job", "name": "hello-1"}],
                    "lastScheduleTime": "2024-05-01T10:00:00Z"}
    row = cells(cronjobs.RESOURCE, cj)
    assert (row["Active"], row["Last Schedule"]) == (1, "2024-05-01T10:00:00Z")


@pytest.mark.parametrize("schedule,error", [
    ("*/15 9-17 * * mon-fri", None),
    ("0 0 1,15 jan,Jul ?", None),
    ("@daily", None),
    ("@every 1h30m", None),
    ("5/10 * * * *", None),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("0 24 * * *", "end of range (24) above maximum (23): 24"),
    ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("10-5 * * * *", "beginning of range (10) beyond end of range (5): 10-5"),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'),
])
def test_cron_schedules(schedule: str, error: str | None) -> None:
    assert cron.schedule_error(schedule) == error


def test_cron_parse_gives_the_times() -> None:
    assert cron.parse("5/20 3 * * sun") == (
        {5, 25, 45}, {3}, set(range(1, 32)), set(range(1, 13)), {0})
