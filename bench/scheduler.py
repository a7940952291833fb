"""Benchmark of `kubelite scheduler` as kube-scheduler's scheduler_perf
measures SchedulingBasic: the nodes and the pods are created first, then the
scheduler binds them all.

For each size (--sizes, nodes) a fresh `kubelite store` and `kubelite
apiserver` are started on temporary directories and free 127.0.0.1 ports
(tests/apiserverproc.py). The nodes are created through the API, as
scheduler_perf does (no kubelet): capacity and allocatable cpu=32,
memory=256Gi, pods=110 (more when --pods would not fit in 110 per node:
`node_pods_capacity` says what was used), a Ready condition, the hostname
label and one of three zones. Then --pods pods (a pause image requesting
100m cpu and 500Mi, scheduler_perf's default pod) in one namespace, 64
creates in flight, each one's create time taken from its response. Only then
is `kubelite scheduler --leader-elect=false --kube-api-qps 5000
--kube-api-burst 5000` started; a watch on the pods (from the
resourceVersion after the creates) takes the time each pod is first seen
with spec.nodeName.

Figures per size (one JSON object on stdout; progress on stderr):
  pods_per_s: bindings per second from the first binding seen to the last,
  as scheduler_perf's throughput collector counts; create_to_bind p50/p99
  (seconds, client-side: every pod waits for the scheduler to start, so this
  is mostly the backlog); start_to_first_bind_s (the scheduler's start, list
  and sync); the CPU seconds the scheduler, the API server, the store and
  this process (its watch) spent while the scheduler ran, and per binding; the scheduler's own
  scheduler_schedule_attempts_total by result; the Events it wrote (its
  recorder drops what overflows its queue). Beside them the issue's
  target (300 pods/s at 1,000 nodes) and upstream's regression floor for
  SchedulingBasic at 5,000 nodes (680 pods/s, misc/performance-config.yaml).

`--profile DIR` samples the scheduler, the API server and the store with
py-spy (on PATH, or --py-spy) while the scheduler runs, into
DIR/<nodes>-<process>.txt (collapsed stacks, for flame graphs or grep).

    .venv/bin/python bench/scheduler.py [--sizes 100,1000,5000] [--pods 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
import uvloop

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.apiserver import admin_token, call, log, session  # noqa: E402
from bench.store import cpu_seconds  # noqa: E402
from bench.workers import percentile  # noqa: E402
from tests.apiserverproc import APIServerProcess  # noqa: E402
from tests.schedulerproc import SchedulerProcess  # noqa: E402

NAMESPACE = "sched-bench"
IN_FLIGHT = 64
NODE_PODS = 110  # scheduler_perf's default node
ZONES = 3
TARGET_AT_1000 = 300
UPSTREAM_FLOOR_AT_5000 = 680
SCHEDULER_FLAGS = ["--leader-elect=false", "--kube-api-qps", "5000", "--kube-api-burst", "5000"]
ATTEMPTS = "scheduler_schedule_attempts_total"


def node_body(i: int, pods: int) -> bytes:
    name = f"node-{i}"
    capacity = {"cpu": "32", "memory": "256Gi", "pods": str(pods)}
    return orjson.dumps({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                              "topology.kubernetes.io/zone": f"zone-{i % ZONES}"}},
        "status": {"capacity": capacity, "allocatable": capacity,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                   "message": "simulated"}]},
    })


def pod_body(i: int) -> bytes:
    return orjson.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"pod-{i}", "namespace": NAMESPACE},
        "spec": {"containers": [{
            "name": "pause", "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "memory": "500Mi"},
                          "limits": {"cpu": "100m", "memory": "500Mi"}},
        }]},
    })


async def create_all(s: aiohttp.ClientSession, path: str, bodies: list[bytes],
                     timeout: float) -> list[float]:
    """POST every body, IN_FLIGHT at a time; the time each create answered."""
    done = [0.0] * len(bodies)
    next_i = 0

    async def one_client() -> None:
        nonlocal next_i
        while next_i < len(bodies):
            i, next_i = next_i, next_i + 1
            await call(s, "POST", path, bodies[i])
            done[i] = time.time()

    await asyncio.wait_for(asyncio.gather(*(one_client() for _ in range(IN_FLIGHT))), timeout)
    return done


async def watch_bindings(s: aiohttp.ClientSession, rv: str, names: set[str],
                         deadline: float) -> dict[str, float]:
    """The time each of `names` is first seen bound, until all are or the
    deadline (a watch the server ends is resumed from its last event)."""
    bound: dict[str, float] = {}
    path = f"/api/v1/namespaces/{NAMESPACE}/pods"
    while len(bound) < len(names) and time.time() < deadline:
        params = {"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(max(1, int(deadline - time.time())))}
        timeout = aiohttp.ClientTimeout(total=None, sock_read=deadline - time.time() + 5)
        async with s.get(path, params=params, timeout=timeout) as r:
            if r.status != 200:
                raise RuntimeError(f"watch: {r.status} {(await r.read())[:300]!r}")
            async for line in r.content:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                obj = event["object"]
                if event["type"] == "ERROR":
                    raise RuntimeError(f"watch: {obj.get('message')}")
                rv = obj["metadata"]["resourceVersion"]
                name = obj["metadata"].get("name")
                if (obj.get("spec") or {}).get("nodeName") and name in names:
                    bound.setdefault(name, time.time())
                if len(bound) == len(names) or time.time() >= deadline:
                    break
    return bound


class Profiler:
    """py-spy record on a few processes, one file each, until `stop`."""

    def __init__(self, py_spy: str, out: Path, size: int) -> None:
        self.py_spy, self.out, self.size = py_spy, out, size
        self.procs: list[subprocess.Popen] = []

    def start(self, pids: dict[str, int]) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        for what, pid in pids.items():
            self.procs.append(subprocess.Popen(
                [self.py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                 "--nonblocking", "--output", str(self.out / f"{self.size}-{what}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(2)  # py-spy writes its file on SIGINT
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def bench_size(nodes: int, pods: int, args: argparse.Namespace, tmp: str) -> dict:
    api = APIServerProcess(os.path.join(tmp, "api"))
    sched: SchedulerProcess | None = None
    profiler = Profiler(args.py_spy, Path(args.profile), nodes) if args.profile else None
    node_pods = max(NODE_PODS, math.ceil(pods / nodes))
    out: dict = {"nodes": nodes, "pods": pods, "node_pods_capacity": node_pods}
    try:
        await asyncio.to_thread(api.start)
        token = admin_token(api.data_dir)
        async with session(api.url, api.ca_file, token) as s:
            await call(s, "POST", "/api/v1/namespaces", orjson.dumps(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
            log(f"{nodes} nodes: creating the nodes")
            t0 = time.time()
            await create_all(s, "/api/v1/nodes", [node_body(i, node_pods) for i in range(nodes)],
                             args.create_timeout)
            t1 = time.time()
            log(f"{nodes} nodes: creating {pods} pods")
            created = await create_all(s, f"/api/v1/namespaces/{NAMESPACE}/pods",
                                       [pod_body(i) for i in range(pods)], args.create_timeout)
            out["nodes_create_s"] = round(t1 - t0, 2)
            out["pods_create_per_s"] = round(pods / (time.time() - t1), 1)
            listed = orjson.loads(await call(s, "GET", f"/api/v1/namespaces/{NAMESPACE}/pods",
                                             params={"limit": "1"}))
            deadline = time.time() + args.bind_timeout
            watch = asyncio.create_task(watch_bindings(
                s, listed["metadata"]["resourceVersion"], {f"pod-{i}" for i in range(pods)},
                deadline))
            assert api.proc is not None and api.store is not None and api.store.proc is not None
            log(f"{nodes} nodes: starting the scheduler")
            started = time.time()
            sched = SchedulerProcess(api.kubeconfig, os.path.join(tmp, "scheduler.log"),
                                     extra=SCHEDULER_FLAGS)
            pids = {"apiserver": api.proc.pid, "store": api.store.proc.pid,
                    "bench_client": os.getpid()}
            cpu0 = {what: cpu_seconds(pid) for what, pid in pids.items()}
            await asyncio.to_thread(sched.start)
            assert sched.proc is not None
            pids["scheduler"] = sched.proc.pid
            if profiler is not None:
                profiler.start({"apiserver": api.proc.pid, "store": api.store.proc.pid,
                                "scheduler": sched.proc.pid})
            bound = await watch
            cpu = {what: cpu_seconds(pid) - cpu0.get(what, 0.0) for what, pid in pids.items()}
            events = orjson.loads(await call(s, "GET", f"/api/v1/namespaces/{NAMESPACE}/events"))
        out["events_written"] = len(events["items"])
        times = sorted(bound.values())
        latencies = sorted(bound[f"pod-{i}"] - created[i] for i in range(pods)
                           if f"pod-{i}" in bound)
        out["bound"] = len(bound)
        if len(times) >= 2:
            out["pods_per_s"] = round((len(times) - 1) / (times[-1] - times[0]), 1)
            out["bind_span_s"] = round(times[-1] - times[0], 2)
            out["start_to_first_bind_s"] = round(times[0] - started, 2)
            out["create_to_bind_p50_s"] = round(percentile(latencies, 0.5), 2)
            out["create_to_bind_p99_s"] = round(percentile(latencies, 0.99), 2)
        out["cpu_s"] = {what: round(c, 1) for what, c in cpu.items()}
        if bound:
            out["cpu_ms_per_bind"] = {what: round(c / len(bound) * 1e3, 2)
                                      for what, c in cpu.items()}
        out["schedule_attempts"] = {
            result: sched.metric(ATTEMPTS, result=result)
            for result in ("scheduled", "unschedulable", "error")}
        if len(bound) < pods:
            out["error"] = f"{pods - len(bound)} pods not bound within {args.bind_timeout:g} s"
        return out
    finally:
        if profiler is not None:
            profiler.stop()
        if sched is not None:
            sched.stop()
        api.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,5000", help="node counts (100,1000,5000)")
    ap.add_argument("--pods", type=int, default=10_000, help="pods to bind per size (10,000)")
    ap.add_argument("--create-timeout", type=float, default=180.0,
                    help="seconds allowed for creating the nodes, and the pods (180)")
    ap.add_argument("--bind-timeout", type=float, default=180.0,
                    help="seconds allowed for binding them all, from the scheduler's start (180)")
    ap.add_argument("--profile", default="", help="a folder for py-spy profiles")
    ap.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    args = ap.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    started = time.monotonic()
    out: dict = {"config": {"pods": args.pods, "cpus": os.cpu_count(),
                            "scheduler_flags": " ".join(SCHEDULER_FLAGS),
                            "loadavg_1m_at_start": round(os.getloadavg()[0], 2)},
                 "target_pods_per_s_at_1000": TARGET_AT_1000,
                 "upstream_floor_at_5000": UPSTREAM_FLOOR_AT_5000}
    for nodes in sizes:
        with tempfile.TemporaryDirectory(prefix=f"kubelite-bench-sched-{nodes}-") as tmp:
            try:
                out[str(nodes)] = uvloop.run(bench_size(nodes, args.pods, args, tmp))
            except Exception as e:  # one size failing still reports the others
                out[str(nodes)] = {"error": f"{type(e).__name__}: {e}"}
                log(f"{nodes} nodes failed: {out[str(nodes)]['error']}")
        log(f"{nodes} nodes: {json.dumps(out[str(nodes)])}")
    at = {n: out.get(str(n), {}).get("pods_per_s") for n in (1000, 5000)}
    out["target_met_at_1000"] = None if at[1000] is None else at[1000] >= TARGET_AT_1000
    if at[5000] is not None:
        out["share_of_upstream_floor_at_5000"] = round(at[5000] / UPSTREAM_FLOOR_AT_5000, 3)
    out["config"]["elapsed_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
