"""Load-generating processes the benchmarks share.

A fixed set of spawned processes is started once and reused by every
figure: each is sent a spec, runs `target(spec, conn)` (a "module:function"
the process imports itself) and answers with what it measured, or with
{"error": ...}. Keeping the client in other processes keeps it from being
the server's bottleneck in one interpreter.
"""

from __future__ import annotations

import importlib
import multiprocessing
import time
from multiprocessing.connection import Connection


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


def _serve(conn: Connection, target: str) -> None:
    module, name = target.split(":")
    run = getattr(importlib.import_module(module), name)
    conn.send("ready")
    while True:
        spec = conn.recv()
        if spec is None:
            return
        try:
            conn.send(run(spec, conn))
        except Exception as e:  # reported to the parent, which fails the figure
            conn.send({"error": f"{type(e).__name__}: {e}"})


class Workers:
    """`count` spawned processes running `target` for each spec they get."""

    def __init__(self, count: int, target: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs = []
        for _ in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, target), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        for conn in self.conns:  # spawned interpreters take a moment to import
            if not conn.poll(60) or conn.recv() != "ready":
                raise RuntimeError("a load process did not start")

    def start(self, spec: dict, clients: int) -> list[Connection]:
        """Spread `clients` over the workers (one worker for one client),
        each with its share, the index of its first client, and its share
        of spec["count"] when there is one."""
        used = self.conns[: max(1, min(len(self.conns), clients))]
        share = [clients // len(used) + (i < clients % len(used)) for i in range(len(used))]
        first = 0
        for i, (conn, n) in enumerate(zip(used, share, strict=True)):
            part = {**spec, "clients": n, "first": first, "tag": f"{spec['tag']}-{i}"}
            if "count" in spec:
                part["count"] = spec["count"] // len(used) + (i < spec["count"] % len(used))
            conn.send(part)
            first += n
        return used

    @staticmethod
    def receive(used: list[Connection], timeout: float, what: str) -> list[dict]:
        results = []
        deadline = time.monotonic() + timeout
        for conn in used:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"{what}: a load process did not answer in {timeout:.0f} s")
            results.append(conn.recv())
        errors = [r["error"] for r in results if "error" in r]
        if errors:
            raise RuntimeError(f"{what}: {errors[0]}")
        return results

    def run(self, spec: dict, clients: int, timeout: float) -> list[dict]:
        return self.receive(self.start(spec, clients), timeout, f"{spec['op']} x{clients}")

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
