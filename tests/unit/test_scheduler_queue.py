"""The scheduling queue with a fake clock: PrioritySort's order, back-off,
the unschedulable pods and the events that move them, gated pods, events
seen while a pod is in flight, the leftover flush, nominated pods and the
queue sizes."""

from __future__ import annotations

import copy

from kubelite.scheduler.events import (
    NODE_ADD,
    UNSCHEDULABLE_TIMEOUT,
    ActionType,
    ClusterEvent,
    node_update_events,
    pod_update_events,
)
from kubelite.scheduler.plugins import names
from kubelite.scheduler.queue import (
    ACTIVE,
    BACKOFF,
    IN_FLIGHT,
    UNSCHEDULABLE,
    QueueSizes,
    SchedulingQueue,
)
from tests.unit.scheduler_objects import node, pod, term


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make() -> tuple[SchedulingQueue, Clock]:
    clock = Clock()
    return SchedulingQueue(clock), clock


def fail(queue: SchedulingQueue, obj: dict, *plugins: str, pending: tuple[str, ...] = ()):
    """Pop `obj` (it must be next) and hand it back as rejected by `plugins`."""
    q = queue.pop()
    assert q is not None and q.pod["metadata"]["name"] == obj["metadata"]["name"]
    return queue.add_unschedulable(q, unschedulable_plugins=plugins, pending_plugins=pending)


def popped_names(queue: SchedulingQueue) -> list[str]:
    out = []
    while (q := queue.pop()) is not None:
        out.append(q.pod["metadata"]["name"])
        queue.done(q.uid)
    return out


def test_priority_then_arrival_order() -> None:
    queue, clock = make()
    for name, priority in (("a", 0), ("b", 10), ("c", 0), ("d", 10), ("e", None)):
        spec = {} if priority is None else {"priority": priority}
        queue.add(pod(name, **spec))
        clock.now += 1
    assert queue.sizes() == QueueSizes(active=5, backoff=0, unschedulable=0, gated=0)
    assert popped_names(queue) == ["b", "d", "a", "c", "e"]
    assert queue.pop() is None
    assert queue.scheduling_cycle == 5


def test_backoff_doubles_to_the_maximum() -> None:
    queue, clock = make()
    p = pod("p")
    queue.add(p)
    durations = []
    for _ in range(6):
        q = queue.pop()
        durations.append(queue.backoff_duration(q))
        # No plugin rejected it (an error): back to backoffQ.
        assert queue.add_unschedulable(q) == BACKOFF
        assert queue.flush_backoff_completed() == []
        clock.now += durations[-1] - 0.001
        assert queue.flush_backoff_completed() == []
        clock.now += 0.001  # expiry == now: back-off is over
        assert [m.key for m in queue.flush_backoff_completed()] == ["default/p"]
    assert durations == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert queue.get(p).attempts == 6


def test_rejected_pod_waits_for_an_event_its_plugins_registered() -> None:
    queue, clock = make()
    fit, affinity = pod("fit"), pod("affinity")
    queue.add(fit)
    queue.add(affinity)
    assert fail(queue, fit, names.NODE_RESOURCES_FIT) == UNSCHEDULABLE
    assert fail(queue, affinity, names.NODE_AFFINITY) == UNSCHEDULABLE
    assert queue.sizes() == QueueSizes(0, 0, 2, 0)
    old = node("n1")
    more_cpu = copy.deepcopy(old)
    more_cpu["status"]["allocatable"]["cpu"] = "8"
    # Allocatable changed: NodeResourcesFit waits for that, NodeAffinity not.
    moved = queue.node_updated(old, more_cpu)
    assert [q.key for q in moved] == ["default/fit"]
    assert queue.where(fit) == BACKOFF  # back-off (1 s) not over yet
    assert queue.where(affinity) == UNSCHEDULABLE
    labelled = copy.deepcopy(more_cpu)
    labelled["metadata"]["labels"]["disk"] = "ssd"
    clock.now += 5
    assert [q.key for q in queue.node_updated(more_cpu, labelled)] == ["default/affinity"]
    assert queue.where(affinity) == ACTIVE  # back-off over: straight to activeQ
    # An event nobody registered moves nothing.
    annotated = copy.deepcopy(labelled)
    annotated["metadata"]["annotations"] = {"a": "b"}
    assert node_update_events(labelled, annotated) == [
        ClusterEvent("Node", ActionType.UPDATE_NODE_ANNOTATION)]
    assert queue.node_updated(labelled, annotated) == []


def test_pending_plugins_requeue_immediately() -> None:
    queue, _ = make()
    p = pod("p")
    queue.add(p)
    fail(queue, p, pending=(names.NODE_RESOURCES_FIT,))
    queue.node_added(node("n2"))
    assert queue.where(p) == ACTIVE  # even though its back-off is not over


def test_event_while_in_flight_sends_the_pod_to_backoff() -> None:
    queue, clock = make()
    seen, unseen = pod("seen"), pod("unseen")
    queue.add(seen)
    q = queue.pop()
    queue.node_added(node("n9"))  # while "seen" is being scheduled
    assert queue.add_unschedulable(q, unschedulable_plugins=[names.NODE_RESOURCES_FIT]) \
        == BACKOFF
    # Events before the pop do not count.
    queue.add(unseen)
    q = queue.pop()
    assert queue.add_unschedulable(q, unschedulable_plugins=[names.NODE_RESOURCES_FIT]) \
        == UNSCHEDULABLE
    # An event the rejecting plugin does not wait for does not count either.
    clock.now += 30
    queue.flush_backoff_completed()
    q = queue.pop()
    queue.assigned_pod_deleted(pod("gone", node_name="n1"))
    assert queue.add_unschedulable(q, unschedulable_plugins=[names.NODE_AFFINITY]) \
        == UNSCHEDULABLE


def test_pod_updates() -> None:
    queue, clock = make()
    tainted, fit = pod("tainted"), pod("fit")
    queue.add(tainted)
    queue.add(fit)
    fail(queue, tainted, names.TAINT_TOLERATION)
    fail(queue, fit, names.NODE_RESOURCES_FIT)
    clock.now += 5
    relabelled = copy.deepcopy(fit)
    relabelled["metadata"]["labels"] = {"x": "y"}
    queue.update(fit, relabelled)  # NodeResourcesFit does not wait for labels
    assert queue.where(fit) == UNSCHEDULABLE
    assert queue.get(fit).pod is relabelled
    tolerating = copy.deepcopy(tainted)
    tolerating["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    assert pod_update_events(tainted, tolerating) == [
        ClusterEvent("UnschedulablePod", ActionType.UPDATE_POD_TOLERATIONS)]
    queue.update(tainted, tolerating)
    assert queue.where(tainted) == ACTIVE
    # In activeQ an update is made in place.
    newer = copy.deepcopy(tolerating)
    newer["metadata"]["annotations"] = {"n": "1"}
    queue.update(tolerating, newer)
    assert queue.get(tainted).pod is newer and queue.sizes().active == 1
    # An update of a pod the queue does not know adds it.
    stranger = pod("stranger")
    queue.update(stranger, stranger)
    assert queue.where(stranger) == ACTIVE


def test_update_while_in_flight_is_kept_for_its_return() -> None:
    queue, _ = make()
    p = pod("p")
    queue.add(p)
    q = queue.pop()
    assert queue.where(p) == IN_FLIGHT
    tolerating = copy.deepcopy(p)
    tolerating["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    queue.update(p, tolerating)
    # Its own toleration change makes TaintToleration's rejection worth a retry,
    # and the queue keeps the newest version.
    assert queue.add_unschedulable(q, unschedulable_plugins=[names.TAINT_TOLERATION]) \
        == BACKOFF
    assert queue.get(p).pod is tolerating
    # Another pod's own update concerns only that pod.
    one, two = pod("one"), pod("two")
    queue.add(one)
    queue.add(two)
    first, second = queue.pop(), queue.pop()
    changed = copy.deepcopy(two)
    changed["spec"]["tolerations"] = [{"key": "k", "operator": "Exists"}]
    queue.update(two, changed)
    assert queue.add_unschedulable(first, unschedulable_plugins=[names.TAINT_TOLERATION]) \
        == UNSCHEDULABLE
    assert queue.add_unschedulable(second, unschedulable_plugins=[names.TAINT_TOLERATION]) \
        == BACKOFF


def test_gated_pods() -> None:
    queue, clock = make()
    gated = pod("gated", schedulingGates=[{"name": "example.com/wait"}])
    queue.add(gated)
    assert queue.sizes() == QueueSizes(0, 0, 0, 1)
    assert queue.pop() is None
    queue.node_added(node("n1"))
    clock.now += 400
    queue.flush_unschedulable_leftover()
    assert queue.where(gated) == UNSCHEDULABLE and queue.get(gated).gated
    open_ = copy.deepcopy(gated)
    open_["spec"]["schedulingGates"] = []
    queue.update(gated, open_)
    assert queue.where(gated) == ACTIVE
    assert queue.sizes() == QueueSizes(1, 0, 0, 0)


def test_unschedulable_leftover_after_five_minutes() -> None:
    queue, clock = make()
    p = pod("p")
    queue.add(p)
    fail(queue, p, names.NODE_AFFINITY)
    clock.now += 300
    assert queue.flush_unschedulable_leftover() == []  # strictly longer
    clock.now += 0.5
    assert [q.key for q in queue.flush_unschedulable_leftover()] == ["default/p"]
    assert queue.where(p) == ACTIVE
    assert UNSCHEDULABLE_TIMEOUT.is_wildcard() and UNSCHEDULABLE_TIMEOUT.match(NODE_ADD)


def test_delete() -> None:
    queue, _ = make()
    a, b = pod("a"), pod("b")
    queue.add(a)
    queue.add(b)
    queue.delete(a)
    assert queue.where(a) is None and queue.sizes().active == 1
    q = queue.pop()
    queue.delete(b)  # while it is being scheduled
    assert queue.add_unschedulable(q, unschedulable_plugins=[names.NODE_AFFINITY]) is None
    assert queue.sizes() == QueueSizes(0, 0, 0, 0)


def test_bound_while_in_flight_is_not_requeued() -> None:
    queue, _ = make()
    p = pod("p")
    queue.add(p)
    q = queue.pop()
    assert queue.add_unschedulable(q, pod=pod("p", node_name="n1")) is None
    assert queue.where(p) is None


def test_assigned_pod_events() -> None:
    queue, clock = make()
    affine = pod("affine", affinity={"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [term({"app": "db"})]}})
    spread = pod("spread")
    fit = pod("fit")
    for p, plugin in ((affine, names.INTER_POD_AFFINITY),
                      (spread, names.POD_TOPOLOGY_SPREAD), (fit, names.NODE_RESOURCES_FIT)):
        queue.add(p)
        fail(queue, p, plugin)
    clock.now += 5
    web = pod("web", node_name="n1", labels={"app": "web"})
    # A new pod helps the pods spreading in its namespace and those whose
    # required affinity it matches; NodeResourcesFit waits for deletions.
    assert [q.key for q in queue.assigned_pod_added(web)] == ["default/spread"]
    db = pod("db", node_name="n1", labels={"app": "db"})
    assert [q.key for q in queue.assigned_pod_added(db)] == ["default/affine"]
    assert [q.key for q in queue.assigned_pod_deleted(db)] == ["default/fit"]


def test_nominated_pods() -> None:
    queue, _ = make()
    p = pod("p", priority=100)
    p["status"]["nominatedNodeName"] = "n1"
    queue.add(p)
    assert [i.name for i in queue.nominated_pods_for_node("n1")] == ["p"]
    q = queue.pop()
    # A preemption chose n2: the queue's nomination holds until the status
    # says so, through an update that does not mention it.
    queue.add_unschedulable(q, unschedulable_plugins=[names.NODE_RESOURCES_FIT])
    queue.add_nominated_pod(p, "n2")
    assert queue.nominated_pods_for_node("n1") == []
    plain = copy.deepcopy(p)
    plain["status"].pop("nominatedNodeName")
    newer = copy.deepcopy(plain)
    newer["metadata"]["labels"] = {"v": "2"}
    queue.update(plain, newer)
    assert [i.name for i in queue.nominated_pods_for_node("n2")] == ["p"]
    queue.add_nominated_pod(p, "")
    assert queue.nominated_pods_for_node("n2") == []
    queue.add_nominated_pod(p)  # from its status
    assert [i.name for i in queue.nominated_pods_for_node("n1")] == ["p"]
    queue.delete(p)
    assert queue.nominated_pods_for_node("n1") == []
    # An assigned pod is never nominated.
    queue.add_nominated_pod(pod("bound", node_name="n1"), "n1")
    assert queue.nominated_pods_for_node("n1") == []


def test_changed_nomination_frees_room_for_lower_or_equal_priority() -> None:
    queue, clock = make()
    low, high = pod("low", priority=1), pod("high", priority=500)
    for p in (low, high):
        queue.add(p)
    fail(queue, high, names.NODE_RESOURCES_FIT)
    fail(queue, low, names.NODE_RESOURCES_FIT)
    clock.now += 5
    mover = pod("mover", priority=100)
    mover["status"]["nominatedNodeName"] = "n1"
    moved = copy.deepcopy(mover)
    moved["status"]["nominatedNodeName"] = "n2"
    queue.update(mover, moved)
    assert queue.where(low) == ACTIVE and queue.where(high) == UNSCHEDULABLE


def test_plugins_without_registrations_wait_for_everything() -> None:
    queue, _ = make()
    p = pod("p")
    queue.add(p)
    fail(queue, p, "SomeOutOfTreePlugin")
    assert [q.key for q in queue.node_deleted(node("n1"))] == ["default/p"]


def test_event_matching() -> None:
    any_pod_delete = ClusterEvent("Pod", ActionType.DELETE)
    assert any_pod_delete.match(ClusterEvent("AssignedPod", ActionType.DELETE))
    assert any_pod_delete.match(ClusterEvent("UnschedulablePod", ActionType.DELETE))
    assert not any_pod_delete.match(ClusterEvent("Node", ActionType.DELETE))
    assert not any_pod_delete.match(ClusterEvent("AssignedPod", ActionType.UPDATE_POD_LABEL))
    assert ClusterEvent("Node", ActionType.UPDATE).match(
        ClusterEvent("Node", ActionType.UPDATE_NODE_TAINT))
    assert NODE_ADD.label == "NodeAdd" and UNSCHEDULABLE_TIMEOUT.label == "UnschedulableTimeout"


def test_node_update_events() -> None:
    old = node("n1", unschedulable=True, labels={"a": "1"})
    new = copy.deepcopy(old)
    new["spec"].pop("unschedulable")
    new["spec"]["taints"] = [{"key": "k", "effect": "NoSchedule"}]
    new["status"]["allocatable"]["cpu"] = "4000m"  # the same amount, written otherwise
    new["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert [e.action for e in node_update_events(old, new)] == [
        ActionType.UPDATE_NODE_TAINT, ActionType.UPDATE_NODE_TAINT,
        ActionType.UPDATE_NODE_CONDITION]
    # Becoming unschedulable is not an event.
    assert node_update_events(new, dict(new, spec={**new["spec"], "unschedulable": True})) \
        == []


def test_pod_update_events() -> None:
    old = pod("p", requests={"cpu": "2"}, schedulingGates=[{"name": "g"}])
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "1"
    new["spec"]["schedulingGates"] = []
    assert [e.action for e in pod_update_events(old, new)] == [
        ActionType.UPDATE_POD_SCALE_DOWN, ActionType.UPDATE_POD_SCHEDULING_GATES_ELIMINATED]
    bound = pod("p", node_name="n1")
    assert pod_update_events(bound, bound) == [ClusterEvent("AssignedPod", ActionType.UPDATE)]
