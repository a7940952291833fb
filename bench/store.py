"""Benchmark of `kubelite store` against a real etcd 3.4 on the same machine.

Each server is started in turn on a fresh data directory with default
settings (fsync on), driven by the same grpc.aio client with the project's
generated stubs, and stopped. The client runs in a couple of worker processes
(`--client-procs`) so that one Python process is not the only bottleneck;
on a small machine the client and the server share the cores, so the etcd
figures are partly the client's limit. `config.python_noop_server_put_64` is
the same client against a gRPC server that does nothing, in one Python
process on uvloop (as kubelite runs): the most any single-process Python
gRPC server reaches here; `python_noop_server_cpu_ms_per_put_64` is the CPU
that server spends per request, the floor under kubelite's
`server_cpu_ms_per_put_*`.

Figures (one JSON object on stdout; progress on stderr):
  put throughput and p50/p99 latency at 1, 16 and 64 concurrent clients
  (256-byte values, distinct keys); single-key range throughput at 16 clients,
  serializable and linearizable; watch delivery latency p50/p99 (a watcher on
  a prefix, one writer putting keys whose value holds the send time); the
  server's resident memory after the load; the server's CPU time per put.
Each has {"kubelite": x, "etcd": y, "ratio": x/y}; `targets` says whether
kubelite meets its goals relative to etcd. Each server runs `--passes` times
in alternating order (kubelite, etcd, etcd, kubelite, ...) on a new data
directory each time, and each figure keeps its best pass: that filters out
most of the interference from other work on the machine.

    .venv/bin/python bench/store.py [--duration S] [--passes N] [--only kubelite|etcd]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import grpc
import uvloop

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.workers import Workers, percentile  # noqa: E402
from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc  # noqa: E402
from tests.storeproc import ETCD, StoreProcess  # noqa: E402

VALUE_SIZE = 256
PUT_CLIENTS = (1, 16, 64)
RANGE_CLIENTS = 16
CHANNELS_PER_PROC = 4
WARMUP = 0.5  # seconds of load before the measured window
SYNC_DELAY = 0.3  # seconds between handing out work and the common start


# --- load generation (runs in worker processes) ---------------------------


async def run_load(spec: dict) -> dict:
    """Drive `clients` concurrent loops of one operation; count and time the
    calls that start inside the common measured window."""
    offset = time.perf_counter() - time.time()
    begin = spec["start_at"] + offset
    measure_from = begin + spec["warmup"]
    end = measure_from + spec["duration"]
    op, clients, tag = spec["op"], spec["clients"], spec["tag"]
    channels = [
        grpc.aio.insecure_channel(spec["endpoint"]) for _ in range(min(clients, CHANNELS_PER_PROC))
    ]
    latencies: list[float] = []
    value = b"v" * VALUE_SIZE
    get = rpc_pb2.RangeRequest(key=b"/bench/get", serializable=op == "get_serializable")

    async def client(n: int) -> None:
        kv = rpc_pb2_grpc.KVStub(channels[n % len(channels)])
        seq = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            if op == "put":
                key = b"/bench/put/%s/%d/%d" % (tag.encode(), n, seq)
                await kv.Put(rpc_pb2.PutRequest(key=key, value=value), timeout=10)
            elif op == "put_stamped":
                stamp = b"%d:" % time.time_ns()
                key = b"/bench/watch/%d/%d" % (n, seq)
                stamp = stamp + b"w" * (VALUE_SIZE - len(stamp))
                await kv.Put(rpc_pb2.PutRequest(key=key, value=stamp), timeout=10)
            else:
                await kv.Range(get, timeout=10)
            t1 = time.perf_counter()
            seq += 1
            if t0 >= measure_from:
                latencies.append(t1 - t0)

    delay = begin - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
    try:
        await asyncio.gather(*(client(n) for n in range(clients)))
    finally:
        for ch in channels:
            await ch.close()
    return {"latencies": latencies}


def run_spec(spec: dict, conn: Connection) -> dict:
    """What a load process runs for each spec (bench.workers)."""
    return asyncio.run(run_load(spec))


def measure(workers: Workers, endpoint: str, op: str, clients: int, duration: float,
            tag: str) -> dict:
    """Spread `clients` over the workers, starting together, and merge what
    they measured."""
    spec = {"endpoint": endpoint, "op": op, "tag": tag, "start_at": time.time() + SYNC_DELAY,
            "warmup": WARMUP, "duration": duration}
    results = workers.run(spec, clients, SYNC_DELAY + WARMUP + duration + 60)
    lat = sorted(x for r in results for x in r["latencies"])
    return {
        "throughput": round(len(lat) / duration, 1),
        "p50_ms": round(percentile(lat, 0.50) * 1e3, 3),
        "p99_ms": round(percentile(lat, 0.99) * 1e3, 3),
    }


# --- figures for one server ----------------------------------------------


async def watch_latency(endpoint: str, workers: Workers, duration: float) -> dict:
    """A watcher here on /bench/watch/, one writer in a worker process stamping
    each value with its send time; latency = receive time - send time."""
    async with grpc.aio.insecure_channel(endpoint) as ch:
        call = rpc_pb2_grpc.WatchStub(ch).Watch()
        await call.write(
            rpc_pb2.WatchRequest(
                create_request=rpc_pb2.WatchCreateRequest(
                    key=b"/bench/watch/", range_end=b"/bench/watch0"
                )
            )
        )
        created = await asyncio.wait_for(call.read(), timeout=10)
        if not created.created:
            raise RuntimeError(f"watch not created: {created}")
        writer = workers.start(
            {
                "endpoint": endpoint,
                "op": "put_stamped",
                "tag": "watch",
                "start_at": time.time() + SYNC_DELAY,
                "warmup": 0.0,
                "duration": duration,
            },
            1,
        )
        latencies: list[float] = []

        async def receive() -> None:
            while (resp := await call.read()) is not grpc.aio.EOF:
                now = time.time_ns()
                for ev in resp.events:
                    sent = int(ev.kv.value.split(b":", 1)[0])
                    latencies.append((now - sent) / 1e9)

        reader = asyncio.create_task(receive())
        loop = asyncio.get_running_loop()
        (result,) = await loop.run_in_executor(
            None, workers.receive, writer, SYNC_DELAY + duration + 60, "watch writer"
        )
        written = len(result["latencies"])
        for _ in range(50):  # up to 5 s for the last events to arrive
            if len(latencies) >= written or reader.done():
                break
            await asyncio.sleep(0.1)
        call.cancel()
        try:
            await reader
        except asyncio.CancelledError:
            pass
    if len(latencies) < written:
        raise RuntimeError(f"watch delivered {len(latencies)} of {written} events")
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 0.50) * 1e3, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1e3, 3),
        "events": len(latencies),
    }


def rss_mib(pid: int) -> float:
    """Resident memory of the server's process group (the server and any
    helpers it started), from /proc/<pid>/status VmRSS."""
    total_kib = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pid:
                continue
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total_kib += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return round(total_kib / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, all its threads included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_op(cpu: float, load: dict, duration: float) -> float:
    """Server CPU per operation over a load run (its warm-up included)."""
    ops = load["throughput"] * (duration + WARMUP)
    return round(cpu / ops * 1000, 3) if ops else 0.0


def bench_server(
    kind: str, workers: Workers, duration: float, tmp: str, errors: dict[str, str]
) -> dict:
    """All figures for one server; a figure that fails is left out and its
    error recorded, and the others still run."""
    out: dict[str, float] = {}
    store = StoreProcess(kind, os.path.join(tmp, kind))

    def figure(name: str, measure) -> None:
        log(f"{kind}: {name}")
        try:
            out.update(measure())
        except Exception as e:  # a broken figure must not hide the others
            errors[f"{kind} {name}"] = f"{type(e).__name__}: {e}"
            log(f"{kind}: {name} failed: {errors[f'{kind} {name}']}")

    def put(clients: int) -> dict:
        before = cpu_seconds(store.proc.pid)
        r = measure(workers, store.endpoint, "put", clients, duration, f"p{clients}")
        used = cpu_seconds(store.proc.pid) - before
        return {
            f"put_throughput_{clients}": r["throughput"],
            f"put_p50_ms_{clients}": r["p50_ms"],
            f"put_p99_ms_{clients}": r["p99_ms"],
            f"server_cpu_ms_per_put_{clients}": cpu_ms_per_op(used, r, duration),
        }

    def get(op: str, name: str) -> dict:
        with grpc.insecure_channel(store.endpoint) as ch:
            rpc_pb2_grpc.KVStub(ch).Put(
                rpc_pb2.PutRequest(key=b"/bench/get", value=b"g" * VALUE_SIZE), timeout=10
            )
        r = measure(workers, store.endpoint, op, RANGE_CLIENTS, duration, "g")
        return {f"range_{name}_throughput_{RANGE_CLIENTS}": r["throughput"]}

    def watch() -> dict:
        w = asyncio.run(watch_latency(store.endpoint, workers, duration))
        return {"watch_delivery_p50_ms": w["p50_ms"], "watch_delivery_p99_ms": w["p99_ms"]}

    try:
        store.start()
        for clients in PUT_CLIENTS:
            figure(f"put x{clients}", lambda c=clients: put(c))
        for op, name in (("get_serializable", "serializable"), ("get", "linearizable")):
            figure(f"range {name} x{RANGE_CLIENTS}", lambda o=op, n=name: get(o, n))
        figure("watch", watch)
        if store.proc.poll() is None:
            out["rss_mib"] = rss_mib(store.proc.pid)
        else:
            errors[f"{kind} rss"] = f"server exited with {store.proc.returncode}"
    finally:
        store.stop()
    return out


# --- baseline: the same client against a Python server that does nothing ---


def noop_server_main(port_conn: Connection) -> None:
    """A KV service that answers every Put and Range at once, in one process."""

    class Nothing(rpc_pb2_grpc.KVServicer):
        async def Put(self, request, context):
            return rpc_pb2.PutResponse(header=rpc_pb2.ResponseHeader(revision=1))

        async def Range(self, request, context):
            return rpc_pb2.RangeResponse(header=rpc_pb2.ResponseHeader(revision=1))

    async def serve() -> None:
        server = grpc.aio.server()  # on uvloop, as `kubelite store` runs
        rpc_pb2_grpc.add_KVServicer_to_server(Nothing(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        port_conn.send(port)
        await asyncio.get_running_loop().run_in_executor(None, port_conn.recv)
        await server.stop(0)

    uvloop.run(serve())


def python_noop_server(workers: Workers, duration: float) -> dict:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=noop_server_main, args=(child,), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("do-nothing server did not start")
        port = parent.recv()
        before = cpu_seconds(proc.pid)
        r = measure(workers, f"127.0.0.1:{port}", "put", 64, duration, "noop")
        used = cpu_seconds(proc.pid) - before
        return {
            "python_noop_server_put_64": r["throughput"],
            "python_noop_server_cpu_ms_per_put_64": cpu_ms_per_op(used, r, duration),
        }
    finally:
        parent.send(None)
        proc.join(5)
        if proc.is_alive():
            proc.kill()


# --- report ------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def etcd_version() -> str:
    try:
        out = subprocess.run([ETCD, "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.splitlines()[0].split()[-1]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def target(value: float | None, limit: float, at_most: bool) -> dict:
    met = None if value is None else (value <= limit if at_most else value >= limit)
    return {"value": value, "target": limit, "met": met}


def keep_best(best: dict[str, float], new: dict[str, float]) -> None:
    """Fold one pass into the best so far: the highest throughput, the lowest
    latency and memory."""
    for name, value in new.items():
        old = best.get(name)
        if old is None:
            best[name] = value
        elif "throughput" in name:
            best[name] = max(old, value)
        else:
            best[name] = min(old, value)


def report(results: dict[str, dict], errors: dict[str, str], config: dict) -> dict:
    names: list[str] = []
    for r in results.values():
        names += [n for n in r if n not in names]
    out: dict = {"config": config}
    for name in names:
        k, e = results.get("kubelite", {}).get(name), results.get("etcd", {}).get(name)
        out[name] = {"kubelite": k, "etcd": e, "ratio": round(k / e, 3) if k and e else None}
    if errors:
        out["errors"] = errors

    def ratio(name: str) -> float | None:
        return out.get(name, {}).get("ratio")

    out["targets"] = {
        "put_throughput_64 >= 0.5x etcd": target(ratio("put_throughput_64"), 0.5, False),
        "put_p50_ms_1 <= 2x etcd": target(ratio("put_p50_ms_1"), 2.0, True),
        "kubelite watch_delivery_p99_ms <= 10": target(
            results.get("kubelite", {}).get("watch_delivery_p99_ms"), 10.0, True
        ),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per measurement")
    ap.add_argument("--only", choices=("kubelite", "etcd"), help="run one server only")
    ap.add_argument(
        "--client-procs", type=int, default=2, help="load-generating processes (default 2)"
    )
    ap.add_argument(
        "--passes",
        type=int,
        default=2,
        help="runs of each server, in alternating order; each figure keeps its best (default 2)",
    )
    args = ap.parse_args()
    kinds = [args.only] if args.only else ["kubelite", "etcd"]
    started = time.monotonic()
    workers = Workers(args.client_procs, "bench.store:run_spec")
    results: dict[str, dict] = {}
    errors: dict[str, str] = {}
    config = {
        "duration_s": args.duration,
        "passes": args.passes,
        "client_procs": args.client_procs,
        "cpus": os.cpu_count(),
        "value_bytes": VALUE_SIZE,
        "etcd_version": etcd_version(),
    }
    try:
        log("baseline: do-nothing Python gRPC server, put x64")
        config.update(python_noop_server(workers, args.duration))
        for n in range(args.passes):
            for kind in kinds if n % 2 == 0 else kinds[::-1]:
                log(f"pass {n + 1}/{args.passes}: {kind}")
                with tempfile.TemporaryDirectory(prefix=f"kubelite-bench-{kind}-") as tmp:
                    try:
                        figures = bench_server(kind, workers, args.duration, tmp, errors)
                    except Exception as e:  # one server failing still reports the other
                        figures = {}
                        errors[kind] = f"{type(e).__name__}: {e}"
                        log(f"{kind} failed: {errors[kind]}")
                keep_best(results.setdefault(kind, {}), figures)
    finally:
        workers.close()
    config["elapsed_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(report(results, errors, config), indent=2))


if __name__ == "__main__":
    main()
