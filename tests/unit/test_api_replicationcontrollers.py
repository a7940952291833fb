"""The core/v1 ReplicationController declaration: its definitions against the
official client's models, Kubernetes' defaults (replicas, the selector and
labels from the template, the pod template's own), validation messages and
paths, the `kubectl get rc` cells, the status.replicas field selector, and
the Scale view, whose selector is the label map written as "a=b,c=d"."""

from __future__ import annotations

import copy

import pytest

import kubelite.api.all  # noqa: F401  (core and meta definitions)
from kubelite.api.apps import replicasets
from kubelite.api.core import replicationcontrollers as rcs
from kubelite.api.core.pods import default_pod_template
from kubelite.api.resource import REGISTRY, Obj
from kubelite.api.schema import DEFINITIONS, REF_PREFIX, resolve
from kubelite.apiserver.subresources import scale_of
from tests.unit.test_api_workloads import (
    causes,
    cells,
    check_manifest,
    client_mismatches,
    nginx_replicaset,
    refs_in,
)

RC = rcs.RESOURCE
CORE = "io.k8s.api.core.v1."
NAMES = [CORE + "ReplicationController" + suffix
         for suffix in ("", "Spec", "Status", "Condition")]


def nginx_rc() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"app": "nginx"},
            "template": {
                "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
                "spec": {"containers": [{
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80}],
                }]},
            },
        },
    }


def defaulted(rc: Obj | None = None) -> Obj:
    rc = nginx_rc() if rc is None else rc
    RC.default(rc)
    return rc


# --- schema --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_fields_match_the_official_client(name: str) -> None:
    assert name in DEFINITIONS
    assert client_mismatches(name) == []


def test_every_reference_resolves_and_the_manifest_fits() -> None:
    for name in NAMES:
        for target in refs_in(DEFINITIONS[name]):
            assert target.removeprefix(REF_PREFIX) in DEFINITIONS, (name, target)
    check_manifest(nginx_rc(), RC)


def test_schema_facts() -> None:
    assert DEFINITIONS[RC.schema]["x-kubernetes-group-version-kind"] == [
        {"group": "", "version": "v1", "kind": "ReplicationController"}]
    spec = resolve(DEFINITIONS[CORE + "ReplicationControllerSpec"])
    assert "required" not in spec  # selector and template are checked, not required
    selector = spec["properties"]["selector"]
    assert selector["type"] == "object"
    assert selector["additionalProperties"] == {"type": "string"}
    assert selector["x-kubernetes-map-type"] == "atomic"
    status = DEFINITIONS[CORE + "ReplicationControllerStatus"]
    assert status["required"] == ["replicas"]
    assert status["properties"]["observedGeneration"]["format"] == "int64"
    conditions = status["properties"]["conditions"]
    assert conditions["x-kubernetes-patch-merge-key"] == "type"
    assert conditions["x-kubernetes-patch-strategy"] == "merge"
    assert DEFINITIONS[CORE + "ReplicationControllerCondition"]["required"] == [
        "type", "status"]


def test_resource_declaration() -> None:
    assert REGISTRY[("", "v1", "replicationcontrollers")] is RC
    assert (RC.kind, RC.singular, RC.namespaced, RC.short_names, RC.categories) == (
        "ReplicationController", "replicationcontroller", True, ("rc",), ("all",))
    assert RC.status_subresource and RC.scale is not None
    assert RC.scale.spec_replicas == "spec.replicas"
    assert RC.scale.label_selector == "spec.selector"
    assert RC.zero_status == {"replicas": 0}
    assert RC.key_prefix("default") == "/registry/replicationcontrollers/default/"


# --- defaults ------------------------------------------------------------------------


def test_defaults() -> None:
    rc = nginx_rc()
    del rc["spec"]["replicas"]
    del rc["spec"]["selector"]
    RC.default(rc)
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["selector"] == {"app": "nginx"}
    assert rc["metadata"]["labels"] == {"app": "nginx"}
    template = nginx_rc()["spec"]["template"]
    default_pod_template(template)
    assert rc["spec"]["template"] == template
    pod = rc["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert pod["containers"][0]["ports"][0]["protocol"] == "TCP"
    # The defaulted copies are copies: changing one label map leaves the others.
    rc["spec"]["selector"]["x"] = "y"
    assert rc["metadata"]["labels"] == {"app": "nginx"}


def test_defaults_keep_what_is_set() -> None:
    rc = nginx_rc()
    rc["spec"]["replicas"] = 0
    rc["metadata"]["labels"] = {"owner": "me"}
    rc["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    RC.default(rc)
    assert rc["spec"]["replicas"] == 0
    assert rc["spec"]["selector"] == {"app": "nginx"}
    assert rc["metadata"]["labels"] == {"owner": "me"}
    # An empty selector and empty labels count as unset.
    rc["spec"]["selector"], rc["metadata"]["labels"] = {}, {}
    RC.default(rc)
    assert rc["spec"]["selector"] == rc["metadata"]["labels"] == {"app": "nginx",
                                                                  "tier": "front"}


def test_without_a_template_only_replicas_default() -> None:
    rc = {"metadata": {"name": "x"}, "spec": {}}
    RC.default(rc)
    assert rc == {"metadata": {"name": "x"}, "spec": {"replicas": 1}}
    rc = {"metadata": {"name": "x"}}
    RC.default(rc)
    assert rc["spec"] == {"replicas": 1}


# --- validation ----------------------------------------------------------------------


def test_valid() -> None:
    assert causes(RC, defaulted()) == []


def test_selector_must_match_template_labels() -> None:
    rc = defaulted()
    rc["spec"]["template"]["metadata"]["labels"] = {"app": "apache"}
    assert causes(RC, rc) == [(
        "spec.template.metadata.labels",
        'Invalid value: {"app":"apache"}: `selector` does not match template `labels`')]
    # Every pair of the selector must be in the labels; more labels are fine.
    rc["spec"]["selector"] = {"app": "apache", "tier": "front"}
    assert [f for f, _ in causes(RC, rc)] == ["spec.template.metadata.labels"]
    rc["spec"]["template"]["metadata"]["labels"].update(tier="front", track="stable")
    assert causes(RC, rc) == []


def test_selector_and_template_are_required() -> None:
    rc = defaulted()
    rc["spec"]["selector"] = {}
    assert causes(RC, rc) == [("spec.selector", "Required value")]
    del rc["spec"]["selector"]
    assert causes(RC, rc) == [("spec.selector", "Required value")]
    rc = defaulted({"metadata": {"name": "x"}, "spec": {}})
    assert causes(RC, rc) == [("spec.selector", "Required value"),
                              ("spec.template", "Required value")]


def test_field_checks_in_kubernetes_order() -> None:
    rc = defaulted()
    rc["spec"].update(replicas=-1, minReadySeconds=-2)
    rc["spec"]["template"]["spec"].update(restartPolicy="OnFailure", activeDeadlineSeconds=30)
    del rc["spec"]["template"]["spec"]["containers"][0]["image"]
    assert causes(RC, rc) == [
        ("spec.minReadySeconds", "Invalid value: -2: must be greater than or equal to 0"),
        ("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.template.spec.containers[0].image", "Required value"),
        ("spec.template.spec.restartPolicy",
         'Unsupported value: "OnFailure": supported values: "Always"'),
        ("spec.template.spec.activeDeadlineSeconds",
         "Forbidden: activeDeadlineSeconds in ReplicationController is not Supported"),
    ]


def test_template_labels_are_checked_as_labels() -> None:
    rc = defaulted()
    rc["spec"]["selector"] = {"bad key": "x"}
    rc["spec"]["template"]["metadata"]["labels"] = {"bad key": "x"}
    # The selector matches; only the labels are wrong (the selector itself
    # is not checked, as Kubernetes does not check it either).
    assert [f for f, _ in causes(RC, rc)] == ["spec.template.metadata.labels"]


def test_the_selector_may_change() -> None:
    old = defaulted()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"app": "nginx", "tier": "front"}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    assert causes(RC, new, old) == []


@pytest.mark.parametrize("make,res", [(nginx_rc, RC),
                                      (nginx_replicaset, replicasets.RESOURCE)])
def test_status_counts(make, res) -> None:
    obj = make()
    res.default(obj)
    obj["status"] = {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2,
                     "availableReplicas": 2, "observedGeneration": 1}
    assert causes(res, obj) == []
    obj["status"] = {"replicas": 1, "fullyLabeledReplicas": 2, "readyReplicas": 2,
                     "availableReplicas": 3, "observedGeneration": -1}
    assert causes(res, obj) == [
        ("status.observedGeneration", "Invalid value: -1: must be greater than or equal to 0"),
        ("status.fullyLabeledReplicas", "Invalid value: 2: cannot be greater than "
                                        "status.replicas"),
        ("status.readyReplicas", "Invalid value: 2: cannot be greater than status.replicas"),
        ("status.availableReplicas", "Invalid value: 3: cannot be greater than "
                                     "status.replicas"),
        ("status.availableReplicas", "Invalid value: 3: cannot be greater than readyReplicas"),
    ]
    # As in Kubernetes, the unset (zero) counts are then above status.replicas too.
    obj["status"] = {"replicas": -1}
    assert causes(res, obj) == [
        ("status.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        *[(f"status.{name}", "Invalid value: 0: cannot be greater than status.replicas")
          for name in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas")]]


# --- table, field selector, scale ----------------------------------------------------


def test_table_cells() -> None:
    rc = defaulted()
    rc["spec"]["selector"] = {"tier": "front", "app": "nginx"}
    rc["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    rc["spec"]["template"]["spec"]["containers"].append({"name": "log", "image": "busybox"})
    rc["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    rc["status"] = {"replicas": 2, "readyReplicas": 1}
    assert cells(RC, rc) == {
        "Name": "nginx", "Desired": 3, "Current": 2, "Ready": 1,
        "Age": "2024-05-01T10:00:00Z", "Containers": "nginx,log",
        "Images": "nginx:1.27,busybox", "Selector": "app=nginx,tier=front"}
    assert [(c.name, c.type) for c in RC.columns if c.priority == 0] == [
        ("Name", "string"), ("Desired", "integer"), ("Current", "integer"),
        ("Ready", "integer"), ("Age", "date")]
    assert [c.name for c in RC.columns if c.priority == 1] == [
        "Containers", "Images", "Selector"]
    del rc["status"], rc["spec"]["selector"]
    assert [cells(RC, rc)[k] for k in ("Current", "Ready", "Selector")] == [0, 0, "<none>"]


def test_status_replicas_field_selector() -> None:
    rc = defaulted()
    assert set(RC.field_selectors) == {"status.replicas"}
    assert RC.field_selectors["status.replicas"](rc) == "0"
    rc["status"] = {"replicas": 2}
    assert RC.field_selectors["status.replicas"](rc) == "2"


def test_scale_view() -> None:
    rc = defaulted()
    rc["spec"]["selector"] = {"tier": "front", "app": "nginx"}
    rc["metadata"].update(uid="u-1", resourceVersion="7",
                          creationTimestamp="2024-05-01T10:00:00Z")
    rc["status"] = {"replicas": 2}
    assert scale_of(RC, rc) == {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "nginx", "namespace": "default", "uid": "u-1",
                     "resourceVersion": "7", "creationTimestamp": "2024-05-01T10:00:00Z"},
        "spec": {"replicas": 3},
        "status": {"replicas": 2, "selector": "app=nginx,tier=front"},
    }
    del rc["spec"]["selector"], rc["status"]
    assert scale_of(RC, rc)["status"] == {"replicas": 0}


def test_scale_view_of_a_label_selector_object_is_unchanged() -> None:
    rs = nginx_replicaset()
    rs["spec"]["selector"] = {"matchLabels": {"app": "nginx"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["front", "back"]}]}
    assert scale_of(replicasets.RESOURCE, rs)["status"]["selector"] == (
        "app=nginx,tier in (back,front)")
