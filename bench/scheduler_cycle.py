"""Benchmark of one scheduling cycle: `schedule_one` with the default
profile over a prebuilt Snapshot, as the scheduler process will call it for
each pod it pops (scheduler_perf's SchedulingBasic measures the same
decisions, plus the binding around them).

Nodes are identical (32 cpu, 256Gi, 110 pods, three zones, hostname and
zone labels), as in SchedulingBasic. Scenarios, each at 100, 1,000 and
5,000 nodes:

  plain            a pod requesting 100m cpu / 128Mi, no affinity; empty cluster
  selector_tolerations
                   a nodeSelector every node matches and tolerations; a quarter
                   of the nodes have a NoSchedule taint the pod tolerates, a
                   fifth a PreferNoSchedule taint it does not; every node
                   reports five images, one of them the pod's; empty cluster
  topology_spread  a zone DoNotSchedule constraint (maxSkew 1) over its app;
                   2,000 assigned pods
  anti_affinity    required pod anti-affinity (hostname) against an app that
                   100 of the 2,000 assigned pods belong to; one in ten assigned
                   pods has required anti-affinity of its own
  replicaset       owned by a ReplicaSet, so the system default spreading
                   (hostname and zone, ScheduleAnyway) scores it; 2,000
                   assigned pods, a twentieth of them the ReplicaSet's

The assigned pods (100m / 128Mi each, 20 apps) are spread round-robin over
the nodes. The snapshot is not changed between cycles (the pod is not
bound), so every cycle makes the same decision over the same data; the
start index moves on as schedule_one says (next_start_index).

Figures, one JSON object on stdout: per scenario and node count, the mean
milliseconds per schedule_one (`ms`), the cycles per second that makes
(`pods_per_s`: the ceiling the scheduler process's loop could bind at, before
any I/O) and how many cycles were timed; and `snapshot_ms`: building the
Snapshot from the API objects, with and without the 2,000 assigned pods.

    .venv/bin/python bench/scheduler_cycle.py [--sizes 100,1000,5000] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kubelite.scheduler import Snapshot, default_profile, schedule_one  # noqa: E402
from tests.unit.scheduler_objects import HOSTNAME, ZONE, container, node, pod  # noqa: E402

Obj = dict[str, Any]
ASSIGNED_PODS = 2000
APPS = 20
REQUESTS = {"cpu": "100m", "memory": "128Mi"}
IMAGES = [f"registry.example/img{i}:1" for i in range(5)]
DEDICATED = {"key": "dedicated", "value": "batch", "effect": "NoSchedule"}
SOFT = {"key": "soft", "value": "yes", "effect": "PreferNoSchedule"}
RS_OWNER = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs-web",
            "controller": True}


def nodes(count: int, *, taints: bool = False, images: bool = False) -> list[Obj]:
    found = []
    for i in range(count):
        node_taints = []
        if taints and i % 4 == 0:
            node_taints.append(DEDICATED)
        if taints and i % 5 == 0:
            node_taints.append(SOFT)
        found.append(node(
            f"n{i}", cpu="32", memory="256Gi", zone=f"z{i % 3}", labels={"pool": "general"},
            taints=node_taints or None,
            images=[{"names": [name], "sizeBytes": 200 * 1024 * 1024} for name in IMAGES]
            if images else None,
        ))
    return found


def assigned_pods(node_list: list[Obj]) -> list[Obj]:
    found = []
    for i in range(ASSIGNED_PODS):
        app = f"app{i % APPS}"
        extra: dict[str, Any] = {}
        if i % 10 == 3:
            extra["affinity"] = {"podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": HOSTNAME}]}}
        owner = RS_OWNER if app == "app2" else None
        found.append(pod(f"e{i}", labels={"app": app}, requests=REQUESTS, owner=owner,
                         node_name=node_list[i % len(node_list)]["metadata"]["name"], **extra))
    return found


def plain_pod() -> Obj:
    return pod("p", requests=REQUESTS)


def selector_pod() -> Obj:
    return pod("p", containers=[container(image=IMAGES[0], requests=REQUESTS)],
               nodeSelector={"pool": "general"},
               tolerations=[{"key": "dedicated", "operator": "Equal", "value": "batch",
                             "effect": "NoSchedule"}])


def spread_pod() -> Obj:
    return pod("p", labels={"app": "app1"}, requests=REQUESTS, topologySpreadConstraints=[
        {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": {"app": "app1"}}}])


def anti_affinity_pod() -> Obj:
    return pod("p", labels={"app": "solo"}, requests=REQUESTS, affinity={"podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "app0"}}, "topologyKey": HOSTNAME}]}})


def replicaset_pod() -> Obj:
    return pod("p", labels={"app": "app2"}, requests=REQUESTS, owner=RS_OWNER)


REPLICA_SET = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": "web", "namespace": "default", "uid": "rs-web"},
               "spec": {"selector": {"matchLabels": {"app": "app2"}}}}

# name -> (the pod, node options, with assigned pods)
SCENARIOS: dict[str, tuple[Callable[[], Obj], dict[str, bool], bool]] = {
    "plain": (plain_pod, {}, False),
    "selector_tolerations": (selector_pod, {"taints": True, "images": True}, False),
    "topology_spread": (spread_pod, {}, True),
    "anti_affinity": (anti_affinity_pod, {}, True),
    "replicaset": (replicaset_pod, {}, True),
}


def time_cycles(snapshot: Snapshot, pod_obj: Obj, seconds: float) -> dict[str, float]:
    profile = default_profile()
    rng = random.Random(1)
    start = 0
    for _ in range(3):  # warm up
        start = schedule_one(pod_obj, snapshot, profile, start_index=start, rng=rng
                             ).next_start_index
    cycles = 0
    began = time.perf_counter()
    elapsed = 0.0
    while cycles < 5 or elapsed < seconds:
        result = schedule_one(pod_obj, snapshot, profile, start_index=start, rng=rng)
        if result.suggested_host is None:
            raise RuntimeError("the benchmark pod did not fit")
        start = result.next_start_index
        cycles += 1
        elapsed = time.perf_counter() - began
    ms = elapsed * 1000 / cycles
    return {"ms": round(ms, 3), "pods_per_s": round(1000 / ms, 1), "cycles": cycles}


def time_snapshot(node_list: list[Obj], pods: list[Obj]) -> float:
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        Snapshot(node_list, pods)
        best = min(best, time.perf_counter() - began)
    return round(best * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="how long to time each scenario and size (at least 5 cycles)")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    wanted = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    figures: dict[str, Any] = {"python": sys.version.split()[0], "scenarios": {},
                               "snapshot_ms": {}}
    for name in wanted:
        make_pod, node_options, with_pods = SCENARIOS[name]
        per_size = figures["scenarios"][name] = {}
        for size in sizes:
            node_list = nodes(size, **node_options)
            pods = assigned_pods(node_list) if with_pods else []
            snapshot = Snapshot(node_list, pods, replica_sets=[REPLICA_SET])
            per_size[str(size)] = time_cycles(snapshot, make_pod(), args.seconds)
            print(f"{name} {size}: {per_size[str(size)]}", file=sys.stderr)
    for size in sizes:
        node_list = nodes(size)
        figures["snapshot_ms"][str(size)] = {
            "nodes_only": time_snapshot(node_list, []),
            f"with_{ASSIGNED_PODS}_pods": time_snapshot(node_list, assigned_pods(node_list)),
        }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
