"""The Priority admission: pods get their priority and preemption policy
from their PriorityClass (or the default one), with upstream's Forbidden
messages, and only one class may be the globalDefault.

The admissions run here over a small in-memory stand-in for the Registry
(get and list of priorityclasses); that they are wired into the API
server, and the system classes created at start-up, is for an integration
test once main.py registers them."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelite.api.core import pods as core_pods
from kubelite.api.resource import Obj
from kubelite.api.scheduling import priorityclasses as pcs
from kubelite.apiserver import errors
from kubelite.apiserver.priority import (
    PodPriority,
    PriorityClassDefault,
    default_priority_class,
    keep_pod_priority,
    resolve_pod_priority,
)
from tests.unit.scheduler_objects import pod


class FakeRegistry:
    """What the admissions use of the Registry, over a dict of classes."""

    def __init__(self, *classes: Obj) -> None:
        self.classes = {c["metadata"]["name"]: c for c in classes}
        self.lists = 0

    async def get(self, res: Any, namespace: str | None, name: str) -> Obj:
        assert res is pcs.RESOURCE and namespace is None
        if name not in self.classes:
            raise errors.not_found(res.plural, name, res.group)
        return copy.deepcopy(self.classes[name])

    async def list(self, res: Any, namespace: str | None, opts: Any) -> Obj:
        assert res is pcs.RESOURCE and namespace is None
        self.lists += 1
        return {"items": [copy.deepcopy(c) for c in self.classes.values()]}


def pc(name: str, value: int, *, default: bool = False, policy: str | None = None) -> Obj:
    obj: Obj = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": name}, "value": value}
    if default:
        obj["globalDefault"] = True
    if policy:
        obj["preemptionPolicy"] = policy
    pcs.default(obj)
    return obj


def system_classes() -> list[Obj]:
    found = pcs.system_priority_classes()
    for c in found:
        pcs.default(c)
    return found


async def admitted(registry: FakeRegistry, obj: Obj) -> Obj:
    await PodPriority(registry).admit_create(core_pods.PODS, obj, False)
    return obj["spec"]


async def refused(admission: Any, res: Any, obj: Obj, old: Obj | None = None
                  ) -> errors.StatusError:
    with pytest.raises(errors.StatusError) as caught:
        if old is None:
            await admission.admit_create(res, obj, False)
        else:
            await admission.admit_update(res, obj, old, False)
    return caught.value


async def test_named_class() -> None:
    registry = FakeRegistry(pc("high", 1000), pc("batch", 10, policy="Never"), *system_classes())
    spec = await admitted(registry, pod("p", priorityClassName="high"))
    assert (spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"]) == (
        "high", 1000, "PreemptLowerPriority")
    spec = await admitted(registry, pod("p", priorityClassName="batch"))
    assert (spec["priority"], spec["preemptionPolicy"]) == (10, "Never")
    # The system classes are usable in any namespace (since 1.17).
    spec = await admitted(registry, pod("p", namespace="default",
                                        priorityClassName="system-node-critical"))
    assert spec["priority"] == 2000001000
    assert registry.lists == 0  # a named class is read alone


async def test_missing_class_is_forbidden() -> None:
    error = await refused(PodPriority(FakeRegistry()), core_pods.PODS,
                          pod("web", priorityClassName="missing"))
    assert error.status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'pods "web" is forbidden: no PriorityClass with name missing was found',
        "reason": "Forbidden", "details": {"name": "web", "kind": "pods"}, "code": 403,
    }


async def test_default_class() -> None:
    spec = await admitted(FakeRegistry(), pod("p"))
    assert "priorityClassName" not in spec
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    registry = FakeRegistry(pc("normal", 100, default=True, policy="Never"), pc("other", 5))
    spec = await admitted(registry, pod("p"))
    assert (spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"]) == (
        "normal", 100, "Never")
    # Two defaults (a race): the lowest value wins.
    assert default_priority_class([pc("a", 100, default=True), pc("b", 50, default=True),
                                   pc("c", 1)])["metadata"]["name"] == "b"


async def test_values_the_client_sent() -> None:
    registry = FakeRegistry(pc("high", 1000), pc("batch", 10, policy="Never"))
    spec = await admitted(registry, pod("p", priorityClassName="high", priority=1000,
                                        preemptionPolicy="PreemptLowerPriority"))
    assert spec["priority"] == 1000
    error = await refused(PodPriority(registry), core_pods.PODS,
                          pod("p", priorityClassName="high", priority=7))
    assert error.code == 403 and error.message == (
        'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod '
        "spec; priority admission controller computed 1000 from the given PriorityClass name")
    error = await refused(PodPriority(registry), core_pods.PODS,
                          pod("p", priorityClassName="batch",
                              preemptionPolicy="PreemptLowerPriority"))
    assert error.message == (
        'pods "p" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) '
        "must not be provided in pod spec; priority admission controller computed Never from "
        "the given PriorityClass name")
    error = await refused(PodPriority(FakeRegistry()), core_pods.PODS,
                          pod("p", priority=3))
    assert "computed 0 from the given PriorityClass name" in error.message


def test_a_refused_pod_is_left_unchanged() -> None:
    obj = pod("p", priority=7)
    before = copy.deepcopy(obj)
    assert resolve_pod_priority(obj, None, [pc("d", 1, default=True)]) != ""
    assert obj == before


async def test_update_keeps_what_creation_set() -> None:
    old = pod("p", priority=1000, preemptionPolicy="Never", priorityClassName="high")
    new = pod("p", priorityClassName="high")
    await PodPriority(FakeRegistry()).admit_update(core_pods.PODS, new, old, False)
    assert (new["spec"]["priority"], new["spec"]["preemptionPolicy"]) == (1000, "Never")
    sent = pod("p", priority=5)
    keep_pod_priority(sent, old)
    assert sent["spec"]["priority"] == 5  # left for validation to refuse


async def test_only_one_global_default() -> None:
    registry = FakeRegistry(pc("a", 100, default=True), pc("b", 10))
    admission = PriorityClassDefault(registry)
    error = await refused(admission, pcs.RESOURCE, pc("c", 5, default=True))
    assert error.status["message"] == (
        'priorityclasses.scheduling.k8s.io "c" is forbidden: PriorityClass a is already '
        "marked as default. Only one default can exist")
    assert error.status["details"] == {"name": "c", "group": "scheduling.k8s.io",
                                       "kind": "priorityclasses"}
    # Another class may not become the default either; the default itself
    # may be updated, and classes that are not the default are not checked.
    error = await refused(admission, pcs.RESOURCE, pc("b", 10, default=True), pc("b", 10))
    assert "PriorityClass a is already marked as default" in error.message
    await admission.admit_update(pcs.RESOURCE, pc("a", 100, default=True), pc("a", 100),
                                 False)
    lists = registry.lists
    await admission.admit_create(pcs.RESOURCE, pc("d", 1), False)
    assert registry.lists == lists
    await PriorityClassDefault(FakeRegistry(pc("b", 10))).admit_create(
        pcs.RESOURCE, pc("c", 5, default=True), False)
