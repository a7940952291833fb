"""The status every served object carries: the JSON Kubernetes writes for a
kind's zero-valued status struct (its fields without omitempty, recursively
through struct values), declared per kind as `Resource.zero_status`, and
`with_zero_fields`, which fills it into an object's status."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from kubernetes import client

import kubelite.api.all  # noqa: F401  (fills REGISTRY and DEFINITIONS)
from kubelite.api.resource import REGISTRY, Obj, Resource, with_zero_fields
from kubelite.api.schema import DEFINITIONS, Schema, field, resolve
from tests.unit.test_api_workloads import _client_model

# The zero status of each kind as kube-apiserver serializes it, written from
# the Go types (k8s.io/api and apiextensions-apiserver): None where the type
# has no Status field. Fields tagged omitempty, pointers, slices and maps
# with omitempty drop out; a struct value stays (omitempty never drops one),
# holding its own fields without omitempty; a nil slice without omitempty
# is null.
NODE_INFO_ZERO = {
    "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
    "osImage": "", "containerRuntimeVersion": "", "kubeletVersion": "",
    "kubeProxyVersion": "", "operatingSystem": "", "architecture": "",
}
EXPECTED: dict[tuple[str, str, str], Obj | None] = {
    ("", "v1", "configmaps"): None,
    ("", "v1", "endpoints"): None,
    ("", "v1", "events"): None,
    ("", "v1", "namespaces"): {},
    ("", "v1", "nodes"): {
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": NODE_INFO_ZERO,
    },
    ("", "v1", "pods"): {},
    ("", "v1", "replicationcontrollers"): {"replicas": 0},
    ("", "v1", "secrets"): None,
    ("", "v1", "serviceaccounts"): None,
    ("", "v1", "services"): {"loadBalancer": {}},
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"): {
        "conditions": None,
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": None,
    },
    ("apps", "v1", "controllerrevisions"): None,
    ("apps", "v1", "daemonsets"): {
        "currentNumberScheduled": 0, "numberMisscheduled": 0,
        "desiredNumberScheduled": 0, "numberReady": 0,
    },
    ("apps", "v1", "deployments"): {},
    ("apps", "v1", "replicasets"): {"replicas": 0},
    ("apps", "v1", "statefulsets"): {"replicas": 0, "availableReplicas": 0},
    ("batch", "v1", "cronjobs"): {},
    ("batch", "v1", "jobs"): {},
    ("coordination.k8s.io", "v1", "leases"): None,
    ("discovery.k8s.io", "v1", "endpointslices"): None,
    ("events.k8s.io", "v1", "events"): None,
    ("networking.k8s.io", "v1", "ingressclasses"): None,
    ("networking.k8s.io", "v1", "ingresses"): {"loadBalancer": {}},
    ("scheduling.k8s.io", "v1", "priorityclasses"): None,
}

RESOURCES = sorted(REGISTRY.values(), key=lambda r: (r.group, r.plural))
WITH_STATUS = [r for r in RESOURCES if r.zero_status is not None]


def _id(res: Resource) -> str:
    return f"{res.group or 'core'}/{res.plural}"


def _resource(plural: str, group: str = "") -> Resource:
    return REGISTRY[(group, "v1", plural)]


def _filled(plural: str, status: Any, group: str = "") -> Obj:
    zero = _resource(plural, group).zero_status
    assert zero is not None
    return with_zero_fields(status, zero)


# --- every kind ----------------------------------------------------------------------


@pytest.mark.parametrize("res", RESOURCES, ids=_id)
def test_zero_status_declared_exactly_when_the_client_model_has_a_status(res: Resource):
    model = _client_model(res.schema)
    assert model is not None, f"no client model for {res.schema}"
    assert ("status" in model.attribute_map.values()) == (res.zero_status is not None)


@pytest.mark.parametrize("res", RESOURCES, ids=_id)
def test_zero_status_is_what_upstream_serializes(res: Resource):
    key = (res.group, res.version, res.plural)
    assert key in EXPECTED, f"no upstream zero status written down for {key}"
    assert res.zero_status == EXPECTED[key]


@pytest.mark.parametrize("res", RESOURCES, ids=_id)
def test_schema_has_a_status_exactly_when_a_zero_status_is_declared(res: Resource):
    assert (field(DEFINITIONS[res.schema], "status") is not None) == (
        res.zero_status is not None)


_JSON_TYPE = {dict: "object", int: "integer", str: "string", list: "array", bool: "boolean"}


def _schema_misses(schema: Schema, zero: Obj, path: str) -> list[str]:
    """Fields of `zero` the object schema lacks, or has with another type."""
    misses = []
    for key, value in zero.items():
        sub = field(schema, key)
        where = f"{path}.{key}"
        if sub is None:
            misses.append(f"{where}: not in the schema")
            continue
        sub = resolve(sub)
        if value is None:
            if sub.get("type") != "array":
                misses.append(f"{where}: null stands for a nil list, schema says "
                              f"{sub.get('type')}")
            continue
        if sub.get("type") != _JSON_TYPE[type(value)]:
            misses.append(f"{where}: {_JSON_TYPE[type(value)]} here, schema says "
                          f"{sub.get('type')}")
        elif isinstance(value, dict):
            misses += _schema_misses(sub, value, where)
    return misses


@pytest.mark.parametrize("res", WITH_STATUS, ids=_id)
def test_every_zero_field_is_in_the_status_schema(res: Resource):
    status = field(DEFINITIONS[res.schema], "status")
    assert status is not None
    assert _schema_misses(resolve(status), res.zero_status or {}, "status") == []


@pytest.mark.parametrize("res", WITH_STATUS, ids=_id)
def test_the_official_client_reads_a_zero_status(res: Resource):
    model = _client_model(res.schema)
    status_type = model.openapi_types["status"]
    served = with_zero_fields({}, res.zero_status or {})
    status = client.ApiClient().deserialize(json.dumps(served), status_type,
                                            "application/json")
    assert type(status).__name__ == status_type
    assert client.ApiClient().sanitize_for_serialization(status) == {
        k: v for k, v in served.items() if v is not None}


# --- the shapes filled into real statuses ------------------------------------------------


def test_an_empty_status_becomes_the_zero_status_itself():
    for res in WITH_STATUS:
        assert with_zero_fields({}, res.zero_status) == res.zero_status


def test_service_conditions_are_kept_and_load_balancer_added():
    conditions = [{"type": "LoadBalancerPortsError", "status": "False",
                   "reason": "Fine", "message": "", "lastTransitionTime": "2024-01-01T00:00:00Z"}]
    status = _filled("services", {"conditions": conditions})
    assert status == {"conditions": conditions, "loadBalancer": {}}
    assert status["conditions"] is conditions


def test_service_load_balancer_ingress_is_kept():
    ingress = [{"ip": "192.0.2.10", "ipMode": "VIP"}]
    assert _filled("services", {"loadBalancer": {"ingress": ingress}}) == {
        "loadBalancer": {"ingress": ingress}}


def test_ingress_status_gets_an_empty_load_balancer():
    assert _filled("ingresses", {}, "networking.k8s.io") == {"loadBalancer": {}}
    assert _filled("ingresses", {"loadBalancer": None}, "networking.k8s.io") == {
        "loadBalancer": {}}


def test_node_partial_node_info_is_completed():
    status = _filled("nodes", {
        "nodeInfo": {"kubeletVersion": "v1.32.0", "architecture": "amd64",
                     "swap": {"capacity": 0}},
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "capacity": {"cpu": "4"},
    })
    assert status["nodeInfo"] == {**NODE_INFO_ZERO, "kubeletVersion": "v1.32.0",
                                  "architecture": "amd64", "swap": {"capacity": 0}}
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    assert status["capacity"] == {"cpu": "4"}


def test_node_empty_daemon_endpoints_get_the_kubelet_port_zero():
    status = _filled("nodes", {"daemonEndpoints": {}})
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 0}}
    assert status["nodeInfo"] == NODE_INFO_ZERO


def test_workload_counters_are_added_beside_the_ones_written():
    assert _filled("replicasets", {"readyReplicas": 2}, "apps") == {
        "readyReplicas": 2, "replicas": 0}
    assert _filled("statefulsets", {"replicas": 3, "readyReplicas": 3}, "apps") == {
        "replicas": 3, "readyReplicas": 3, "availableReplicas": 0}
    assert _filled("daemonsets", {"numberReady": 1, "observedGeneration": 2}, "apps") == {
        "numberReady": 1, "observedGeneration": 2, "currentNumberScheduled": 0,
        "numberMisscheduled": 0, "desiredNumberScheduled": 0}
    deployment = {"replicas": 1, "conditions": [{"type": "Available", "status": "True"}]}
    assert _filled("deployments", copy.deepcopy(deployment), "apps") == deployment


def test_pod_and_namespace_statuses_set_on_create_are_unchanged():
    pod = {"phase": "Pending", "qosClass": "BestEffort"}
    assert _filled("pods", dict(pod)) == pod
    assert _filled("namespaces", {"phase": "Active"}) == {"phase": "Active"}


def test_crd_status_before_and_after_it_is_established():
    group = "apiextensions.k8s.io"
    assert _filled("customresourcedefinitions", {"storedVersions": ["v1"]}, group) == {
        "storedVersions": ["v1"], "conditions": None,
        "acceptedNames": {"plural": "", "kind": ""}}
    established = {
        "acceptedNames": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                          "listKind": "CronTabList"},
        "conditions": [{"type": "Established", "status": "True"}],
        "storedVersions": ["v1"],
    }
    assert _filled("customresourcedefinitions", copy.deepcopy(established),
                   group) == established


# --- with_zero_fields ------------------------------------------------------------------


def test_missing_and_null_fields_are_filled():
    zero = {"a": 0, "b": "", "c": {}}
    assert with_zero_fields({}, zero) == zero
    assert with_zero_fields({"a": None, "b": None, "c": None}, zero) == zero


def test_present_values_win_even_when_falsy():
    zero = {"a": 1, "b": "x", "c": {"d": 1}, "e": True}
    value = {"a": 0, "b": "", "c": {"d": 0}, "e": False}
    assert with_zero_fields(copy.deepcopy(value), zero) == value


def test_nested_objects_are_filled_recursively():
    zero = {"outer": {"inner": {"n": 0, "s": ""}, "m": 0}}
    value = {"outer": {"inner": {"n": 5}, "extra": [1]}}
    assert with_zero_fields(value, zero) == {
        "outer": {"inner": {"n": 5, "s": ""}, "m": 0, "extra": [1]}}


def test_lists_are_left_as_they_are():
    items = [{"type": "Ready"}]
    value = {"conditions": items}
    with_zero_fields(value, {"conditions": [{"type": "Other"}], "n": 0})
    assert value == {"conditions": [{"type": "Ready"}], "n": 0}
    assert value["conditions"] is items


def test_a_non_object_where_zero_has_an_object_is_kept():
    assert with_zero_fields({"loadBalancer": "odd"}, {"loadBalancer": {}}) == {
        "loadBalancer": "odd"}


def test_fills_in_place_and_returns_the_value():
    value: Obj = {"x": 1}
    assert with_zero_fields(value, {"y": 0}) is value
    assert value == {"x": 1, "y": 0}


def test_filling_twice_changes_nothing_more():
    zero = _resource("nodes").zero_status or {}
    once = with_zero_fields({"nodeInfo": {"bootID": "b"}}, zero)
    assert with_zero_fields(copy.deepcopy(once), zero) == once


def test_no_aliasing_of_the_zero_between_objects():
    zero = _resource("nodes").zero_status or {}
    pristine = copy.deepcopy(zero)
    first, second = with_zero_fields({}, zero), with_zero_fields({}, zero)
    first["nodeInfo"]["bootID"] = "changed"
    first["daemonEndpoints"]["kubeletEndpoint"]["Port"] = 10250
    assert second == pristine
    assert zero == pristine
    assert first["nodeInfo"] is not zero["nodeInfo"]
    # A nested fill copies too.
    third = with_zero_fields({"daemonEndpoints": {}}, zero)
    third["daemonEndpoints"]["kubeletEndpoint"]["Port"] = 1
    assert zero == pristine


def test_no_aliasing_of_a_service_load_balancer():
    services = _resource("services")
    a, b = with_zero_fields({}, services.zero_status or {}), with_zero_fields(
        {}, services.zero_status or {})
    a["loadBalancer"]["ingress"] = [{"ip": "192.0.2.1"}]
    assert b == {"loadBalancer": {}}
    assert services.zero_status == {"loadBalancer": {}}


def test_crd_defaulting_takes_a_null_stored_versions_as_empty():
    crd = {
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {"group": "stable.example.com", "scope": "Namespaced",
                 "names": {"plural": "crontabs", "kind": "CronTab"},
                 "versions": [{"name": "v1", "served": True, "storage": True}]},
        "status": _filled("customresourcedefinitions", {}, "apiextensions.k8s.io"),
    }
    _resource("customresourcedefinitions", "apiextensions.k8s.io").default(crd)
    assert crd["status"]["storedVersions"] == ["v1"]
