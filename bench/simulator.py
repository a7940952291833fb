"""Benchmark of the simulated node agent: `kubelite agent --simulate N` idle.

A kubelite store and `kubelite apiserver` are started on a fresh data
directory (tests/apiserverproc.py), then `kubelite agent --simulate N`
(default 1,000) as a subprocess with the default lease duration (40 s,
renewed every 10 s) and status frequency (10 s). Once every node is
registered (the agent logs it), the run waits --settle seconds for the
first round of Lease creations to pass, then measures the agent over
--duration seconds with no pods:

  idle_cpu_percent   utime+stime from /proc/<pid>/stat over the window, as a
                     percentage of one core (target <= 5)
  rss_mb             VmRSS of the agent at the end of the window (target
                     <= 150); rss_peak_mb is VmHWM, the most it ever held
  registration_s     from starting the process until it logged that all
                     N nodes were registered (created, statuses reported)
  leases_renewed_in_window
                     Leases whose renewTime moved during the window, read
                     from the API server (N: every node renewed)
  fresh_leases       Leases renewed within their duration at the end (N if
                     every node is alive)
  apiserver_cpu_percent
                     the API server's CPU over the same window, for scale

One JSON object on stdout, each figure with its target beside it where the
issue names one; progress on stderr.

    .venv/bin/python bench/simulator.py [--nodes 1000] [--duration 60] [--settle 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kubelite.agent.sim.timefmt import parse_time  # noqa: E402
from kubelite.client.config import load_kubeconfig  # noqa: E402
from kubelite.client.resources import resource_for  # noqa: E402
from kubelite.client.rest import Client  # noqa: E402
from tests.apiserverproc import APIServerProcess  # noqa: E402
from tests.storeproc import KUBELITE, log_tail, terminate  # noqa: E402

CPU_TARGET = 5.0     # % of one core, 1,000 nodes idle
RSS_TARGET = 150.0   # MB
REGISTERED = re.compile(r"registered (\d+) nodes \((\d+) created, (\d+) adopted\) in ([\d.]+)s")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LEASES = resource_for("coordination.k8s.io/v1", "leases")


def log(msg: str) -> None:
    print(f"[bench.simulator] {msg}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    # After the command: state is field 3, utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


def wait_registered(proc: subprocess.Popen, log_path: str, nodes: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"agent exited {proc.returncode}: {log_tail(log_path)}")
        with open(log_path, errors="replace") as f:
            match = REGISTERED.search(f.read())
        if match and int(match.group(1)) == nodes:
            return {"created": int(match.group(2)), "adopted": int(match.group(3)),
                    "logged_s": float(match.group(4))}
        time.sleep(0.2)
    raise TimeoutError(f"{nodes} nodes not registered after {timeout}s: {log_tail(log_path)}")


async def lease_renew_times(kubeconfig: str) -> dict[str, float]:
    async with Client(load_kubeconfig(kubeconfig), "bench") as client:
        items: list[dict] = []
        token = None
        while True:
            page = await client.list(LEASES, "kube-node-lease", limit=500, continue_=token)
            items.extend(page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                break
    return {item["metadata"]["name"]: parse_time((item.get("spec") or {}).get("renewTime"))
            or 0.0 for item in items}


def bench(args: argparse.Namespace, tmp: str) -> dict:
    api = APIServerProcess(os.path.join(tmp, "cluster"))
    agent: subprocess.Popen | None = None
    log_path = os.path.join(tmp, "agent.log")
    out: dict = {}
    try:
        log("starting the store and the API server")
        api.start()
        assert api.proc is not None
        log(f"starting kubelite agent --simulate {args.nodes}")
        started = time.monotonic()
        with open(log_path, "ab") as f:
            agent = subprocess.Popen(
                [KUBELITE, "agent", "--simulate", str(args.nodes), "--kubeconfig",
                 api.kubeconfig, "--zones", "3"],
                stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
        registered = wait_registered(agent, log_path, args.nodes, args.register_timeout)
        out["registration_s"] = round(time.monotonic() - started, 2)
        out["registration_logged_s"] = registered["logged_s"]
        log(f"registered in {out['registration_s']}s; settling {args.settle}s")
        time.sleep(args.settle)
        before_leases = asyncio.run(lease_renew_times(api.kubeconfig))
        cpu0, api_cpu0, t0 = cpu_seconds(agent.pid), cpu_seconds(api.proc.pid), time.monotonic()
        log(f"measuring {args.duration}s idle")
        time.sleep(args.duration)
        cpu1, api_cpu1, t1 = cpu_seconds(agent.pid), cpu_seconds(api.proc.pid), time.monotonic()
        rss = memory_mb(agent.pid, "VmRSS")
        peak = memory_mb(agent.pid, "VmHWM")
        after_leases = asyncio.run(lease_renew_times(api.kubeconfig))
        if agent.poll() is not None:
            raise RuntimeError(f"agent exited {agent.returncode}: {log_tail(log_path)}")
        elapsed = t1 - t0
        now = time.time()
        renewed = sum(1 for name, t in after_leases.items() if t > before_leases.get(name, 0.0))
        fresh = sum(1 for t in after_leases.values() if now - t <= 40.0)
        out.update({
            "idle_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 2),
            "idle_cpu_target": CPU_TARGET,
            "rss_mb": round(rss, 1),
            "rss_target": RSS_TARGET,
            "rss_peak_mb": round(peak, 1),
            "leases": len(after_leases),
            "leases_renewed_in_window": renewed,
            "fresh_leases": fresh,
            "apiserver_cpu_percent": round(100 * (api_cpu1 - api_cpu0) / elapsed, 2),
            "window_s": round(elapsed, 1),
        })
        out["targets"] = {
            "idle_cpu_percent<=5": out["idle_cpu_percent"] <= CPU_TARGET,
            "rss_mb<=150": out["rss_mb"] <= RSS_TARGET,
            "every_lease_fresh": fresh == args.nodes,
        }
        return out
    finally:
        terminate(agent)
        api.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000, help="simulated nodes (default 1000)")
    ap.add_argument("--duration", type=float, default=60.0,
                    help="seconds of idle measurement (default 60)")
    ap.add_argument("--settle", type=float, default=15.0,
                    help="seconds between registration and the measurement (default 15)")
    ap.add_argument("--register-timeout", type=float, default=300.0,
                    help="seconds allowed for registration (default 300)")
    args = ap.parse_args()
    config = {"nodes": args.nodes, "duration_s": args.duration, "settle_s": args.settle,
              "cpus": os.cpu_count(), "loadavg_1m_at_start": round(os.getloadavg()[0], 2)}
    errors: dict[str, str] = {}
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="kubelite-bench-sim-") as tmp:
        try:
            figures = bench(args, tmp)
        except Exception as e:
            errors["run"] = f"{type(e).__name__}: {e}"
            log(errors["run"])
    print(json.dumps({**figures, "config": config, "errors": errors}, indent=2))


if __name__ == "__main__":
    main()
