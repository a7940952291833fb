"""InterPodAffinity: required affinity / anti-affinity of the incoming pod,
existing pods' anti-affinity against it, namespaces and namespaceSelector,
and the preferred-term scores."""

from __future__ import annotations

from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.plugins import InterPodAffinity
from tests.unit.scheduler_objects import ZONE, filter_statuses, node, pod, reasons, scores, term

AFFINITY = ("node(s) didn't match pod affinity rules",)
ANTI = ("node(s) didn't match pod anti-affinity rules",)
EXISTING = ("node(s) didn't satisfy existing pods anti-affinity rules",)


def _affinity(kind, *terms, preferred=False):
    when = ("preferredDuringSchedulingIgnoredDuringExecution" if preferred
            else "requiredDuringSchedulingIgnoredDuringExecution")
    return {kind: {when: list(terms)}}


NODES = [node("a1", zone="a"), node("a2", zone="a"), node("b1", zone="b"), node("nozone")]


def test_required_affinity_follows_the_topology():
    snap = Snapshot(NODES, [pod("db", labels={"app": "db"}, node_name="a1")])
    p = pod("web", labels={"app": "web"},
            affinity=_affinity("podAffinity", term({"app": "db"}, ZONE)))
    got = filter_statuses(InterPodAffinity(), p, snap)
    assert reasons(got) == {"a1": (), "a2": (), "b1": AFFINITY, "nozone": AFFINITY}
    assert got["b1"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE


def test_first_pod_of_a_self_affine_group_may_go_anywhere_with_the_key():
    p = pod("web", labels={"app": "web"},
            affinity=_affinity("podAffinity", term({"app": "web"}, ZONE)))
    got = filter_statuses(InterPodAffinity(), p, Snapshot(NODES))
    assert reasons(got) == {"a1": (), "a2": (), "b1": (), "nozone": AFFINITY}
    # Not when something else matches somewhere, nor when it does not match itself.
    snap = Snapshot(NODES, [pod("w0", labels={"app": "web"}, node_name="b1")])
    assert reasons(filter_statuses(InterPodAffinity(), p, snap)) == {
        "a1": AFFINITY, "a2": AFFINITY, "b1": (), "nozone": AFFINITY}
    other = pod("x", affinity=_affinity("podAffinity", term({"app": "web"}, ZONE)))
    assert all(not s.is_success()
               for s in filter_statuses(InterPodAffinity(), other, Snapshot(NODES)).values())


def test_required_anti_affinity_of_the_incoming_pod():
    snap = Snapshot(NODES, [pod("w0", labels={"app": "web"}, node_name="a1")])
    p = pod("web", labels={"app": "web"},
            affinity=_affinity("podAntiAffinity", term({"app": "web"})))
    got = filter_statuses(InterPodAffinity(), p, snap)
    assert reasons(got) == {"a1": ANTI, "a2": (), "b1": (), "nozone": ()}
    assert got["a1"].code == Code.UNSCHEDULABLE
    by_zone = pod("web", labels={"app": "web"},
                  affinity=_affinity("podAntiAffinity", term({"app": "web"}, ZONE)))
    assert reasons(filter_statuses(InterPodAffinity(), by_zone, snap)) == {
        "a1": ANTI, "a2": ANTI, "b1": (), "nozone": ()}


def test_existing_pods_anti_affinity_rejects_the_incoming_pod():
    loner = pod("loner", node_name="a1",
                affinity=_affinity("podAntiAffinity", term({"app": "web"}, ZONE)))
    snap = Snapshot(NODES, [loner])
    got = filter_statuses(InterPodAffinity(), pod("web", labels={"app": "web"}), snap)
    assert reasons(got) == {"a1": EXISTING, "a2": EXISTING, "b1": (), "nozone": ()}
    # A pod the term does not select is unaffected (and the plugin skips it).
    assert all(s.is_success() for s in
               filter_statuses(InterPodAffinity(), pod("db", labels={"app": "db"}),
                               snap).values())


def test_namespaces_and_namespace_selector():
    namespaces = [{"metadata": {"name": "default"}},
                  {"metadata": {"name": "team-x", "labels": {"team": "x"}}},
                  {"metadata": {"name": "team-y", "labels": {"team": "y"}}}]
    db_x = pod("db", namespace="team-x", labels={"app": "db"}, node_name="a1")
    db_y = pod("db", namespace="team-y", labels={"app": "db"}, node_name="b1")
    snap = Snapshot(NODES, [db_x, db_y], namespaces=namespaces)

    def passing(t):
        p = pod("web", affinity=_affinity("podAffinity", t))
        got = filter_statuses(InterPodAffinity(), p, snap)
        return sorted(n for n, s in got.items() if s.is_success())

    # No namespaces and no selector: the pod's own namespace, where no db runs
    # (and the pod does not match itself).
    assert passing(term({"app": "db"}, ZONE)) == []
    assert passing(term({"app": "db"}, ZONE, namespaces=["team-y"])) == ["b1"]
    assert passing(term({"app": "db"}, ZONE,
                        namespaceSelector={"matchLabels": {"team": "x"}})) == ["a1", "a2"]
    assert passing(term({"app": "db"}, ZONE, namespaceSelector={})) == ["a1", "a2", "b1"]

    # An existing pod's namespaceSelector is matched against the labels of
    # the incoming pod's namespace.
    guard = pod("guard", namespace="team-y", node_name="b1", affinity=_affinity(
        "podAntiAffinity",
        term({"app": "web"}, ZONE, namespaceSelector={"matchLabels": {"team": "x"}})))
    snap = Snapshot(NODES, [guard], namespaces=namespaces)
    in_x = pod("web", namespace="team-x", labels={"app": "web"})
    in_y = pod("web", namespace="team-y", labels={"app": "web"})
    assert reasons(filter_statuses(InterPodAffinity(), in_x, snap))["b1"] == EXISTING
    assert filter_statuses(InterPodAffinity(), in_y, snap)["b1"].is_success()


def test_unparsable_selector_rejects_the_pod():
    bad = {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]},
           "topologyKey": ZONE}
    got = filter_statuses(InterPodAffinity(), pod("p", affinity=_affinity("podAffinity", bad)),
                          Snapshot(NODES))
    assert got["a1"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert got["a1"].reasons[0].startswith("parsing pod: ")


def test_preferred_terms_score():
    snap = Snapshot(
        [node("n1"), node("n2"), node("n3"), node("n4")],
        [pod("db1", labels={"app": "db"}, node_name="n1"),
         pod("web2", labels={"app": "web"}, node_name="n2"),
         pod("db3", labels={"app": "db"}, node_name="n3"),
         pod("web3", labels={"app": "web"}, node_name="n3")],
    )
    p = pod("p", affinity={
        **_affinity("podAffinity", {"weight": 10, "podAffinityTerm": term({"app": "db"})},
                    preferred=True),
        **_affinity("podAntiAffinity", {"weight": 5, "podAffinityTerm": term({"app": "web"})},
                    preferred=True),
    })
    # raw: n1 +10, n2 -5, n3 +5, n4 0; min-max over -5..10:
    # (10+5)/15 -> 100, 0, (5+5)/15 -> 66, (0+5)/15 -> 33
    assert scores(InterPodAffinity(), p, snap) == {"n1": 100, "n2": 0, "n3": 66, "n4": 33}


def test_existing_pods_terms_score_the_incoming_pod():
    snap = Snapshot(
        NODES,
        [pod("cache", node_name="a1",
             affinity=_affinity("podAffinity", term({"app": "web"}, ZONE))),
         pod("shy", node_name="b1", affinity=_affinity(
             "podAntiAffinity", {"weight": 3, "podAffinityTerm": term({"app": "web"}, ZONE)},
             preferred=True))],
    )
    # zone a: +1 (the cache's required affinity, hard weight 1); zone b: -3.
    # raw a1 1, a2 1, b1 -3, nozone 0 -> (x + 3) * 100 / 4
    assert scores(InterPodAffinity(), pod("web", labels={"app": "web"}), snap) == {
        "a1": 100, "a2": 100, "b1": 0, "nozone": 75}
    heavier = InterPodAffinity(hard_pod_affinity_weight=5)
    # zone a: +5, zone b: -3 -> (x + 3) * 100 / 8
    assert scores(heavier, pod("web", labels={"app": "web"}), snap) == {
        "a1": 100, "a2": 100, "b1": 0, "nozone": 37}
    # Nothing refers to this pod: PreScore skips.
    assert scores(InterPodAffinity(), pod("db", labels={"app": "db"}), snap) == {}
