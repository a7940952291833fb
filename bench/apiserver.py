"""Benchmark of `kubelite apiserver` on the kubelite store and on a real etcd 3.4.

There is no real kube-apiserver on this machine, so the figures are set
against the targets of the API server issue and the Kubernetes SLOs (p99 of
mutating calls and single-object gets <= 1 s, of lists <= 30 s). Each store is
started in turn on a fresh data directory with `kubelite apiserver` over it
(tests/apiserverproc.py), driven by the same client, and stopped, so the two
columns differ only in the store under the API server.

The client is aiohttp over HTTPS (the API server's CA, the admin bearer
token, keep-alive, one connection per concurrent client) in a couple of
worker processes (`--client-procs`), as bench/store.py drives the store. The
objects are Pods (one container with a port, an env var and resource
requests: about 1 KB as stored), the objects of the Kubernetes SLOs, for every
figure. On a small machine the client, the API server and the store share the
cores; `config.python_noop_server_get_64` is the same client against an
aiohttp HTTPS server that answers every request with a fixed pod and does
nothing else (one process on uvloop, as the API server runs): the most any
single-process Python HTTP server reaches here, and `client_cpu_ms_per_*`
says what the client itself spends per request. Other work on the machine
shows in the figures (`config.loadavg_1m_at_start`); `--passes` runs each
store more than once and keeps each figure's best.

Figures (one JSON object on stdout; progress on stderr), each as
{"kubelite-store": x, "etcd": y, "ratio": x/y}:
  create, get, list (a namespace of 10 pods) and update (get once, then PUT
  with the last resourceVersion, one pod per client) throughput and p50/p99
  latency at 1, 16 and 64 concurrent clients, with the CPU the API server,
  the store and the client spend per request at 64;
  watch delivery p50/p99 at 1, 16 and 64 writers: a watcher on a namespace in
  this process, writers creating pods in the workers; latency = the time the
  watcher reads the ADDED event - the time the writer had the create's
  response (floored at 0: the event can overtake the response);
  10,000 pods created at 64 clients (bounded by --create-timeout; the rate and
  p99 are reported), then listed in one request and with limit=500 pages
  (median of 3 of each);
  one pod updated with 100 watchers on it (split over the workers): time from
  the update's response until the last watcher reads the event, p50/p99 over
  one change every 50 ms for --duration; once with the watchers started at
  the current revision, and once (`fanout_100_resumed_*`) with them resuming
  from the pod's revision at the start of the run, thousands of writes back,
  as informers do after a restart, so that they replay history meanwhile;
  watch headers p50/p99: on a warm connection, the time from sending a watch
  from the current resourceVersion of a quiet namespace until its response
  headers are in (the client can only stop a watch it has an answer to);
  resident memory of the API server and of the store after all of it;
  the API server stopped (SIGTERM: `apiserver_stop_s` until it has exited)
  and started again over everything the run stored (`apiserver_restart_s`
  until /readyz answers).
A figure that fails is left out, its error goes to "errors", and the run
goes on. `targets` says, per store, whether each goal is met.

    .venv/bin/python bench/apiserver.py [--duration S] [--store kubelite|etcd|both]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
import orjson
import uvloop
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.store import cpu_seconds, etcd_version, keep_best, rss_mib  # noqa: E402
from bench.workers import Workers, percentile  # noqa: E402
from kubelite.apiserver.certs import ensure_pki, server_ssl_context  # noqa: E402
from tests.apiserverproc import APIServerProcess  # noqa: E402
from tests.storeproc import free_port, terminate  # noqa: E402

STORES = {"kubelite-store": "kubelite", "etcd": "etcd"}  # column name -> store_kind
CLIENTS = (1, 16, 64)
LOAD_OPS = ("create", "get", "list", "update")
SMALL_NS_PODS = 10
WARMUP = 0.5  # seconds of load before the measured window
SYNC_DELAY = 0.3  # seconds between handing out work and the common start
REQUEST_TIMEOUT = 30.0
LIST_REPEATS = 3
PAGE_LIMIT = 500
FANOUT_WATCHERS = 100
FANOUT_SPACING = 0.05  # seconds between two changes of the fanned-out pod
WATCH_IDLE = 20.0  # a fan-out watcher that reads nothing this long stops
WATCH_HEADER_SAMPLES = 50
NAMESPACES = ("bench-create", "bench-small", "bench-update", "bench-watch", "bench-10k",
              "bench-fanout")

POD_TEMPLATE = orjson.dumps({
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "@NAME@", "labels": {"app": "bench", "tier": "load"}},
    "spec": {
        "containers": [{
            "name": "app",
            "image": "registry.k8s.io/pause:3.9",
            "ports": [{"name": "http", "containerPort": 8080}],
            "env": [{"name": "MODE", "value": "bench"}],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
        }],
    },
})


def pod_body(name: str) -> bytes:
    return POD_TEMPLATE.replace(b"@NAME@", name.encode())


def pods_path(ns: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{ns}/pods" + (f"/{name}" if name else "")


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def session(url: str, ca_file: str, token: str) -> aiohttp.ClientSession:
    """A keep-alive HTTPS session that trusts the API server's CA and sends
    the bearer token; no limit on connections (one per concurrent client)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    return aiohttp.ClientSession(
        url,
        connector=aiohttp.TCPConnector(ssl=ctx, limit=0),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


class HTTPError(Exception):
    pass


async def call(s: aiohttp.ClientSession, method: str, path: str, body: bytes | None = None,
               params: dict | None = None) -> bytes:
    """One request; the body of a 2xx answer, else HTTPError with the status."""
    async with s.request(method, path, data=body, params=params) as r:
        data = await r.read()
        if r.status >= 300:
            raise HTTPError(f"{method} {path}: {r.status} {data[:300].decode(errors='replace')}")
        return data


# --- load generation (runs in worker processes) ---------------------------


async def run_load(spec: dict, conn: Connection) -> dict:
    """Drive `clients` concurrent loops of one operation from the common start
    time; latencies of the calls that start inside the measured window."""
    offset = time.perf_counter() - time.time()
    begin = spec["start_at"] + offset
    measure_from = begin + spec["warmup"]
    end = measure_from + spec["duration"]
    op, clients, first = spec["op"], spec["clients"], spec["first"]
    latencies: list[float] = []
    acks: dict[str, float] = {}
    failures: list[str] = []
    counts = {"total": 0, "failed": 0, "created": 0}
    cpu0 = time.process_time()

    async with session(spec["url"], spec["ca"], spec["token"]) as s:
        if op == "watchers":
            return await watchers(s, spec, conn)

        async def request(n: int, seq: int, state: dict) -> None:
            if op in ("create", "create_stamped", "create_count"):
                name = f"{spec['tag']}-{first + n}-{seq}"
                await call(s, "POST", pods_path(spec["ns"]), pod_body(name))
                if op == "create_stamped":
                    state["name"] = name
            elif op == "get":
                await call(s, "GET", pods_path(spec["ns"], f"small-{(first + n) % SMALL_NS_PODS}"))
            elif op == "list":
                await call(s, "GET", pods_path(spec["ns"]))
            else:  # update: PUT the pod back with a changed annotation
                obj = state["pod"]
                obj["metadata"].setdefault("annotations", {})["bench/seq"] = str(seq)
                path = pods_path(spec["ns"], obj["metadata"]["name"])
                state["pod"] = orjson.loads(await call(s, "PUT", path, orjson.dumps(obj)))

        async def client(n: int) -> None:
            state: dict = {}
            if op == "update":
                path = pods_path(spec["ns"], f"upd-{first + n}")
                state["pod"] = orjson.loads(await call(s, "GET", path))
            seq, failed_in_a_row = 0, 0
            while True:
                t0 = time.perf_counter()
                if t0 >= end or (op == "create_count" and counts["created"] >= spec["count"]):
                    return
                if op == "create_count":
                    counts["created"] += 1  # claimed; given back below if it fails
                counts["total"] += 1
                try:
                    await request(n, seq, state)
                except (HTTPError, aiohttp.ClientError, OSError, TimeoutError) as e:
                    counts["failed"] += 1
                    if op == "create_count":
                        counts["created"] -= 1
                    if len(failures) < 3:
                        failures.append(f"{type(e).__name__}: {e}")
                    failed_in_a_row += 1
                    if failed_in_a_row >= 20:  # the server is gone: stop this client
                        return
                    await asyncio.sleep(0.01)
                    continue
                t1 = time.perf_counter()
                failed_in_a_row = 0
                seq += 1
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    if op == "create_stamped":
                        acks[state["name"]] = time.time()

        delay = begin - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - begin
    return {
        "latencies": latencies, "acks": acks, "failures": failures, "elapsed": elapsed,
        "cpu": time.process_time() - cpu0, **counts,
    }


async def watchers(s: aiohttp.ClientSession, spec: dict, conn: Connection) -> dict:
    """Open `clients` watches on one pod from `rv`, tell the parent once all
    are open, and note when each reads each change made after `after`:
    {resourceVersion: [readers, last read]}."""
    seen: dict[str, list] = {}
    opened = asyncio.Event()
    open_count = 0
    params = {"watch": "1", "resourceVersion": spec["rv"],
              "fieldSelector": f"metadata.name={spec['name']}"}
    no_timeout = aiohttp.ClientTimeout(total=None, sock_read=None)

    async def one() -> None:
        nonlocal open_count
        async with s.get(pods_path(spec["ns"]), params=params, timeout=no_timeout) as r:
            if r.status != 200:
                raise HTTPError(f"watch: {r.status} {(await r.read())[:300]!r}")
            open_count += 1
            if open_count == spec["clients"]:
                opened.set()
            got = 0
            while got < spec["changes"]:
                try:
                    line = await asyncio.wait_for(r.content.readline(), WATCH_IDLE)
                except TimeoutError:
                    return  # the changes stopped (the writer gave up)
                if not line:
                    return
                now = time.time()
                rv = orjson.loads(line)["object"]["metadata"]["resourceVersion"]
                if int(rv) <= spec["after"]:
                    continue  # replayed from before the measured changes
                got += 1
                entry = seen.setdefault(rv, [0, 0.0])
                entry[0] += 1
                entry[1] = max(entry[1], now)

    tasks = [asyncio.create_task(one()) for _ in range(spec["clients"])]
    try:
        opening = asyncio.create_task(opened.wait())
        await asyncio.wait([opening, *tasks], timeout=30, return_when=asyncio.FIRST_COMPLETED)
        for t in tasks:
            if t.done() and t.exception():
                raise t.exception()
        if not opened.is_set():
            raise TimeoutError(f"only {open_count} of {spec['clients']} watches opened in 30 s")
        conn.send({"watching": open_count})
        await asyncio.wait(tasks, timeout=spec["deadline"] - time.time())
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {"seen": seen}


def run_spec(spec: dict, conn: Connection) -> dict:
    """What a load process runs for each spec (bench.workers)."""
    return uvloop.run(run_load(spec, conn))


def summarize(results: list[dict], duration: float) -> dict:
    lat = sorted(x for r in results for x in r["latencies"])
    return {
        "throughput": round(len(lat) / duration, 1),
        "p50_ms": round(percentile(lat, 0.50) * 1e3, 2),
        "p99_ms": round(percentile(lat, 0.99) * 1e3, 2),
        "total": sum(r["total"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "failures": [f for r in results for f in r["failures"]],
        "client_cpu": sum(r["cpu"] for r in results),
    }


def failure_note(r: dict) -> str | None:
    if not r["failed"]:
        return None
    return f"{r['failed']} of {r['total']} requests failed; first: {r['failures'][0]}"


# --- figures for one store -------------------------------------------------


class Bench:
    """All figures for `kubelite apiserver` over one store."""

    def __init__(self, column: str, api: APIServerProcess, workers: Workers, args,
                 errors: dict[str, str]) -> None:
        self.column, self.api, self.workers, self.args = column, api, workers, args
        self.errors = errors
        self.duration: float = args.duration
        self.out: dict[str, float] = {}
        self.token = admin_token(api.data_dir)
        self.base = {"url": api.url, "ca": api.ca_file, "token": self.token}
        self.s: aiohttp.ClientSession | None = None
        self.setup_rv = ""

    async def in_thread(self, fn, *a):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *a)

    async def figure(self, name: str, measure: Callable[[], Awaitable[dict]]) -> None:
        log(f"{self.column}: {name}")
        try:
            self.out.update(await measure())
        except Exception as e:  # a broken figure must not hide the others
            self.errors[f"{self.column} {name}"] = f"{type(e).__name__}: {e}"
            log(f"{self.column}: {name} failed: {self.errors[f'{self.column} {name}']}")

    def note(self, name: str, text: str | None) -> None:
        if text:
            self.errors[f"{self.column} {name}"] = text
            log(f"{self.column}: {name}: {text}")

    async def run(self) -> dict:
        async with session(self.api.url, self.api.ca_file, self.token) as self.s:
            await self.figure("setup", self.setup)
            for op in LOAD_OPS:
                for clients in CLIENTS:
                    await self.figure(f"{op} x{clients}", lambda o=op, c=clients: self.load(o, c))
            for clients in CLIENTS:
                await self.figure(f"watch delivery x{clients}",
                                  lambda c=clients: self.watch_delivery(c))
            await self.figure(f"create {self.args.pods} pods", self.create_many)
            await self.figure(f"list {self.args.pods} pods", self.list_many)
            await self.figure(f"fan-out to {FANOUT_WATCHERS} watchers", self.fanout)
            await self.figure(f"fan-out to {FANOUT_WATCHERS} resuming watchers",
                              lambda: self.fanout(resumed=True))
            await self.figure("watch headers", self.watch_headers)
        for name, proc in (("apiserver", self.api.proc), ("store", self.api.store.proc)):
            if proc.poll() is None:
                self.out[f"{name}_rss_mib"] = rss_mib(proc.pid)
            else:
                self.note(f"{name} rss", f"{name} exited with {proc.returncode}")
        await self.figure("stop and restart", self.restart)
        return self.out

    async def watch_headers(self) -> dict:
        listed = orjson.loads(await call(self.s, "GET", pods_path("bench-watch"),
                                         params={"limit": "1"}))
        params = {"watch": "1", "resourceVersion": listed["metadata"]["resourceVersion"]}
        took = []
        for _ in range(WATCH_HEADER_SAMPLES):
            await call(self.s, "GET", "/version")  # a warm connection in the pool
            t0 = time.perf_counter()
            async with self.s.get(pods_path("bench-watch"), params=params) as r:
                took.append(time.perf_counter() - t0)
                if r.status != 200:
                    raise HTTPError(f"watch: {r.status}")
                r.close()  # drop the stream's connection
        took.sort()
        return {"watch_headers_p50_ms": round(percentile(took, 0.5) * 1e3, 2),
                "watch_headers_p99_ms": round(percentile(took, 0.99) * 1e3, 2)}

    async def restart(self) -> dict:
        proc = self.api.proc
        t0 = time.perf_counter()
        await self.in_thread(terminate, proc)
        stopped = time.perf_counter() - t0
        t0 = time.perf_counter()
        await self.in_thread(self.api.start)
        return {"apiserver_stop_s": round(stopped, 3),
                "apiserver_restart_s": round(time.perf_counter() - t0, 3)}

    async def setup(self) -> dict:
        """Namespaces, the pods that get/list/update and the fan-out use."""
        for ns in NAMESPACES:
            body = orjson.dumps({"apiVersion": "v1", "kind": "Namespace",
                                 "metadata": {"name": ns}})
            await call(self.s, "POST", "/api/v1/namespaces", body)
        stored = await call(self.s, "POST", pods_path("bench-small"), pod_body("small-0"))
        for i in range(1, SMALL_NS_PODS):
            await call(self.s, "POST", pods_path("bench-small"), pod_body(f"small-{i}"))
        for i in range(max(CLIENTS)):
            await call(self.s, "POST", pods_path("bench-update"), pod_body(f"upd-{i}"))
        fanout = orjson.loads(await call(self.s, "POST", pods_path("bench-fanout"),
                                         pod_body("fanout")))
        self.setup_rv = fanout["metadata"]["resourceVersion"]
        return {"pod_bytes": len(stored)}

    async def load(self, op: str, clients: int) -> dict:
        ns = {"create": "bench-create", "get": "bench-small", "list": "bench-small",
              "update": "bench-update"}[op]
        spec = {**self.base, "op": op, "ns": ns, "tag": f"{op}{clients}",
                "start_at": time.time() + SYNC_DELAY, "warmup": WARMUP,
                "duration": self.duration}
        cpu = {n: cpu_seconds(p.pid) for n, p in self.procs()}
        results = await self.in_thread(self.workers.run, spec, clients,
                                       SYNC_DELAY + WARMUP + self.duration + 60)
        used = {n: cpu_seconds(p.pid) - cpu[n] for n, p in self.procs()}
        r = summarize(results, self.duration)
        self.note(f"{op} x{clients}", failure_note(r))
        out = {f"{op}_throughput_{clients}": r["throughput"],
               f"{op}_p50_ms_{clients}": r["p50_ms"], f"{op}_p99_ms_{clients}": r["p99_ms"]}
        if clients == max(CLIENTS) and r["total"] > r["failed"]:
            ok = r["total"] - r["failed"]
            for name, seconds in (*used.items(), ("client", r["client_cpu"])):
                out[f"{name}_cpu_ms_per_{op}_{clients}"] = round(seconds / ok * 1e3, 3)
        return out

    def procs(self):
        return (("apiserver", self.api.proc), ("store", self.api.store.proc))

    async def watch_delivery(self, clients: int) -> dict:
        """A watcher here on bench-watch; `clients` writers in the workers
        create pods and note when each create was answered."""
        listed = orjson.loads(await call(self.s, "GET", pods_path("bench-watch"),
                                         params={"limit": "1"}))
        params = {"watch": "1", "resourceVersion": listed["metadata"]["resourceVersion"]}
        received: dict[str, float] = {}
        no_timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.s.get(pods_path("bench-watch"), params=params, timeout=no_timeout) as r:
            if r.status != 200:
                raise HTTPError(f"watch: {r.status} {(await r.read())[:300]!r}")

            async def receive() -> None:
                while line := await r.content.readline():
                    now = time.time()
                    event = orjson.loads(line)
                    received[event["object"]["metadata"]["name"]] = now

            reader = asyncio.create_task(receive())
            spec = {**self.base, "op": "create_stamped", "ns": "bench-watch",
                    "tag": f"w{clients}", "start_at": time.time() + SYNC_DELAY, "warmup": 0.0,
                    "duration": self.duration}
            try:
                results = await self.in_thread(self.workers.run, spec, clients,
                                               SYNC_DELAY + self.duration + 60)
                acks = {k: v for res in results for k, v in res["acks"].items()}
                for _ in range(100):  # up to 10 s for the last events to arrive
                    if reader.done() or all(name in received for name in acks):
                        break
                    await asyncio.sleep(0.1)
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
        summary = summarize(results, self.duration)
        self.note(f"watch delivery x{clients}", failure_note(summary))
        missing = [name for name in acks if name not in received]
        if missing:
            raise RuntimeError(f"the watcher got {len(acks) - len(missing)} of {len(acks)} events")
        lat = sorted(max(0.0, received[name] - ack) for name, ack in acks.items())
        return {f"watch_delivery_p50_ms_{clients}": round(percentile(lat, 0.5) * 1e3, 2),
                f"watch_delivery_p99_ms_{clients}": round(percentile(lat, 0.99) * 1e3, 2),
                f"watch_events_per_s_{clients}": round(len(lat) / self.duration, 1)}

    async def create_many(self) -> dict:
        clients, count = max(CLIENTS), self.args.pods
        spec = {**self.base, "op": "create_count", "ns": "bench-10k", "tag": "many",
                "count": count, "start_at": time.time() + SYNC_DELAY, "warmup": 0.0,
                "duration": self.args.create_timeout}
        results = await self.in_thread(self.workers.run, spec, clients,
                                       SYNC_DELAY + self.args.create_timeout + 60)
        r = summarize(results, 1.0)
        created = sum(res["created"] for res in results)
        elapsed = max(res["elapsed"] for res in results)
        self.note(f"create {count} pods", failure_note(r))
        if created < count:
            self.note(f"create {count} pods (short)",
                      f"only {created} of {count} pods created in {self.args.create_timeout} s")
        return {"many_pods_created": created,
                "many_pods_create_throughput": round(created / elapsed, 1),
                "many_pods_create_p99_ms": r["p99_ms"]}

    async def list_many(self) -> dict:
        full, paged, size, items = [], [], 0, 0
        for _ in range(LIST_REPEATS):
            t0 = time.perf_counter()
            body = await call(self.s, "GET", pods_path("bench-10k"))
            full.append(time.perf_counter() - t0)
            size, items = len(body), len(orjson.loads(body)["items"])
            t0 = time.perf_counter()
            params, got = {"limit": str(PAGE_LIMIT)}, 0
            for _page in range(self.args.pods // PAGE_LIMIT + 10):
                page = orjson.loads(await call(self.s, "GET", pods_path("bench-10k"),
                                               params=params))
                got += len(page["items"])
                token = page["metadata"].get("continue")
                if not token:
                    break
                params = {"limit": str(PAGE_LIMIT), "continue": token}
            paged.append(time.perf_counter() - t0)
            if got != items:
                self.note("list paginated", f"pages held {got} pods, the full list {items}")
        return {"many_pods_listed": items, "many_pods_list_mib": round(size / 2**20, 2),
                "many_pods_list_s": round(statistics.median(full), 3),
                f"many_pods_list_paginated_{PAGE_LIMIT}_s": round(statistics.median(paged), 3)}

    async def fanout(self, resumed: bool = False) -> dict:
        """100 watchers (in the workers) on one pod; change it every
        FANOUT_SPACING s and time until the last watcher has each change.
        The watchers start at the current revision, or when `resumed` at the
        pod's revision from the setup, thousands of writes back (as informers
        resuming after a restart do): then they replay what they missed while
        the changes go on."""
        path = pods_path("bench-fanout", "fanout")
        pod = orjson.loads(await call(self.s, "GET", path))
        listed = orjson.loads(await call(self.s, "GET", pods_path("bench-fanout"),
                                         params={"limit": "1"}))
        current = listed["metadata"]["resourceVersion"]
        start = self.setup_rv if resumed else current
        changes = max(10, int(self.duration / FANOUT_SPACING))
        deadline = time.time() + 30 + changes * FANOUT_SPACING + 30
        spec = {**self.base, "op": "watchers", "ns": "bench-fanout", "name": "fanout",
                "rv": start, "after": int(current), "changes": changes, "tag": "fan",
                "start_at": time.time(), "warmup": 0.0, "duration": 0.0, "deadline": deadline}
        used = self.workers.start(spec, FANOUT_WATCHERS)
        # every worker says once its watches are open (or fails)
        opened = await self.in_thread(Workers.receive, used, 40, "fan-out watchers")
        if sum(o.get("watching", 0) for o in opened) != FANOUT_WATCHERS:
            raise RuntimeError(f"watchers did not open: {opened}")
        acks: dict[str, float] = {}
        failed: list[str] = []
        try:
            for i in range(changes):
                pod["metadata"].setdefault("annotations", {})["bench/change"] = str(i)
                try:
                    pod = orjson.loads(await call(self.s, "PUT", path, orjson.dumps(pod)))
                except (HTTPError, aiohttp.ClientError, TimeoutError) as e:
                    failed.append(f"{type(e).__name__}: {e}")
                    if len(failed) >= 5:
                        break
                    pod = orjson.loads(await call(self.s, "GET", path))
                    continue
                acks[pod["metadata"]["resourceVersion"]] = time.time()
                await asyncio.sleep(FANOUT_SPACING)
        finally:
            results = await self.in_thread(Workers.receive, used,
                                           deadline - time.time() + 10, "fan-out watchers")
        lat, short = [], 0
        for rv, ack in acks.items():
            readers, last = 0, 0.0
            for res in results:
                entry = res["seen"].get(rv, (0, 0.0))
                readers, last = readers + entry[0], max(last, entry[1])
            if readers < FANOUT_WATCHERS:
                short += 1
            else:
                lat.append(max(0.0, last - ack))
        name = f"fanout_{FANOUT_WATCHERS}" + ("_resumed" if resumed else "")
        if failed:
            self.note(f"{name} updates",
                      f"{len(failed)} of {changes} updates failed; first: {failed[0]}")
        if short:
            self.note(name, f"{short} of {len(acks)} changes did not reach all watchers")
        if not lat:
            raise RuntimeError("no change reached all watchers")
        lat.sort()
        out = {f"{name}_p50_ms": round(percentile(lat, 0.5) * 1e3, 2),
               f"{name}_p99_ms": round(percentile(lat, 0.99) * 1e3, 2)}
        if resumed:
            out[f"{name}_revisions_back"] = int(current) - int(start)
        return out


def admin_token(data_dir: str) -> str:
    with open(os.path.join(data_dir, "apiserver", "tokens.csv"), newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 2 and row[1] == "admin":
                return row[0]
    raise RuntimeError("no admin token in tokens.csv")


def bench_store(column: str, workers: Workers, args, tmp: str, errors: dict[str, str]) -> dict:
    api = APIServerProcess(os.path.join(tmp, column), store_kind=STORES[column])
    try:
        api.start()
        return uvloop.run(Bench(column, api, workers, args, errors).run())
    finally:
        api.stop()


# --- baseline: the same client against an HTTPS server that does nothing ---


def noop_server_main(port_conn: Connection, pki_dir: str, port: int) -> None:
    """Answer every request with the same pod at once, in one process on uvloop."""
    pki = ensure_pki(pki_dir, [])
    answer = pod_body("small-0")

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=answer, content_type="application/json")

    async def serve() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_ssl_context(pki, None))
        await site.start()
        port_conn.send(pki.ca_cert)
        await asyncio.get_running_loop().run_in_executor(None, port_conn.recv)
        await runner.cleanup()

    uvloop.run(serve())


def python_noop_server(workers: Workers, duration: float, tmp: str) -> dict:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    port = free_port()
    proc = ctx.Process(target=noop_server_main, args=(child, tmp, port), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("do-nothing server did not start")
        ca = parent.recv()
        spec = {"url": f"https://127.0.0.1:{port}", "ca": ca, "token": "-", "op": "get",
                "ns": "bench-small", "tag": "noop", "start_at": time.time() + SYNC_DELAY,
                "warmup": WARMUP, "duration": duration}
        before = cpu_seconds(proc.pid)
        r = summarize(workers.run(spec, 64, SYNC_DELAY + WARMUP + duration + 60), duration)
        used = cpu_seconds(proc.pid) - before
        ok = max(1, r["total"] - r["failed"])
        return {"python_noop_server_get_64": r["throughput"],
                "python_noop_server_cpu_ms_per_get_64": round(used / ok * 1e3, 3),
                "client_cpu_ms_per_get_64_noop": round(r["client_cpu"] / ok * 1e3, 3)}
    finally:
        parent.send(None)
        proc.join(5)
        if proc.is_alive():
            proc.kill()


# --- report ------------------------------------------------------------------


def target(values: dict[str, float | None], limit: float, what: str) -> dict:
    return {"figure": what, "target": limit,
            **{c: {"value": v, "met": None if v is None else v <= limit}
               for c, v in values.items()}}


def worst(results: dict[str, dict], names: list[str]) -> dict[str, float | None]:
    out = {}
    for column, figures in results.items():
        have = [figures[n] for n in names if figures.get(n) is not None]
        out[column] = max(have) if have else None
    return out


def report(results: dict[str, dict], errors: dict[str, str], config: dict) -> dict:
    names: list[str] = []
    for r in results.values():
        names += [n for n in r if n not in names]
    out: dict = {"config": config}
    for name in names:
        row = {c: results[c].get(name) for c in results}
        k, e = row.get("kubelite-store"), row.get("etcd")
        if k is not None and e is not None:
            row["ratio"] = round(k / e, 3) if e else None
        out[name] = row
    if errors:
        out["errors"] = errors

    def one(name: str) -> dict[str, float | None]:
        return {c: results[c].get(name) for c in results}

    top = max(CLIENTS)
    mutating = [f"{op}_p99_ms_{c}" for op in ("create", "update") for c in CLIENTS]
    mutating.append("many_pods_create_p99_ms")
    in_ms = {c: {**f, "many_pods_list_ms": f["many_pods_list_s"] * 1e3}
             if "many_pods_list_s" in f else f for c, f in results.items()}
    lists = worst(in_ms, [f"list_p99_ms_{c}" for c in CLIENTS] + ["many_pods_list_ms"])
    pods = f"{config['many_pods']:,}"
    targets = {
        f"create p99 at {top} clients <= 100 ms": target(one(f"create_p99_ms_{top}"), 100,
                                                         f"create_p99_ms_{top}"),
        f"get p99 at {top} clients <= 100 ms": target(one(f"get_p99_ms_{top}"), 100,
                                                      f"get_p99_ms_{top}"),
        f"list of {pods} pods <= 1 s": target(one("many_pods_list_s"), 1.0, "many_pods_list_s"),
    }
    for c in CLIENTS:
        targets[f"watch delivery p99 with {c} writers <= 50 ms"] = target(
            one(f"watch_delivery_p99_ms_{c}"), 50, f"watch_delivery_p99_ms_{c}")
    targets["watch headers p99 <= 50 ms"] = target(one("watch_headers_p99_ms"), 50,
                                                   "watch_headers_p99_ms")
    targets["stop on SIGTERM <= 2 s"] = target(one("apiserver_stop_s"), 2.0,
                                               "apiserver_stop_s")
    targets["SLO: mutating calls p99 <= 1 s"] = target(
        worst(results, mutating), 1000, "worst p99 ms of create/update at 1/16/64 clients "
        f"and of the {pods} creates")
    targets["SLO: single-object get p99 <= 1 s"] = target(
        worst(results, [f"get_p99_ms_{c}" for c in CLIENTS]), 1000,
        "worst get p99 ms at 1/16/64 clients")
    targets["SLO: list p99 <= 30 s"] = target(
        lists, 30000, f"worst of list p99 ms at 1/16/64 clients and the {pods}-pod list (ms)")
    out["targets"] = targets
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    ap.add_argument("--store", choices=("kubelite", "etcd", "both"), default="both")
    ap.add_argument("--client-procs", type=int, default=2,
                    help="load-generating processes (default 2)")
    ap.add_argument("--passes", type=int, default=1,
                    help="runs of each store, alternating; each figure keeps its best (default 1)")
    ap.add_argument("--pods", type=int, default=10_000, help="pods for the big list (10,000)")
    ap.add_argument("--create-timeout", type=float, default=90.0,
                    help="seconds allowed for creating them (default 90)")
    args = ap.parse_args()
    columns = [c for c, kind in STORES.items() if args.store in (kind, "both")]
    started = time.monotonic()
    workers = Workers(args.client_procs, "bench.apiserver:run_spec")
    results: dict[str, dict] = {}
    errors: dict[str, str] = {}
    config = {
        "duration_s": args.duration, "passes": args.passes, "client_procs": args.client_procs,
        "cpus": os.cpu_count(), "object": "v1 Pod", "small_namespace_pods": SMALL_NS_PODS,
        "many_pods": args.pods, "fanout_watchers": FANOUT_WATCHERS,
        "etcd_version": etcd_version(),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    try:
        with tempfile.TemporaryDirectory(prefix="kubelite-bench-noop-") as tmp:
            log("baseline: do-nothing Python HTTPS server, get x64")
            try:
                config.update(python_noop_server(workers, args.duration, tmp))
            except Exception as e:
                errors["baseline"] = f"{type(e).__name__}: {e}"
        for n in range(args.passes):
            for column in columns if n % 2 == 0 else columns[::-1]:
                log(f"pass {n + 1}/{args.passes}: apiserver on {column}")
                with tempfile.TemporaryDirectory(prefix=f"kubelite-bench-api-{column}-") as tmp:
                    try:
                        figures = bench_store(column, workers, args, tmp, errors)
                    except Exception as e:  # one store failing still reports the other
                        figures = {}
                        errors[column] = f"{type(e).__name__}: {e}"
                        log(f"{column} failed: {errors[column]}")
                keep_best(results.setdefault(column, {}), figures)
    finally:
        workers.close()
    config["elapsed_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(report(results, errors, config), indent=2))


if __name__ == "__main__":
    main()
