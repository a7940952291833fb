"""DefaultPreemption over small constructed snapshots: which node and which
victims, PodDisruptionBudgets respected as far as possible, the choice
between candidates, the messages exactly as upstream words them, and
Filter with nominated pods."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from kubelite.scheduler import Snapshot, default_profile, fit_error_message, schedule_one
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.runtime import run_filter_plugins_with_nominated_pods
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.preemption import (
    Candidate,
    filter_pods_with_pdb_violation,
    num_candidates,
    pick_one_node_for_preemption,
    preempt,
    victim_condition,
)
from tests.unit.scheduler_objects import node, pod, term

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


class First:
    """An rng whose randrange always answers 0 (the dry run starts at the
    first candidate node)."""

    def randrange(self, stop: int) -> int:
        return 0


def running(name: str, node_name: str, priority: int, cpu: str = "1",
            started: str | None = "2025-01-01T10:00:00Z", **extra: Any) -> dict:
    p = pod(name, node_name=node_name, requests={"cpu": cpu}, priority=priority, **extra)
    if started:
        p["status"]["startTime"] = started
    return p


def attempt(preemptor: dict, nodes: list[dict], pods: list[dict], **kwargs: Any):
    snapshot = Snapshot(nodes, pods)
    profile = default_profile()
    result = schedule_one(preemptor, snapshot, profile, rng=random.Random(0))
    assert result.suggested_host is None and result.error is None
    outcome = preempt(preemptor, snapshot, profile, result, rng=kwargs.pop("rng", First()),
                      now=NOW, **kwargs)
    return result, outcome, snapshot


def names(objs: list[dict]) -> list[str]:
    return [o["metadata"]["name"] for o in objs]


def test_lowest_priority_victims_on_the_best_node() -> None:
    nodes = [node("n1", cpu="2"), node("n2", cpu="2"), node("n3", cpu="2")]
    pods = [
        running("mid-a", "n1", 50), running("mid-b", "n1", 50),
        running("low-old", "n2", 10, started="2025-01-01T09:00:00Z"),
        running("low-new", "n2", 10, started="2025-01-01T11:00:00Z"),
        running("high", "n3", 1000, cpu="2"),
    ]
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    _, outcome, _ = attempt(preemptor, nodes, pods)
    assert outcome.status.is_success() and outcome.message() == ""
    assert outcome.nominated_node == "n2"
    # Of two equal victims the one started earlier is more important: it
    # is reprieved, the later one goes.
    assert names(outcome.victims) == ["low-new"]


def test_pdbs_are_respected_best_effort() -> None:
    nodes = [node("n1", cpu="1"), node("n2", cpu="1")]
    guarded = running("guarded", "n1", 10, labels={"app": "db"})
    pods = [guarded, running("plain", "n2", 20, labels={"app": "web"})]
    pdb = {"metadata": {"name": "db", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "db"}}},
           "status": {"disruptionsAllowed": 0}}
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    # Without the budget the lower victim would go; with it, the node whose
    # eviction breaks no budget wins although its victim is more important.
    _, outcome, _ = attempt(preemptor, nodes, pods)
    assert (outcome.nominated_node, names(outcome.victims)) == ("n1", ["guarded"])
    _, outcome, _ = attempt(preemptor, nodes, pods, pdbs=[pdb])
    assert (outcome.nominated_node, names(outcome.victims)) == ("n2", ["plain"])
    # Best effort: when only the guarded pod can make room, it is still chosen.
    _, outcome, _ = attempt(preemptor, [nodes[0]], [guarded], pdbs=[pdb])
    assert (outcome.nominated_node, names(outcome.victims)) == ("n1", ["guarded"])
    # A pod already counted in status.disruptedPods breaks nothing more.
    counted = dict(pdb, status={"disruptionsAllowed": 0, "disruptedPods": {"guarded": "x"}})
    violating, fine = filter_pods_with_pdb_violation([PodInfo.of(guarded)], [counted])
    assert (violating, [p.name for p in fine]) == ([], ["guarded"])


def test_victims_breaking_a_budget_are_reprieved_first() -> None:
    nodes = [node("n1", cpu="2")]
    pods = [running("guarded", "n1", 10, labels={"app": "db"},
                    started="2025-01-01T11:00:00Z"),
            running("plain", "n1", 10, labels={"app": "web"}, started="2025-01-01T09:00:00Z")]
    pdb = {"metadata": {"name": "db", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "db"}}},
           "status": {"disruptionsAllowed": 0}}
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    _, outcome, _ = attempt(preemptor, nodes, pods)
    assert names(outcome.victims) == ["guarded"]  # started later: less important
    _, outcome, _ = attempt(preemptor, nodes, pods, pdbs=[pdb])
    assert names(outcome.victims) == ["plain"]


def test_budget_counts_down_in_importance_order() -> None:
    pdb = {"metadata": {"namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "db"}}},
           "status": {"disruptionsAllowed": 1}}
    pods = [PodInfo.of(pod(f"db-{i}", labels={"app": "db"})) for i in range(3)]
    other_ns = PodInfo.of(pod("elsewhere", namespace="other", labels={"app": "db"}))
    unlabeled = PodInfo.of(pod("bare"))
    violating, fine = filter_pods_with_pdb_violation(pods + [other_ns, unlabeled], [pdb])
    assert [p.name for p in violating] == ["db-1", "db-2"]
    assert [p.name for p in fine] == ["db-0", "elsewhere", "bare"]
    empty = dict(pdb, spec={"selector": {}})
    assert filter_pods_with_pdb_violation(pods, [empty])[0] == []


def _candidate(node_name: str, *victims: tuple[int, str | None], violations: int = 0):
    return Candidate(node_name, [PodInfo.of(running(f"{node_name}-{i}", node_name, prio,
                                                    started=started))
                                 for i, (prio, started) in enumerate(victims)], violations)


def test_candidate_criteria_in_order() -> None:
    early, late = "2025-01-01T08:00:00Z", "2025-01-01T11:00:00Z"
    pick = pick_one_node_for_preemption
    assert pick([], NOW) is None
    # Fewest budget violations first, whatever the priorities.
    assert pick([_candidate("a", (1, early), violations=1), _candidate("b", (90, early))],
                NOW).node == "b"
    # Then the lowest highest-victim priority.
    assert pick([_candidate("a", (50, early)), _candidate("b", (40, early), (40, early))],
                NOW).node == "b"
    # Then the smallest sum of priorities.
    assert pick([_candidate("a", (40, early), (30, early)),
                 _candidate("b", (40, early), (20, early))], NOW).node == "b"
    # Negative priorities: fewer victims make the smaller (offset) sum.
    assert pick([_candidate("a", (-5, early), (-5, early)), _candidate("b", (-5, early))],
                NOW).node == "b"
    # Then the fewest victims.
    assert pick([_candidate("a", (40, early), (0, early), (0, early)),
                 _candidate("b", (40, early), (0, early), (0, early)),
                 _candidate("c", (40, early), (0, early))], NOW).node == "c"
    # Then the latest earliest start among the highest-priority victims; a
    # pod that has not started counts as starting now.
    assert pick([_candidate("a", (40, early)), _candidate("b", (40, late))], NOW).node == "b"
    assert pick([_candidate("a", (40, late)), _candidate("b", (40, None))], NOW).node == "b"
    # Then the first.
    assert pick([_candidate("a", (40, early)), _candidate("b", (40, early))], NOW).node == "a"


def test_never_preempts_and_the_fit_error_message() -> None:
    preemptor = pod("p", requests={"cpu": "1"}, priority=100, preemptionPolicy="Never")
    result, outcome, snapshot = attempt(preemptor, [node("n1", cpu="1")],
                                        [running("low", "n1", 1)])
    assert outcome.status.code == Code.UNSCHEDULABLE
    assert outcome.nominated_node is None and outcome.victims == []
    assert outcome.message() == "preemption: not eligible due to preemptionPolicy=Never."
    assert fit_error_message(result, len(snapshot), outcome.message()) == (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: not eligible due to preemptionPolicy=Never.."
    )


def test_no_victims_message() -> None:
    nodes = [node(f"n{i}", cpu="1") for i in range(3)]
    pods = [running(f"high-{i}", f"n{i}", 1000) for i in range(3)]
    result, outcome, snapshot = attempt(pod("p", requests={"cpu": "1"}, priority=100),
                                        nodes, pods)
    assert outcome.nominated_node == ""  # clears a nomination the pod had
    assert outcome.message() == (
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    assert fit_error_message(result, len(snapshot), outcome.message()) == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod.."
    )


def test_not_helpful_message_for_unresolvable_nodes() -> None:
    nodes = [node("n1", cpu="1"),
             node("n2", labels={"disk": "hdd"},
                  taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]),
             node("n3", unschedulable=True)]
    pods = [running("high", "n1", 1000)]
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    _, outcome, _ = attempt(preemptor, nodes, pods)
    assert outcome.message() == (
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.")
    affine = pod("p", requests={"cpu": "1"}, priority=100, nodeSelector={"disk": "ssd"})
    _, outcome, _ = attempt(affine, nodes[1:], [])
    assert outcome.message() == (
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_filter_still_failing_without_the_victims() -> None:
    preemptor = pod("p", requests={"cpu": "4"}, priority=100)
    _, outcome, _ = attempt(preemptor, [node("n1", cpu="2")], [running("low", "n1", 1)])
    assert outcome.message() == "preemption: 0/1 nodes are available: 1 Insufficient cpu."


def test_anti_affinity_victims_through_remove_pod() -> None:
    # No resource pressure: the preemptor's anti-affinity to app=x is what
    # the lower-priority pod breaks; RemovePod brings InterPodAffinity's
    # counts down so that Filter passes without it.
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        term({"app": "x"})]}}
    pods = [running("x-low", "n1", 10, labels={"app": "x"}),
            running("y-low", "n1", 10, labels={"app": "y"})]
    preemptor = pod("p", requests={"cpu": "1"}, priority=100, affinity=anti)
    result, outcome, _ = attempt(preemptor, [node("n1", cpu="8")], pods)
    assert result.statuses["n1"].reasons == ("node(s) didn't match pod anti-affinity rules",)
    assert (outcome.nominated_node, names(outcome.victims)) == ("n1", ["x-low"])


def test_topology_spread_victims_through_remove_pod() -> None:
    spread = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
               "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "web"}}}]
    nodes = [node("n1", cpu="8"), node("n2", cpu="1")]
    pods = [running("web-low", "n1", 10, labels={"app": "web"}),
            running("web-b", "n1", 10, labels={"app": "web"}),
            running("filler", "n2", 1000, labels={"app": "other"})]
    preemptor = pod("p", requests={"cpu": "1"}, priority=100, labels={"app": "web"},
                    topologySpreadConstraints=spread)
    result, outcome, _ = attempt(preemptor, nodes, pods)
    assert result.statuses["n1"].reasons == (
        "node(s) didn't match pod topology spread constraints",)
    # n1 holds 2 matching pods, n2 none: the pod needs n1 down to 0 (skew
    # 0 + 1 - 0 <= 1), so both go.
    assert outcome.nominated_node == "n1"
    assert sorted(names(outcome.victims)) == ["web-b", "web-low"]


def test_nominated_pods_count_in_filter() -> None:
    snapshot = Snapshot([node("n1", cpu="2")], [])
    profile = default_profile()
    waiting = PodInfo.of(pod("waiting", requests={"cpu": "2"}, priority=500))
    lower = PodInfo.of(pod("lower", requests={"cpu": "2"}, priority=5))
    me = PodInfo.of(pod("me", requests={"cpu": "1"}, priority=100))
    nominated = {"n1": [waiting, lower]}

    def lookup(name: str) -> list[PodInfo]:
        return nominated.get(name, [])

    result = schedule_one(me.pod, snapshot, profile, rng=random.Random(0),
                          nominated_pods=lookup)
    assert result.suggested_host is None
    assert result.statuses["n1"].reasons == ("Insufficient cpu",)
    # Only pods of at least the pod's priority count; the pod itself never.
    nominated["n1"] = [lower, me]
    assert schedule_one(me.pod, snapshot, profile, rng=random.Random(0),
                        nominated_pods=lookup).suggested_host == "n1"
    state = schedule_one(me.pod, snapshot, profile, rng=random.Random(0)).state
    node_info = snapshot.get("n1")
    assert run_filter_plugins_with_nominated_pods(
        profile, state, me, node_info, [waiting]).reasons == ("Insufficient cpu",)
    assert len(node_info.pods) == 0  # the snapshot's node is left alone


def test_lower_priority_nominated_pods_are_reported() -> None:
    nodes = [node("n1", cpu="1")]
    lower = PodInfo.of(pod("lower", requests={"cpu": "1"}, priority=5))
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    _, outcome, _ = attempt(preemptor, nodes, [running("low", "n1", 1)],
                            nominated_pods=lambda n: [lower] if n == "n1" else [])
    assert outcome.nominated_node == "n1"
    assert names(outcome.victims) == ["low"]
    assert names(outcome.lower_priority_nominated_pods) == ["lower"]


def test_terminating_victim_on_the_nominated_node() -> None:
    leaving = running("leaving", "n1", 1)
    leaving["metadata"]["deletionTimestamp"] = "2025-01-01T11:59:00Z"
    leaving["status"]["conditions"] = [victim_condition("default-scheduler")]
    preemptor = pod("p", requests={"cpu": "1"}, priority=100)
    preemptor["status"]["nominatedNodeName"] = "n1"
    _, outcome, _ = attempt(preemptor, [node("n1", cpu="1")], [leaving])
    assert outcome.message() == (
        "preemption: not eligible due to a terminating pod on the nominated node.")
    assert outcome.nominated_node is None
    # The same pod deleted for another reason does not hold preemption back.
    leaving["status"]["conditions"] = []
    _, outcome, _ = attempt(preemptor, [node("n1", cpu="1")], [leaving])
    assert outcome.nominated_node == "n1"


def test_dry_run_offset_and_candidate_count() -> None:
    assert num_candidates(5) == 5
    assert num_candidates(2000) == 200
    assert num_candidates(500) == 100
    assert num_candidates(50, percentage=10, absolute=10) == 10
    nodes = [node(f"n{i}", cpu="1") for i in range(4)]
    pods = [running(f"low-{i}", f"n{i}", 1) for i in range(4)]

    class Third:
        def randrange(self, stop: int) -> int:
            return 2

    # Identical candidates: the first found wins, so the offset decides.
    _, outcome, _ = attempt(pod("p", requests={"cpu": "1"}, priority=100), nodes, pods,
                            rng=Third())
    assert outcome.nominated_node == "n2"
    _, outcome, _ = attempt(pod("p", requests={"cpu": "1"}, priority=100), nodes, pods,
                            rng=Third(), min_candidate_nodes_absolute=1,
                            min_candidate_nodes_percentage=0)
    assert outcome.nominated_node == "n2"


def test_victim_condition() -> None:
    assert victim_condition("default-scheduler") == {
        "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
        "message": "default-scheduler: preempting to accommodate a higher priority pod",
    }
