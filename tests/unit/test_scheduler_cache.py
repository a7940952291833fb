"""The scheduler process's pure parts: its cache (pods counted on their
nodes, assumed pods, what rebuilds the snapshot), the pods/status patch of
a failed attempt, and the Binding it posts."""

from __future__ import annotations

from kubelite.scheduler.cache import SchedulerCache
from kubelite.scheduler.process import binding, scheduled_condition, status_patch
from tests.unit.scheduler_objects import node, pod


def placed(cache: SchedulerCache) -> dict[str, list[str]]:
    """node -> the names of the pods the snapshot counts on it."""
    return {info.name: sorted(p.pod["metadata"]["name"] for p in info.pods)
            for info in cache.snapshot().node_infos}


def cpu_requested(cache: SchedulerCache, name: str) -> int:
    return cache.snapshot().get(name).requested.milli_cpu


def cache_with_nodes(*names: str) -> SchedulerCache:
    cache = SchedulerCache()
    for name in names:
        cache.node_changed(node(name))
    return cache


def test_bound_pods_count_on_their_nodes_and_pending_ones_do_not():
    cache = cache_with_nodes("n1", "n2")
    cache.pod_seen(pod("a", node_name="n1", requests={"cpu": "1"}))
    cache.pod_seen(pod("waiting", requests={"cpu": "1"}))
    assert placed(cache) == {"n1": ["a"], "n2": []}
    assert cpu_requested(cache, "n1") == 1000


def test_snapshot_follows_pod_updates_in_place():
    cache = cache_with_nodes("n1", "n2")
    cache.pod_seen(pod("a", node_name="n1", requests={"cpu": "1"}))
    first = cache.snapshot()
    cache.pod_seen(pod("a", node_name="n1", requests={"cpu": "2"}))  # resized
    cache.pod_seen(pod("b", node_name="n2"))
    assert cache.snapshot() is first  # pods do not rebuild it
    assert placed(cache) == {"n1": ["a"], "n2": ["b"]}
    assert cpu_requested(cache, "n1") == 2000
    cache.pod_gone(pod("a", node_name="n1"))
    assert placed(cache) == {"n1": [], "n2": ["b"]}
    assert cpu_requested(cache, "n1") == 0


def test_node_and_other_changes_rebuild_the_snapshot():
    cache = cache_with_nodes("n1")
    cache.pod_seen(pod("a", node_name="n1"))
    first = cache.snapshot()
    cache.node_changed(node("n2"))
    second = cache.snapshot()
    assert second is not first and placed(cache) == {"n1": ["a"], "n2": []}
    cache.other_changed("namespaces", {"metadata": {"name": "team", "labels": {"x": "1"}}})
    assert cache.snapshot() is not second
    assert cache.snapshot().namespace_labels("team") == {"x": "1"}
    cache.node_deleted(node("n1"))
    assert placed(cache) == {"n2": []}


def test_an_assumed_pod_takes_room_until_confirmed_or_forgotten():
    cache = cache_with_nodes("n1", "n2")
    waiting = pod("p", requests={"cpu": "3"})
    assumed = cache.assume(waiting, "n2")
    assert assumed["spec"]["nodeName"] == "n2" and "nodeName" not in waiting["spec"]
    assert placed(cache) == {"n1": [], "n2": ["p"]} and cpu_requested(cache, "n2") == 3000
    cache.forget(waiting)  # the binding failed
    assert placed(cache) == {"n1": [], "n2": []} and cpu_requested(cache, "n2") == 0

    cache.assume(waiting, "n2")
    cache.pod_seen(pod("p", node_name="n2", requests={"cpu": "3"}))  # the binding seen
    cache.forget(waiting)  # too late: it is bound, not assumed
    assert placed(cache) == {"n1": [], "n2": ["p"]}


def test_an_assumed_pod_seen_still_pending_is_not_counted_twice():
    cache = cache_with_nodes("n1")
    waiting = pod("p", requests={"cpu": "1"})
    cache.assume(waiting, "n1")
    cache.pod_seen(pod("p", node_name="n1", requests={"cpu": "1"}))
    cache.pod_seen(pod("p", node_name="n1", requests={"cpu": "1"}, phase="Running"))
    assert placed(cache) == {"n1": ["p"]} and cpu_requested(cache, "n1") == 1000


def test_failed_attempt_status_patch():
    waiting = pod("p")
    condition = scheduled_condition("Unschedulable", "0/1 nodes are available.",
                                    "2026-12-01T10:00:00Z")
    patch = status_patch(waiting, condition, None)
    assert patch == {"status": {"conditions": [condition]}}
    # Said already: nothing to write.
    waiting["status"]["conditions"] = [condition]
    assert status_patch(waiting, {**condition, "lastTransitionTime": "later"}, None) is None
    # A new message keeps the transition time while the status stays False.
    changed = {**condition, "message": "0/2 nodes are available.",
               "lastTransitionTime": "2026-12-01T11:00:00Z"}
    assert status_patch(waiting, changed, None) == {"status": {"conditions": [
        {**changed, "lastTransitionTime": "2026-12-01T10:00:00Z"}]}}
    # A nomination is recorded, and cleared with "".
    assert status_patch(waiting, condition, "n1") == {"status": {"nominatedNodeName": "n1"}}
    waiting["status"]["nominatedNodeName"] = "n1"
    assert status_patch(waiting, condition, "") == {"status": {"nominatedNodeName": None}}
    assert status_patch(waiting, condition, "n1") is None


def test_binding_names_the_pod_and_its_node():
    assert binding(pod("p", namespace="team"), "n1") == {
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": "p", "namespace": "team", "uid": "uid-p"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}}
