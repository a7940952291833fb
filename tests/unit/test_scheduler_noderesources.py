"""NodeResourcesFit (Filter; LeastAllocated, MostAllocated and
RequestedToCapacityRatio scores) and NodeResourcesBalancedAllocation,
checked against upstream's test tables worked through by hand."""

from __future__ import annotations

from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.plugins import (
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    ScoringStrategy,
)
from kubelite.scheduler.plugins.noderesources.scoring import ResourceSpec
from tests.unit.scheduler_objects import container, filter_statuses, node, pod, reasons, scores

# Upstream's tables write cpu in cores and memory in bytes: "4000" cores.
TWO_CONTAINERS = [container(requests={"cpu": "1000", "memory": "2000"}),
                  container("d", requests={"cpu": "2000", "memory": "3000"})]


def _table_node(name, cpu, memory, **kw):
    return node(name, cpu=cpu, memory=memory, **kw)


# --- Filter ------------------------------------------------------------------


def test_fit_filter_reasons():
    snap = Snapshot(
        [node("n1", cpu="2", memory="4Gi", extra={"example.com/gpu": "1"}),
         node("n2", cpu="8", memory="1Gi"),
         node("n3", cpu="8", memory="16Gi", pods="1")],
        [pod("a", node_name="n1", requests={"cpu": "1500m", "example.com/gpu": "1"}),
         pod("b", node_name="n3")],
    )
    want = pod("p", requests={"cpu": "1", "memory": "2Gi", "example.com/gpu": "1"})
    got = filter_statuses(NodeResourcesFit(), want, snap)
    assert reasons(got) == {
        "n1": ("Insufficient cpu", "Insufficient example.com/gpu"),
        "n2": ("Insufficient memory", "Insufficient example.com/gpu"),
        "n3": ("Too many pods", "Insufficient example.com/gpu"),
    }
    assert got["n1"].code == Code.UNSCHEDULABLE
    ignoring = NodeResourcesFit(ignored_resource_groups=["example.com"])
    assert reasons(filter_statuses(ignoring, want, snap)) == {
        "n1": ("Insufficient cpu",), "n2": ("Insufficient memory",), "n3": ("Too many pods",)}


def test_fit_filter_exact_fit_zero_requests_and_ephemeral_storage():
    snap = Snapshot([node("n1", cpu="1", memory="1Gi", extra={"ephemeral-storage": "10Gi"})],
                    [pod("a", node_name="n1", requests={"cpu": "500m"})])
    assert filter_statuses(NodeResourcesFit(), pod("p", requests={"cpu": "500m"}),
                           snap)["n1"].is_success()
    assert reasons(filter_statuses(NodeResourcesFit(), pod("p", requests={"cpu": "501m"}),
                                   snap)) == {"n1": ("Insufficient cpu",)}
    assert filter_statuses(NodeResourcesFit(), pod("p"), snap)["n1"].is_success()
    assert reasons(filter_statuses(
        NodeResourcesFit(), pod("p", requests={"ephemeral-storage": "11Gi"}), snap)) == {
        "n1": ("Insufficient ephemeral-storage",)}


# --- LeastAllocated (the default) --------------------------------------------


def test_least_allocated_differently_sized_nodes():
    # node1: cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 -> 37
    # node2: cpu (6000-3000)*100/6000 = 50, memory 50 -> 50
    snap = Snapshot([_table_node("node1", "4000", "10000"),
                     _table_node("node2", "6000", "10000")])
    p = pod("p", containers=TWO_CONTAINERS)
    assert scores(NodeResourcesFit(), p, snap) == {"node1": 37, "node2": 50}
    # memory weighs 2: node1 (25 + 2 * 50) / 3 = 41, node2 50
    weighted = NodeResourcesFit(scoring_strategy=ScoringStrategy(
        resources=(ResourceSpec("memory", 2), ResourceSpec("cpu", 1))))
    assert scores(weighted, p, snap) == {"node1": 41, "node2": 50}


def test_least_allocated_with_pods_scheduled():
    # node1: cpu (10000-6000)/10000 = 40, memory (20000-5000)/20000 = 75 -> 57
    # node2: cpu 40, memory (50000-10000)/50000 = 80 -> 60
    snap = Snapshot(
        [_table_node("node1", "10000", "20000"), _table_node("node2", "10000", "50000")],
        [pod("a", node_name="node1", requests={"cpu": "3000", "memory": "0"}),
         pod("b", node_name="node2", requests={"cpu": "3000", "memory": "5000"})],
    )
    assert scores(NodeResourcesFit(), pod("p", containers=TWO_CONTAINERS), snap) == {
        "node1": 57, "node2": 60}


def test_least_allocated_requested_beyond_capacity_scores_zero():
    # cpu 3000 + 3000 > 4000 -> 0; memory node1 100, node2 50 -> 50, 25
    snap = Snapshot(
        [_table_node("node1", "4000", "10000"), _table_node("node2", "4000", "10000")],
        [pod("a", node_name="node1", requests={"cpu": "3000", "memory": "0"}),
         pod("b", node_name="node2", requests={"cpu": "3000", "memory": "5000"})],
    )
    p = pod("p", requests={"cpu": "3000", "memory": "0"})
    assert scores(NodeResourcesFit(), p, snap) == {"node1": 50, "node2": 25}


def test_least_allocated_counts_default_requests_for_containers_without_any():
    # The pod's single container requests nothing: 100m and 200Mi are assumed.
    snap = Snapshot([node("n1", cpu="1", memory="1Gi")])
    # cpu (1000-100)*100/1000 = 90, memory (1024-200)*100/1024 = 80 -> 85
    assert scores(NodeResourcesFit(), pod("p"), snap) == {"n1": 85}


# --- MostAllocated -------------------------------------------------------------


def test_most_allocated():
    # node1: cpu 3000*100/4000 = 75, memory 5000*100/10000 = 50 -> 62
    # node2: cpu 3000*100/6000 = 50, memory 50 -> 50
    snap = Snapshot([_table_node("node1", "4000", "10000"),
                     _table_node("node2", "6000", "10000")])
    most = NodeResourcesFit(scoring_strategy=ScoringStrategy(type="MostAllocated"))
    assert scores(most, pod("p", containers=TWO_CONTAINERS), snap) == {"node1": 62, "node2": 50}
    # Requests beyond capacity count as full: cpu 100, memory 9000*100/10000 = 90 -> 95
    over = pod("p", requests={"cpu": "5000", "memory": "9000"})
    assert scores(most, over, snap, nodes=["node1"]) == {"node1": 95}


# --- RequestedToCapacityRatio ------------------------------------------------------


def test_requested_to_capacity_ratio():
    snap = Snapshot([_table_node("node1", "4000", "10000")])
    p = pod("p", containers=TWO_CONTAINERS)
    rising = NodeResourcesFit(scoring_strategy=ScoringStrategy(
        type="RequestedToCapacityRatio", shape=((0, 0), (100, 10))))
    # cpu 75% -> 75, memory 50% -> 50; mean 62.5 rounds half away from zero
    assert scores(rising, p, snap) == {"node1": 63}
    falling = NodeResourcesFit(scoring_strategy=ScoringStrategy(
        type="RequestedToCapacityRatio", shape=((0, 10), (100, 0))))
    # cpu 25, memory 50 -> 37.5 -> 38
    assert scores(falling, p, snap) == {"node1": 38}
    steep = NodeResourcesFit(scoring_strategy=ScoringStrategy(
        type="RequestedToCapacityRatio", shape=((0, 10), (30, 0)),
        resources=(ResourceSpec("cpu"),)))
    # 10% on a 100 -> 0 over 0..30 line: 100 + (-100 * 10) / 30, truncated toward
    # zero as Go does: 100 - 33 = 67
    assert scores(steep, pod("p", requests={"cpu": "400"}), snap) == {"node1": 67}
    # 50% is past the last point: its score, 0; a mean over nothing is 0.
    assert scores(steep, pod("p", requests={"cpu": "2000"}), snap) == {"node1": 0}


# --- BalancedAllocation ---------------------------------------------------------


def test_balanced_allocation_two_resources():
    # node1: cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5: (1 - 0.125) * 100 = 87
    # node2: 0.5 and 0.5: 100
    snap = Snapshot([_table_node("node1", "4000", "10000"),
                     _table_node("node2", "6000", "10000")])
    p = pod("p", containers=TWO_CONTAINERS)
    assert scores(NodeResourcesBalancedAllocation(), p, snap) == {"node1": 87, "node2": 100}


def test_balanced_allocation_uses_plain_requests_and_three_resources():
    snap = Snapshot(
        [node("n1", cpu="4", memory="4Gi", extra={"ephemeral-storage": "4Gi"})],
        [pod("a", node_name="n1", requests={"cpu": "1", "memory": "0"})],
    )
    # A pod with no requests adds nothing (no 100m / 200Mi defaults here):
    # cpu 1/4 and memory 0/4 -> (1 - 0.125) * 100 = 87
    assert scores(NodeResourcesBalancedAllocation(), pod("p"), snap) == {"n1": 87}
    three = NodeResourcesBalancedAllocation(resources=(
        ResourceSpec("cpu"), ResourceSpec("memory"), ResourceSpec("ephemeral-storage")))
    # fractions 0.5, 0.25, 0.75: std = sqrt(0.125 / 3) = 0.2041 -> 79
    p = pod("p", requests={"cpu": "1", "memory": "1Gi", "ephemeral-storage": "3Gi"})
    assert scores(three, p, snap) == {"n1": 79}
