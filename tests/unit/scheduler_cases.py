"""Deterministic, varied scheduling cases and what the scheduler decides for
each: the inputs of the decision regression fixture
(tests/unit/data/scheduler_decisions.json, checked by
test_scheduler_decisions.py).

Each case is built from its own seed: a cluster of 1 to 60 nodes (a few of
100 to 250, where the search stops early) with labels, zones and regions,
taints of every effect, capacities, extended resources, images and cordons;
assigned pods with labels, requests, (anti-)affinity, host ports, images,
volumes, priorities, owners, some terminating or finished; namespaces,
Services and ReplicaSets; some pods added to and taken from the snapshot
after it is built (Snapshot.add_pod / remove_pod), and some nominated pods.
The pod to schedule draws from requests (init containers, sidecars,
overhead, extended resources), nodeSelector, node affinity (required and
preferred, every operator, metadata.name), pod affinity and anti-affinity
(required and preferred, namespaces and namespaceSelector), topology
spread constraints (both actions, minDomains, matchLabelKeys, the
inclusion policies), tolerations, host ports, volumes, nodeName, priority
and a nominated node. A few selectors do not parse, on purpose. Most cases
run the default profile; some a variant (MostAllocated,
RequestedToCapacityRatio, a percentage of nodes to score, InterPodAffinity
ignoring existing pods' preferred terms, List defaulting for spreading).

`decide(case)` runs schedule_one (with an rng seeded from the case) and,
when no node fits, preempt, and returns what they decided as plain JSON
data. Run this module to (re)write the fixture:

    .venv/bin/python -m tests.unit.scheduler_cases

which must only be done after a deliberate, justified change of behaviour
(see test_scheduler_decisions.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubelite.scheduler import Profile, Snapshot, fit_error_message, schedule_one
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.plugins import (
    DEFAULT_WEIGHTS,
    InterPodAffinity,
    NodeResourcesFit,
    PodTopologySpread,
    ScoringStrategy,
    default_plugins,
)
from kubelite.scheduler.preemption import preempt
from tests.unit.scheduler_objects import HOSTNAME, ZONE, container, node, pod

Obj = dict[str, Any]
FIXTURE = Path(__file__).parent / "data" / "scheduler_decisions.json"
NUM_CASES = 320
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
REGION = "topology.kubernetes.io/region"

APPS = ("web", "db", "cache", "batch")
TIERS = ("front", "back")
IMAGES = (
    ("registry.example/app:1", 300 * 1024 * 1024),
    ("registry.example/db", 900 * 1024 * 1024),
    ("registry.example/tiny:2", 10 * 1024 * 1024),
    ("docker.io/library/busybox:latest", 50 * 1024 * 1024),
    ("registry.example/huge:3", 3000 * 1024 * 1024),
)
TAINTS = (
    {"key": "dedicated", "value": "infra", "effect": "NoSchedule"},
    {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
    {"key": "spot", "value": "", "effect": "PreferNoSchedule"},
    {"key": "noisy", "value": "yes", "effect": "PreferNoSchedule"},
    {"key": "draining", "value": "", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
)
TOLERATIONS = (
    {"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"},
    {"key": "dedicated", "operator": "Exists"},
    {"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"},
    {"operator": "Exists"},
    {"key": "draining", "operator": "Exists", "effect": "NoExecute"},
    {"key": "noisy", "value": "yes"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "dedicated", "operator": "Equal", "value": "gpu"},
)
GPU = "example.com/gpu"


def _labels(rng: random.Random) -> dict[str, str]:
    labels = {"app": rng.choice(APPS)}
    if rng.random() < 0.5:
        labels["tier"] = rng.choice(TIERS)
    if rng.random() < 0.2:
        labels["version"] = rng.choice(("v1", "v2"))
    return labels


# --- nodes ---------------------------------------------------------------------


def _node(rng: random.Random, i: int, zones: list[str], regions: list[str]) -> Obj:
    labels: dict[str, str] = {}
    if rng.random() < 0.6:
        labels["disk"] = rng.choice(("ssd", "hdd"))
    if rng.random() < 0.5:
        labels["cores"] = str(rng.choice((2, 4, 8, 16, 64)))
    if rng.random() < 0.3:
        labels["pool"] = rng.choice(("general", "batch", "gpu"))
    if regions and rng.random() < 0.8:
        labels[REGION] = rng.choice(regions)
    zone = rng.choice(zones) if zones and rng.random() < 0.9 else None
    taints = [dict(t) for t in TAINTS if rng.random() < 0.06]
    images = [
        {"names": [name] + ([name.split(":")[0] + "@sha256:abc"] if rng.random() < 0.3 else []),
         "sizeBytes": size}
        for name, size in IMAGES if rng.random() < 0.3
    ]
    extra = {GPU: str(rng.choice((1, 2, 4)))} if rng.random() < 0.2 else None
    if rng.random() < 0.1:
        extra = {**(extra or {}), "hugepages-2Mi": "1Gi"}
    return node(
        f"node-{i:03d}",
        cpu=rng.choice(("1", "2", "4", "8", "8", "16", "32", "500m", "3500m")),
        memory=rng.choice(("2Gi", "4Gi", "8Gi", "16Gi", "16Gi", "64Gi", "1500Mi")),
        pods=rng.choice(("110",) * 6 + ("5", "2", None)),
        labels=labels,
        zone=zone,
        taints=taints or None,
        unschedulable=rng.random() < 0.05,
        images=images or None,
        extra=extra,
    )


# --- terms and constraints -----------------------------------------------------


def _selector(rng: random.Random, labels: dict[str, str] | None = None) -> Obj:
    """A label selector, usually matching some app; now and then one that
    does not parse."""
    roll = rng.random()
    if roll < 0.03:
        return {"matchLabels": {"bad key!": "x"}}
    if roll < 0.1:
        return {}
    if roll < 0.25:
        return {"matchExpressions": [
            {"key": "app", "operator": rng.choice(("In", "NotIn")),
             "values": rng.sample(APPS, rng.randint(1, 2))}]}
    if roll < 0.3:
        return {"matchExpressions": [{"key": "tier", "operator": rng.choice(
            ("Exists", "DoesNotExist"))}]}
    app = (labels or {}).get("app") if rng.random() < 0.5 else None
    return {"matchLabels": {"app": app or rng.choice(APPS)}}


def _pod_affinity_term(rng: random.Random, labels: dict[str, str] | None = None) -> Obj:
    term: Obj = {"labelSelector": _selector(rng, labels),
                 "topologyKey": rng.choice((HOSTNAME, HOSTNAME, ZONE, REGION, "disk"))}
    roll = rng.random()
    if roll < 0.1:
        term["namespaces"] = rng.sample(("default", "other", "team-a"), rng.randint(1, 2))
    elif roll < 0.18:
        term["namespaceSelector"] = rng.choice(({}, {"matchLabels": {"team": "a"}}))
    elif roll < 0.2:
        del term["labelSelector"]
    return term


def _pod_affinity(rng: random.Random, labels: dict[str, str], strength: float) -> Obj | None:
    affinity: Obj = {}
    for kind in ("podAffinity", "podAntiAffinity"):
        part: Obj = {}
        if rng.random() < strength:
            part["requiredDuringSchedulingIgnoredDuringExecution"] = [
                _pod_affinity_term(rng, labels) for _ in range(rng.randint(1, 2))]
        if rng.random() < strength:
            part["preferredDuringSchedulingIgnoredDuringExecution"] = [
                {"weight": rng.choice((1, 10, 50, 100)),
                 "podAffinityTerm": _pod_affinity_term(rng, labels)}
                for _ in range(rng.randint(1, 2))]
        if part:
            affinity[kind] = part
    return affinity or None


def _node_selector_term(rng: random.Random, node_names: list[str]) -> Obj:
    term: Obj = {}
    expressions = []
    for _ in range(rng.randint(0, 2)):
        roll = rng.random()
        if roll < 0.3:
            expressions.append({"key": "disk", "operator": rng.choice(("In", "NotIn")),
                                "values": [rng.choice(("ssd", "hdd"))]})
        elif roll < 0.5:
            expressions.append({"key": "cores", "operator": rng.choice(("Gt", "Lt")),
                                "values": [str(rng.choice((3, 8, 20)))]})
        elif roll < 0.7:
            expressions.append({"key": rng.choice(("pool", "disk", ZONE)),
                                "operator": rng.choice(("Exists", "DoesNotExist"))})
        elif roll < 0.97:
            expressions.append({"key": ZONE, "operator": "In", "values": ["zone-a", "zone-b"]})
        elif roll < 0.985:
            expressions.append({"key": "disk", "operator": "Bogus", "values": ["x"]})
        else:
            expressions.append({"key": "cores", "operator": "Gt", "values": ["many"]})
    if expressions:
        term["matchExpressions"] = expressions
    if node_names and (not expressions or rng.random() < 0.3):
        term["matchFields"] = [{"key": "metadata.name", "operator": rng.choice(
            ("In", "In", "NotIn")), "values": [rng.choice(node_names)]}]
    return term


def _node_affinity(rng: random.Random, node_names: list[str]) -> Obj | None:
    affinity: Obj = {}
    if rng.random() < 0.4:
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [_node_selector_term(rng, node_names)
                                  for _ in range(rng.randint(1, 2))]}
    if rng.random() < 0.6:
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": rng.choice((0, 1, 5, 50, 100)),
             "preference": _node_selector_term(rng, node_names if rng.random() < 0.2 else [])}
            for _ in range(rng.randint(1, 3))]
    return affinity or None


def _spread_constraints(rng: random.Random, labels: dict[str, str]) -> list[Obj]:
    found = []
    for _ in range(rng.randint(1, 2)):
        constraint: Obj = {
            "maxSkew": rng.choice((1, 1, 2, 3)),
            "topologyKey": rng.choice((ZONE, ZONE, HOSTNAME, REGION, "disk")),
            "whenUnsatisfiable": rng.choice(("DoNotSchedule", "ScheduleAnyway")),
            "labelSelector": _selector(rng, labels),
        }
        if rng.random() < 0.15:
            constraint["minDomains"] = rng.choice((2, 3, 5))
        if rng.random() < 0.15:
            constraint["matchLabelKeys"] = ["tier"]
        if rng.random() < 0.15:
            constraint["nodeAffinityPolicy"] = rng.choice(("Honor", "Ignore"))
        if rng.random() < 0.15:
            constraint["nodeTaintsPolicy"] = rng.choice(("Honor", "Ignore"))
        found.append(constraint)
    return found


# --- pods ----------------------------------------------------------------------


def _requests(rng: random.Random) -> dict[str, str] | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    requests: dict[str, str] = {}
    if rng.random() < 0.9:
        requests["cpu"] = rng.choice(
            ("0", "50m", "100m", "100m", "250m", "500m", "1", "1.5", "2"))
    if rng.random() < 0.85:
        requests["memory"] = rng.choice(
            ("0", "64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "3Gi"))
    if rng.random() < 0.05:
        requests["ephemeral-storage"] = rng.choice(("1Gi", "1Gi", "100Gi"))
    if rng.random() < 0.04:
        requests[GPU] = rng.choice(("1", "2"))
    if rng.random() < 0.015:
        requests["hugepages-2Mi"] = "512Mi"
    return requests


def _containers(rng: random.Random, host_ports: bool) -> list[Obj]:
    found = []
    for i in range(rng.choice((1, 1, 1, 2, 3))):
        ports = None
        if host_ports and rng.random() < 0.5:
            ports = [{"containerPort": 80, "hostPort": rng.choice((80, 443, 8080)),
                      "protocol": rng.choice(("TCP", "UDP", None)) or "TCP",
                      **({"hostIP": rng.choice(("10.0.0.1", "0.0.0.0"))}
                         if rng.random() < 0.3 else {})}]
        found.append(container(f"c{i}", image=rng.choice(IMAGES)[0].split("@")[0],
                               requests=_requests(rng), ports=ports))
    return found


def _init_containers(rng: random.Random) -> list[Obj] | None:
    if rng.random() > 0.25:
        return None
    return [
        container(f"init{i}", image=rng.choice(IMAGES)[0], requests=_requests(rng),
                  restart_policy="Always" if rng.random() < 0.4 else None)
        for i in range(rng.randint(1, 3))
    ]


def _volumes(rng: random.Random) -> list[Obj] | None:
    if rng.random() > 0.1:
        return None
    return [rng.choice((
        {"name": "pd", "gcePersistentDisk": {"pdName": "disk-1", "readOnly": rng.random() < 0.5}},
        {"name": "ebs", "awsElasticBlockStore": {"volumeID": "vol-1"}},
        {"name": "scratch", "emptyDir": {}},
    ))]


RS_OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-rs", "uid": "rs-1",
            "controller": True}
RC_OWNER = {"apiVersion": "v1", "kind": "ReplicationController", "name": "db-rc",
            "uid": "rc-1", "controller": True}


def _assigned_pod(rng: random.Random, i: int, node_names: list[str], heavy: bool) -> Obj:
    """`heavy`: a pod of a full cluster, taking a whole cpu at a low priority."""
    labels = _labels(rng)
    spec: Obj = {}
    affinity = _pod_affinity(rng, labels, 0.08) if rng.random() < 0.35 else None
    if affinity:
        spec["affinity"] = affinity
    if rng.random() < 0.3 or heavy:
        spec["priority"] = rng.choice((0, 10, 100, 1000) if not heavy else (0, 10, 100))
    volumes = _volumes(rng)
    if volumes:
        spec["volumes"] = volumes
    owner = None
    if labels["app"] == "web" and rng.random() < 0.6:
        owner = RS_OWNER
    elif labels["app"] == "db" and rng.random() < 0.4:
        owner = RC_OWNER
    p = pod(
        f"running-{i:03d}",
        namespace=rng.choice(("default", "default", "default", "other", "team-a")),
        labels=labels,
        containers=[container(requests={"cpu": "1", "memory": "512Mi"})] if heavy
        else _containers(rng, True),
        init_containers=_init_containers(rng),
        node_name=rng.choice(node_names + ["gone-node"] if rng.random() < 0.05 else node_names),
        phase=rng.choice(("Running",) * 12 + ("Succeeded", "Failed", "Pending")),
        owner=owner,
        **spec,
    )
    if rng.random() < 0.05:
        p["metadata"]["deletionTimestamp"] = "2025-01-01T11:00:00Z"
    if rng.random() < 0.5:
        p["status"]["startTime"] = f"2025-01-01T{rng.randint(0, 11):02d}:00:00Z"
    return p


def _preemptor(rng: random.Random) -> Obj:
    """A pod of high priority needing more than a cpu, for a full cluster;
    sometimes with spreading or pod (anti-)affinity (their state is what
    preemption's RemovePod keeps right)."""
    labels = _labels(rng)
    spec: Obj = {"priority": rng.choice((50, 5000, 5000))}
    roll = rng.random()
    if roll < 0.3:
        spec["topologySpreadConstraints"] = _spread_constraints(rng, labels)
    elif roll < 0.6:
        spec["affinity"] = _pod_affinity(rng, labels, 0.5) or {}
    if rng.random() < 0.3:
        spec["tolerations"] = rng.sample(TOLERATIONS, rng.randint(1, 3))
    return pod("incoming", labels=labels, requests={"cpu": "1500m", "memory": "256Mi"},
               owner=RS_OWNER if labels["app"] == "web" else None, **spec)


def _incoming_pod(rng: random.Random, node_names: list[str]) -> Obj:
    labels = _labels(rng)
    spec: Obj = {}
    if rng.random() < 0.2:
        spec["nodeSelector"] = rng.choice(({"disk": "ssd"}, {"pool": "general"},
                                           {"disk": "hdd", "cores": "8"}, {}))
    affinity: Obj = {}
    if rng.random() < 0.35:
        node_affinity = _node_affinity(rng, node_names)
        if node_affinity:
            affinity["nodeAffinity"] = node_affinity
    if rng.random() < 0.35:
        affinity.update(_pod_affinity(rng, labels, 0.45) or {})
    if affinity:
        spec["affinity"] = affinity
    if rng.random() < 0.3:
        spec["topologySpreadConstraints"] = _spread_constraints(rng, labels)
    if rng.random() < 0.4:
        spec["tolerations"] = rng.sample(TOLERATIONS, rng.randint(1, 3))
    if rng.random() < 0.03:
        spec["nodeName"] = rng.choice(node_names + ["elsewhere"])
    if rng.random() < 0.5:
        spec["priority"] = rng.choice((0, 50, 500, 5000))
    if rng.random() < 0.05:
        spec["preemptionPolicy"] = "Never"
    if rng.random() < 0.1:
        spec["overhead"] = {"cpu": "100m", "memory": "64Mi"}
    volumes = _volumes(rng)
    if volumes:
        spec["volumes"] = volumes
    owner = None
    roll = rng.random()
    if roll < 0.2:
        owner, labels["app"] = RS_OWNER, "web"
    elif roll < 0.27:
        owner, labels["app"] = RC_OWNER, "db"
    p = pod("incoming", labels=labels, containers=_containers(rng, rng.random() < 0.25),
            init_containers=_init_containers(rng), owner=owner, **spec)
    if rng.random() < 0.08:
        p["status"]["nominatedNodeName"] = rng.choice(node_names + ["elsewhere"])
    return p


# --- the case ------------------------------------------------------------------


def _default_with(replacement: Any = None, *, percentage: int | None = None) -> Profile:
    plugins = [replacement if replacement is not None and p.name == replacement.name else p
               for p in default_plugins()]
    return Profile.of([(p, DEFAULT_WEIGHTS.get(p.name, 1)) for p in plugins],
                      percentage_of_nodes_to_score=percentage)


# name -> the profile (plugins are objects, so a case names its profile)
PROFILES: dict[str, Callable[[], Profile]] = {
    "default": _default_with,
    "most-allocated": lambda: _default_with(NodeResourcesFit(
        scoring_strategy=ScoringStrategy("MostAllocated"))),
    "requested-to-capacity": lambda: _default_with(NodeResourcesFit(
        scoring_strategy=ScoringStrategy("RequestedToCapacityRatio", shape=((0, 10), (100, 0))))),
    "percentage-30": lambda: _default_with(percentage=30),
    "ignore-existing-preferred": lambda: _default_with(
        InterPodAffinity(ignore_preferred_terms_of_existing_pods=True)),
    "list-defaulting": lambda: _default_with(PodTopologySpread(
        defaulting_type="List",
        default_constraints=[{"topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway",
                              "maxSkew": 1}])),
}


def _profile_name(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return "default"
    return rng.choice([name for name in PROFILES if name != "default"])


def make_case(index: int) -> dict[str, Any]:
    """Case `index`: everything needed to run it, built from its seed."""
    rng = random.Random(f"scheduler-case-{index}")
    big = index % 40 == 39
    count = rng.randint(100, 250) if big else rng.choice(
        (1, 2, 3, 5, 8, 8, 13, 13, 20, 20, 30, 30, 45, 60))
    zones = [f"zone-{c}" for c in "abcd"[: rng.choice((0, 1, 2, 3, 4))]]
    regions = ["r1", "r2"][: rng.choice((0, 0, 1, 2))]
    nodes = [_node(rng, i, zones, regions) for i in range(count)]
    names = [n["metadata"]["name"] for n in nodes]
    heavy = index % 8 == 5
    per_node = rng.choice((0, 0.5, 1, 2, 3)) if not big else rng.choice((0.5, 1))
    if heavy:
        per_node = 6
        for n in nodes:
            n["status"]["allocatable"].update(cpu=rng.choice(("2", "3", "4")), pods="110")
    pods = [_assigned_pod(rng, i, names, heavy) for i in range(int(count * per_node))]
    rng.shuffle(pods)
    # Pods kept out of the build and added after it, pods taken off after it.
    later = pods[: len(pods) // 5] if rng.random() < 0.3 else []
    removed = [p["metadata"]["name"] for p in pods[len(later):] if rng.random() < 0.05]
    nominated = []
    if rng.random() < 0.15:
        for i in range(rng.randint(1, 3)):
            other = _incoming_pod(rng, names)
            other["metadata"].update(name=f"nominated-{i}", uid=f"uid-nominated-{i}")
            other["status"]["nominatedNodeName"] = rng.choice(names)
            nominated.append(other)
    profile_name = _profile_name(rng)
    return {
        "index": index,
        "nodes": nodes,
        "pods": pods[len(later):],
        "later_pods": later,
        "removed_pods": removed,
        "nominated": nominated,
        "pod": _preemptor(rng) if heavy else _incoming_pod(rng, names),
        "namespaces": [
            {"metadata": {"name": "default", "labels": {"kubernetes.io/metadata.name": "default"}}},
            {"metadata": {"name": "other", "labels": {"team": "b"}}},
            {"metadata": {"name": "team-a", "labels": {"team": "a"}}},
        ],
        "services": [{"metadata": {"name": "web", "namespace": "default"},
                      "spec": {"selector": {"app": "web"}}}] if rng.random() < 0.5 else [],
        "replica_sets": [{"metadata": {"name": "web-rs", "namespace": "default"},
                          "spec": {"selector": {"matchLabels": {"app": "web"}}}}],
        "replication_controllers": [{"metadata": {"name": "db-rc", "namespace": "default"},
                                     "spec": {"selector": {"app": "db"}}}],
        "pdbs": [{"metadata": {"name": "web-pdb", "namespace": "default"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}}},
                  "status": {"disruptionsAllowed": rng.choice((0, 1))}}]
        if rng.random() < 0.3 else [],
        "start_index": rng.randrange(count),
        "seed": rng.randrange(2**32),
        "profile": profile_name,
    }


def build_snapshot(case: dict[str, Any]) -> Snapshot:
    """The case's snapshot: built, then brought up to date incrementally."""
    snapshot = Snapshot(
        case["nodes"], case["pods"], namespaces=case["namespaces"],
        services=case["services"], replica_sets=case["replica_sets"],
        replication_controllers=case["replication_controllers"],
    )
    for p in case["later_pods"]:
        if p["status"]["phase"] not in ("Succeeded", "Failed"):
            snapshot.add_pod(p)
    by_name = {p["metadata"]["name"]: p for p in case["pods"]}
    for name in case["removed_pods"]:
        snapshot.remove_pod(by_name[name])
    return snapshot


def _status(status: Any) -> list[Any]:
    return [str(status.code), status.plugin, *status.reasons]


def _statuses(statuses: dict[str, Any]) -> list[list[Any]]:
    """Each distinct status with the nodes that have it: [status, [nodes]]."""
    nodes: dict[tuple[Any, ...], list[str]] = {}
    for name, status in sorted(statuses.items()):
        nodes.setdefault(tuple(_status(status)), []).append(name)
    return [[list(status), names] for status, names in sorted(nodes.items())]


def _scores(scores: list[Any]) -> dict[str, Any]:
    """The plugins scored, and per node (in the order scored) its name,
    total and each plugin's weighted score in that plugin order."""
    plugins = sorted(scores[0].scores) if scores else []
    for s in scores:
        assert sorted(s.scores) == plugins, "every node is scored by the same plugins"
    return {"plugins": plugins,
            "nodes": [[s.name, s.total, *(s.scores[p] for p in plugins)] for s in scores]}


def decide(case: dict[str, Any]) -> dict[str, Any]:
    """What schedule_one (and preempt, when nothing fits) decide, as JSON data."""
    snapshot = build_snapshot(case)
    profile = PROFILES[case["profile"]]()
    nominated: dict[str, list[PodInfo]] = {}
    for p in case["nominated"]:
        nominated.setdefault(p["status"]["nominatedNodeName"], []).append(PodInfo.of(p))

    def nominated_pods(node_name: str) -> list[PodInfo]:
        return nominated.get(node_name, [])

    result = schedule_one(case["pod"], snapshot, profile, start_index=case["start_index"],
                          rng=random.Random(case["seed"]),
                          nominated_pods=nominated_pods if nominated else None)
    decision: dict[str, Any] = {
        "host": result.suggested_host,
        "evaluated": result.evaluated_nodes,
        "feasible": result.feasible_nodes,
        "next_start": result.next_start_index,
        "statuses": _statuses(result.statuses),
        "absent": _status(result.absent_status),
        "unschedulable_plugins": sorted(result.unschedulable_plugins),
        "scores": _scores(result.scores),
        "error": result.error.message() if result.error is not None else None,
    }
    if result.suggested_host is None and result.error is None:
        outcome = preempt(case["pod"], snapshot, profile, result,
                          rng=random.Random(case["seed"]), now=NOW, pdbs=case["pdbs"],
                          nominated_pods=nominated_pods)
        decision["fit_error"] = fit_error_message(result, len(snapshot), outcome.message())
        decision["preemption"] = {
            "status": _status(outcome.status),
            "nominated_node": outcome.nominated_node,
            "victims": [v["metadata"]["name"] for v in outcome.victims],
            "lower_priority_nominated": [
                p["metadata"]["name"] for p in outcome.lower_priority_nominated_pods],
        }
    return decision


def all_decisions() -> dict[str, Any]:
    return {str(i): decide(make_case(i)) for i in range(NUM_CASES)}


def write_fixture() -> None:
    decisions = all_decisions()
    lines = ",\n".join(
        f"{json.dumps(key)}: {json.dumps(value, separators=(',', ':'), sort_keys=True)}"
        for key, value in decisions.items()
    )
    FIXTURE.write_text("{\n" + lines + "\n}\n")


if __name__ == "__main__":
    write_fixture()
