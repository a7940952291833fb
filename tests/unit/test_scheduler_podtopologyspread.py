"""PodTopologySpread: hard constraints (maxSkew, minDomains, missing labels,
inclusion policies, matchLabelKeys) and soft ones, including the system
default spreading of a controller's pods across nodes and zones."""

from __future__ import annotations

from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.plugins import PodTopologySpread
from tests.unit.scheduler_objects import ZONE, filter_statuses, node, pod, reasons, scores

SKEW = ("node(s) didn't match pod topology spread constraints",)
MISSING = ("node(s) didn't match pod topology spread constraints (missing required label)",)
FOO = {"app": "foo"}


def _spread(key=ZONE, max_skew=1, when="DoNotSchedule", selector=FOO, **extra):
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": selector}, **extra}


def _cluster(extra_nodes=(), extra_pods=()):
    # zone a holds 3 matching pods (2 on a1, 1 on a2), zone b 1 (on b1).
    nodes = [node("a1", zone="a"), node("a2", zone="a"), node("b1", zone="b"),
             node("b2", zone="b"), *extra_nodes]
    pods = [pod("p1", labels=FOO, node_name="a1"), pod("p2", labels=FOO, node_name="a1"),
            pod("p3", labels=FOO, node_name="a2"), pod("p4", labels=FOO, node_name="b1"),
            pod("other", labels={"app": "bar"}, node_name="b2"), *extra_pods]
    return Snapshot(nodes, pods)


def test_max_skew():
    p = pod("new", labels=FOO, topologySpreadConstraints=[_spread()])
    got = filter_statuses(PodTopologySpread(), p, _cluster())
    # zone a: 3 + 1 - 1 = 3 > 1; zone b: 1 + 1 - 1 = 1
    assert reasons(got) == {"a1": SKEW, "a2": SKEW, "b1": (), "b2": ()}
    assert got["a1"].code == Code.UNSCHEDULABLE
    # A pod the selector does not match adds nothing to its own domain.
    q = pod("new", labels={"app": "bar"}, topologySpreadConstraints=[_spread(max_skew=2)])
    assert reasons(filter_statuses(PodTopologySpread(), q, _cluster())) == {
        "a1": (), "a2": (), "b1": (), "b2": ()}


def test_missing_topology_label_and_min_domains():
    p = pod("new", labels=FOO, topologySpreadConstraints=[_spread()])
    got = filter_statuses(PodTopologySpread(), p, _cluster(extra_nodes=[node("bare")]))
    assert got["bare"].reasons == MISSING
    assert got["bare"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    # Two zones but minDomains 3: the global minimum counts as 0, so even
    # zone b (1 + 1 - 0 = 2) exceeds maxSkew 1.
    q = pod("new", labels=FOO, topologySpreadConstraints=[_spread(minDomains=3)])
    assert all(s.reasons == SKEW for s in filter_statuses(PodTopologySpread(), q,
                                                          _cluster()).values())


def test_node_inclusion_policies():
    only_a = {"topology.kubernetes.io/zone": "a"}
    # Honor (default): zone b is not a domain for a pod that selects zone a,
    # so the minimum is zone a's 3: 3 + 1 - 3 = 1 fits.
    p = pod("new", labels=FOO, nodeSelector=only_a, topologySpreadConstraints=[_spread()])
    got = filter_statuses(PodTopologySpread(), p, _cluster())
    assert got["a1"].is_success() and got["a2"].is_success()
    q = pod("new", labels=FOO, nodeSelector=only_a,
            topologySpreadConstraints=[_spread(nodeAffinityPolicy="Ignore")])
    assert filter_statuses(PodTopologySpread(), q, _cluster())["a1"].reasons == SKEW
    # nodeTaintsPolicy Honor: tainted zone-b nodes do not count as domains.
    taint = [{"key": "k", "value": "v", "effect": "NoSchedule"}]
    snap = Snapshot(
        [node("a1", zone="a"), node("b1", zone="b", taints=taint)],
        [pod("p1", labels=FOO, node_name="a1")],
    )
    honor = pod("new", labels=FOO,
                topologySpreadConstraints=[_spread(nodeTaintsPolicy="Honor")])
    assert filter_statuses(PodTopologySpread(), honor, snap)["a1"].is_success()
    ignore = pod("new", labels=FOO, topologySpreadConstraints=[_spread()])
    assert filter_statuses(PodTopologySpread(), ignore, snap)["a1"].reasons == SKEW


def test_match_label_keys():
    snap = Snapshot(
        [node("a1", zone="a"), node("b1", zone="b")],
        [pod("old1", labels={**FOO, "hash": "1"}, node_name="a1"),
         pod("old2", labels={**FOO, "hash": "1"}, node_name="a1"),
         pod("new1", labels={**FOO, "hash": "2"}, node_name="b1")],
    )
    p = pod("new", labels={**FOO, "hash": "2"},
            topologySpreadConstraints=[_spread(matchLabelKeys=["hash"])])
    # Only hash=2 pods count: a 0, b 1 -> a1 fits (0 + 1 - 0), b1 does not (1 + 1 - 0).
    assert reasons(filter_statuses(PodTopologySpread(), p, snap)) == {"a1": (), "b1": SKEW}
    plain = pod("new", labels={**FOO, "hash": "2"}, topologySpreadConstraints=[_spread()])
    assert reasons(filter_statuses(PodTopologySpread(), plain, snap)) == {"a1": SKEW, "b1": ()}


def test_soft_constraint_score():
    p = pod("new", labels=FOO, topologySpreadConstraints=[_spread(when="ScheduleAnyway")])
    # Two zones: weight ln(2 + 2). Zone a: round(3 * 1.386) = 4, zone b:
    # round(1.386) = 1. Normalized: 100 * (4 + 1 - score) / 4.
    assert scores(PodTopologySpread(), p, _cluster()) == {
        "a1": 25, "a2": 25, "b1": 100, "b2": 100}
    # With the pod's own constraints, nodes without the key are ignored (0).
    got = scores(PodTopologySpread(), p, _cluster(extra_nodes=[node("bare")]))
    assert got["bare"] == 0
    # Hard-only constraints leave nothing to score.
    hard = pod("new", labels=FOO, topologySpreadConstraints=[_spread()])
    assert scores(PodTopologySpread(), hard, _cluster()) == {}


def _owned(name, node_name=None):
    return pod(name, labels={"app": "web"}, node_name=node_name, owner={
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "rs",
        "controller": True})


REPLICA_SET = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": "web-1", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"app": "web"}}}}


def test_system_default_spreading_of_a_replica_set():
    snap = Snapshot(
        [node("n1", zone="a"), node("n2", zone="a"), node("n3", zone="b")],
        [_owned("w1", "n1"), _owned("w2", "n1"), _owned("w3", "n3")],
        replica_sets=[REPLICA_SET],
    )
    # hostname (maxSkew 3) weighs ln(3 + 2), zone (maxSkew 5) ln(2 + 2):
    # n1: 2 * 1.609 + 2 + 2 * 1.386 + 4 = 11.99 -> 12
    # n2: 0 + 2 + 6.77 -> 9;  n3: 1.609 + 2 + 1.386 + 4 = 9.00 -> 9
    # normalized 100 * (12 + 9 - score) / 12: 75, 100, 100
    assert scores(PodTopologySpread(), _owned("new"), snap) == {"n1": 75, "n2": 100, "n3": 100}
    # Defaults are soft only: Filter has nothing to do.
    assert all(s.is_success() for s in
               filter_statuses(PodTopologySpread(), _owned("new"), snap).values())
    # Without the ReplicaSet (or any Service) there is no selector: no spreading.
    bare = Snapshot([node("n1", zone="a"), node("n2", zone="b")], [_owned("w1", "n1")])
    assert scores(PodTopologySpread(), _owned("new"), bare) == {}


def test_system_defaults_still_spread_by_hostname_without_zones():
    snap = Snapshot(
        [node("n1", zone="a"), node("n2", zone="a"), node("n3", zone="b"), node("n4")],
        [_owned("w1", "n1"), _owned("w2", "n1"), _owned("w3", "n3")],
        replica_sets=[REPLICA_SET],
    )
    # n4 has no zone: not ignored under system defaults, and "" counts as a
    # third zone value for the weight: hostname ln(6), zone ln(5).
    # n1 12.80 -> 13, n2 9.22 -> 9, n3 9.40 -> 9, n4 hostname only 2.
    # normalized 100 * (13 + 2 - score) / 13: 15, 46, 46, 100
    assert scores(PodTopologySpread(), _owned("new"), snap) == {
        "n1": 15, "n2": 46, "n3": 46, "n4": 100}


def test_service_selector_defines_the_default_spreading():
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"selector": {"app": "web"}}}
    plain = [pod(f"w{i}", labels={"app": "web"}, node_name="n1") for i in range(3)]
    snap = Snapshot([node("n1"), node("n2")], plain, services=[service])
    # No zone labels: only hostname spreading scores (a node adds a
    # constraint's term only when it has the key). n1: 3 * ln(2 + 2) + 2 =
    # 6.16 -> 6; n2: 2. Normalized 100 * (6 + 2 - score) / 6: 33, 100.
    assert scores(PodTopologySpread(), pod("new", labels={"app": "web"}), snap) == {
        "n1": 33, "n2": 100}
