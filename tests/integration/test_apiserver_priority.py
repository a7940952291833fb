"""Pod priorities (issue 7), wired in the API server: the two system
PriorityClasses exist from the start, a pod naming a class gets its value
and preemption policy, a pod naming none gets the global default's (or 0),
a missing class is refused with Kubernetes' message, and only one class may
be the global default. Runs with the API server on kubelite's store and on
a real etcd 3.4."""

from __future__ import annotations

import uuid

PODS = "/api/v1/namespaces/default/pods"
CLASSES = "/apis/scheduling.k8s.io/v1/priorityclasses"


def pod(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec}}


def priority_class(name: str, value: int, **extra) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, **extra}


def test_system_classes_exist_and_pods_get_their_priority(raw):
    system = raw.request("GET", f"{CLASSES}/system-node-critical").json()
    assert system["value"] == 2000001000
    assert raw.request("GET", f"{CLASSES}/system-cluster-critical").json()["value"] == (
        2000000000)
    name = f"high-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", CLASSES, priority_class(
        name, 1000, preemptionPolicy="Never")).status == 201
    made = raw.request("POST", PODS, pod(f"p-{name}", priorityClassName=name)).json()
    assert made["spec"]["priority"] == 1000
    assert made["spec"]["preemptionPolicy"] == "Never"
    plain = raw.request("POST", PODS, pod(f"plain-{name}")).json()
    assert plain["spec"]["priority"] == 0
    critical = raw.request("POST", PODS, pod(f"crit-{name}",
                                             priorityClassName="system-node-critical")).json()
    assert critical["spec"]["priority"] == 2000001000


def test_a_missing_class_is_refused(raw):
    reply = raw.request("POST", PODS, pod(f"p-{uuid.uuid4().hex[:6]}",
                                          priorityClassName="no-such-class"))
    assert reply.status == 403
    assert "no PriorityClass with name no-such-class was found" in reply.json()["message"]


def test_one_global_default(raw):
    first = f"default-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", CLASSES, priority_class(first, 50, globalDefault=True)
                       ).status == 201
    try:
        made = raw.request("POST", PODS, pod(f"p-{first}")).json()
        assert made["spec"]["priority"] == 50 and made["spec"]["priorityClassName"] == first
        second = raw.request("POST", CLASSES, priority_class(f"other-{first}", 60,
                                                             globalDefault=True))
        assert second.status == 403, second.body  # the admission's Forbidden, as upstream
        assert f"PriorityClass {first} is already marked as default. Only one default can " \
            "exist" in second.json()["message"]
    finally:
        raw.request("DELETE", f"{CLASSES}/{first}")
