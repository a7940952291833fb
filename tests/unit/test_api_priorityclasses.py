"""The scheduling.k8s.io/v1 PriorityClass declaration: schema against the
official client, defaults, validation messages as Kubernetes words them,
the table, and the system classes."""

from __future__ import annotations

import copy
import json
from typing import Any

from kubernetes import client

import kubelite.api.all  # noqa: F401  (fills REGISTRY)
from kubelite.api.resource import REGISTRY, Obj
from kubelite.api.scheduling import priorityclasses as pcs
from tests.unit.test_api_workloads import check_manifest, client_mismatches


def high_priority() -> Obj:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "high-priority"},
        "value": 1000000,
        "globalDefault": False,
        "description": "For the XYZ service's pods only.",
    }


def causes(obj: Obj, old: Obj | None = None) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in pcs.RESOURCE.validate(obj, old)]


def cells(obj: Obj) -> dict[str, Any]:
    return {c.name: c.value(obj) for c in pcs.RESOURCE.columns}


def test_declaration() -> None:
    res = pcs.RESOURCE
    assert REGISTRY[("scheduling.k8s.io", "v1", "priorityclasses")] is res
    assert (res.kind, res.namespaced, res.short_names, res.status_subresource,
            res.zero_status, res.key_prefix()) == (
        "PriorityClass", False, ("pc",), False, None, "/registry/priorityclasses/")


def test_schema_matches_the_official_client() -> None:
    assert client_mismatches(pcs.PRIORITY_CLASS) == []
    check_manifest(high_priority(), pcs.RESOURCE)


def test_defaults() -> None:
    pc = high_priority()
    pcs.default(pc)
    assert pc["preemptionPolicy"] == "PreemptLowerPriority"
    assert "globalDefault" not in pc  # false is omitted, as Go's omitempty does
    bare = {"metadata": {"name": "zero"}, "description": "", "preemptionPolicy": "Never"}
    pcs.default(bare)
    assert bare == {"metadata": {"name": "zero"}, "value": 0, "preemptionPolicy": "Never"}


def test_served_object_reads_in_the_official_client() -> None:
    pc = high_priority()
    pcs.default(pc)
    model = client.ApiClient().deserialize(json.dumps(pc), "V1PriorityClass",
                                           "application/json")
    assert (model.value, model.preemption_policy, model.global_default) == (
        1000000, "PreemptLowerPriority", None)


def test_user_classes() -> None:
    pc = high_priority()
    pcs.default(pc)
    assert causes(pc) == []
    pc["value"] = 1000000000
    assert causes(pc) == []
    pc["value"] = 1000000001
    assert causes(pc) == [
        ("value", "Forbidden: maximum allowed value of a user defined priority is 1000000000")]
    low = dict(high_priority(), value=-2147483648)
    assert causes(low) == []


def test_system_prefix_is_reserved() -> None:
    fake = dict(high_priority(), metadata={"name": "system-important"})
    reserved = ("Forbidden: priority class names with 'system-' prefix are reserved for "
                "system use only. error: ")
    assert causes(fake) == [
        ("metadata.name", reserved + "system-important is not a known system priority class")]
    for system in pcs.system_priority_classes():
        pcs.default(system)
        assert causes(system) == []
        name = system["metadata"]["name"]
        assert causes(dict(system, value=5)) == [
            ("metadata.name", reserved + f"value of {name} PriorityClass must be "
                                         f"{system['value']}")]
        assert causes(dict(system, globalDefault=True)) == [
            ("metadata.name", reserved + f"globalDefault of {name} PriorityClass must be false")]


def test_preemption_policy() -> None:
    pc = dict(high_priority(), preemptionPolicy="Sometimes")
    assert causes(pc) == [("preemptionPolicy", 'Unsupported value: "Sometimes": supported '
                                               'values: "PreemptLowerPriority", "Never"')]
    assert causes(dict(pc, preemptionPolicy="")) == [("preemptionPolicy", "Required value")]


def test_update() -> None:
    old = high_priority()
    pcs.default(old)
    new = copy.deepcopy(old)
    new["description"] = "now for everything"
    new["globalDefault"] = True
    assert causes(new, old) == []
    new["value"] = 7
    new["preemptionPolicy"] = "Never"
    assert causes(new, old) == [
        ("value", "Forbidden: may not be changed in an update."),
        ("preemptionPolicy", 'Invalid value: "Never": field is immutable'),
    ]


def test_table() -> None:
    assert [(c.name, c.type, c.priority) for c in pcs.RESOURCE.columns] == [
        ("Name", "string", 0), ("Value", "integer", 0), ("Global-Default", "boolean", 0),
        ("Age", "date", 0), ("PreemptionPolicy", "string", 0)]
    pc = high_priority()
    pcs.default(pc)
    row = cells(pc)
    assert (row["Name"], row["Value"], row["Global-Default"], row["PreemptionPolicy"]) == (
        "high-priority", 1000000, False, "PreemptLowerPriority")
    assert cells(dict(pc, globalDefault=True))["Global-Default"] is True
    assert cells({"metadata": {"name": "x"}})["PreemptionPolicy"] == ""


def test_system_classes() -> None:
    classes = pcs.system_priority_classes()
    assert [(c["metadata"]["name"], c["value"]) for c in classes] == [
        ("system-node-critical", 2000001000), ("system-cluster-critical", 2000000000)]
    assert classes[0]["description"] == (
        "Used for system critical pods that must not be moved from their current node.")
    assert classes[1]["description"] == (
        "Used for system critical pods that must run in the cluster, but can be moved to "
        "another node if necessary.")
    classes[0]["value"] = 1  # a copy
    assert pcs.system_priority_classes()[0]["value"] == 2000001000
