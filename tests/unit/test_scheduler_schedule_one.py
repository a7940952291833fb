"""schedule_one end to end with the default profile: the best node, ties,
how many nodes it looks at (100 / 1,000 / 5,000 nodes) and where the next
cycle starts, the nominated node, and FitError messages."""

from __future__ import annotations

import random
from collections import Counter

from kubelite.scheduler import (
    Profile,
    Snapshot,
    default_profile,
    fit_error_message,
    schedule_one,
)
from kubelite.scheduler.plugins import DEFAULT_WEIGHTS, NodeName, NodeUnschedulable
from tests.unit.scheduler_objects import ZONE, container, node, pod

RNG = random.Random(1)


def test_default_profile_plugins_and_weights():
    profile = default_profile()
    assert [p.name for p in profile.filter_plugins] == [
        "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
        "NodeResourcesFit", "VolumeRestrictions", "PodTopologySpread", "InterPodAffinity"]
    assert [(p.name, profile.weight(p)) for p in profile.score_plugins] == [
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1),
        ("PodTopologySpread", 2), ("InterPodAffinity", 2),
        ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1)]
    assert DEFAULT_WEIGHTS["TaintToleration"] == 3


def test_the_least_allocated_balanced_node_wins():
    snap = Snapshot(
        [node("busy", cpu="4", memory="8Gi"), node("idle", cpu="4", memory="8Gi"),
         node("small", cpu="1", memory="1Gi")],
        [pod("a", node_name="busy", requests={"cpu": "3", "memory": "6Gi"})],
    )
    result = schedule_one(pod("p", requests={"cpu": "500m", "memory": "1Gi"}), snap,
                          default_profile(), rng=RNG)
    assert result.error is None and result.suggested_host == "idle"
    assert (result.evaluated_nodes, result.feasible_nodes) == (3, 3)
    totals = {s.name: s.total for s in result.scores}
    assert totals["idle"] > totals["small"] and totals["idle"] > totals["busy"]
    # idle: LeastAllocated cpu (4000-500)*100/4000 = 87, memory 87 -> 87;
    # balanced 100; taints 100 * 3; image locality 0.
    assert result.scores[[s.name for s in result.scores].index("idle")].scores == {
        "TaintToleration": 300, "NodeResourcesFit": 87,
        "NodeResourcesBalancedAllocation": 100, "ImageLocality": 0}


def test_ties_are_broken_at_random():
    snap = Snapshot([node("n1"), node("n2"), node("n3")])
    rng = random.Random(42)
    picks = Counter(schedule_one(pod("p"), snap, default_profile(), rng=rng).suggested_host
                    for _ in range(300))
    assert set(picks) == {"n1", "n2", "n3"} and min(picks.values()) > 70
    again = [schedule_one(pod("p"), snap, default_profile(), rng=random.Random(5)).suggested_host
             for _ in range(3)]
    assert len(set(again)) == 1  # the same seed, the same choice


def _nodes(count, **kw):
    return [node(f"n{i:05d}", **kw) for i in range(count)]


def test_search_stops_after_enough_feasible_nodes():
    for count, wanted in ((100, 100), (1000, 420), (5000, 500)):
        snap = Snapshot(_nodes(count))
        result = schedule_one(pod("p"), snap, default_profile(), start_index=0, rng=RNG)
        assert (result.evaluated_nodes, result.feasible_nodes) == (wanted, wanted), count
        assert result.next_start_index == wanted % count
    snap = Snapshot(_nodes(1000))
    result = schedule_one(pod("p"), snap, default_profile(), start_index=900, rng=RNG)
    assert result.next_start_index == (900 + 420) % 1000
    assert result.suggested_host is not None
    assert int(result.suggested_host[1:]) >= 900 or int(result.suggested_host[1:]) < 320


def test_rejected_nodes_count_as_evaluated():
    snap = Snapshot(_nodes(200, cpu="100m") + [node(f"m{i:04d}") for i in range(800)])
    result = schedule_one(pod("p", requests={"cpu": "1"}), snap, default_profile(), rng=RNG)
    assert (result.feasible_nodes, len(result.statuses)) == (420, 200)
    assert result.evaluated_nodes == result.next_start_index == 620
    assert result.suggested_host.startswith("m")


def test_a_percentage_of_nodes_to_score_and_no_score_plugins():
    snap = Snapshot(_nodes(1000))
    result = schedule_one(pod("p"), snap, default_profile(percentage_of_nodes_to_score=20),
                          rng=RNG)
    assert result.feasible_nodes == 200
    # Without score plugins the first feasible node is enough.
    filters_only = Profile.of([NodeUnschedulable(), NodeName()])
    result = schedule_one(pod("p"), snap, filters_only, start_index=7, rng=RNG)
    assert (result.suggested_host, result.evaluated_nodes, result.next_start_index) == (
        "n00007", 1, 8)


def test_fit_error_for_a_mix_of_failures():
    snap = Snapshot(
        [node("n1", cpu="1", labels={"disk": "ssd"}), node("n2", labels={"disk": "hdd"}),
         node("n3", labels={"disk": "hdd"})],
    )
    p = pod("p", requests={"cpu": "2"}, nodeSelector={"disk": "ssd"})
    result = schedule_one(p, snap, default_profile(), rng=RNG)
    assert result.suggested_host is None and result.error is None
    assert result.evaluated_nodes == 3 and result.feasible_nodes == 0
    assert fit_error_message(result, len(snap)) == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't match Pod's node affinity/selector."
    )
    assert result.unschedulable_plugins == {"NodeResourcesFit", "NodeAffinity"}
    assert result.next_start_index == 0  # all 3 looked at: 3 % 3


def test_fit_error_for_taints_cordons_ports_and_spreading():
    taint = [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]
    port = {"containerPort": 80, "hostPort": 80}
    snap = Snapshot(
        [node("t", zone="a", taints=taint), node("c", zone="a", unschedulable=True),
         node("p", zone="a"), node("s1", zone="b"), node("s2", zone="b")],
        [pod("web", node_name="p", containers=[container(ports=[port])]),
         *[pod(f"x{i}", labels={"app": "x"}, node_name="s1") for i in range(2)]],
    )
    spread = [{"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "x"}}}]
    new = pod("new", labels={"app": "x"}, containers=[container(ports=[port])],
              topologySpreadConstraints=spread)
    result = schedule_one(new, snap, default_profile(), rng=RNG)
    assert fit_error_message(result, len(snap)) == (
        "0/5 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, "
        "1 node(s) had untolerated taint {dedicated: infra}, "
        "1 node(s) were unschedulable, "
        "2 node(s) didn't match pod topology spread constraints."
    )


def test_pre_filter_failures_and_node_sets():
    snap = Snapshot([node("n1", cpu="1"), node("n2"), node("n3")])

    def by_name(*names_):
        return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [
                {"key": "metadata.name", "operator": "In", "values": [n]} for n in names_]}]}}}

    narrowed = schedule_one(pod("p", requests={"cpu": "2"}, affinity=by_name("n1")), snap,
                            default_profile(), rng=RNG)
    assert fit_error_message(narrowed, 3) == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )
    assert narrowed.evaluated_nodes == 1
    ok = schedule_one(pod("p", affinity=by_name("n3")), snap, default_profile(), rng=RNG)
    assert (ok.suggested_host, ok.evaluated_nodes) == ("n3", 1)
    conflict = schedule_one(pod("p", affinity=by_name("n1", "n2")), snap, default_profile(),
                            rng=RNG)
    assert conflict.suggested_host is None and conflict.evaluated_nodes == 0
    assert fit_error_message(conflict, 3) == "0/3 nodes are available: pod affinity terms conflict."
    assert conflict.unschedulable_plugins == {"NodeAffinity"}


def test_nominated_node_is_tried_first():
    snap = Snapshot(
        [node("idle"), node("nominated")],
        [pod("a", node_name="nominated", requests={"cpu": "3"})],
    )
    p = pod("p")
    p["status"]["nominatedNodeName"] = "nominated"
    result = schedule_one(p, snap, default_profile(), start_index=1, rng=RNG)
    assert (result.suggested_host, result.evaluated_nodes, result.next_start_index) == (
        "nominated", 1, 1)
    # When it no longer fits, the normal search runs.
    p = pod("p", requests={"cpu": "2"})
    p["status"]["nominatedNodeName"] = "nominated"
    result = schedule_one(p, snap, default_profile(), rng=RNG)
    assert result.suggested_host == "idle"


def test_errors():
    result = schedule_one(pod("p"), Snapshot([]), default_profile(), rng=RNG)
    assert result.error is not None and result.error.message() == (
        "no nodes available to schedule pods")
