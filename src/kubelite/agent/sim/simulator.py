"""The simulator's asyncio shell around the pure parts: it registers the
nodes, keeps their leases and status, and moves their pods, through the
client library only.

- Registration lists the Nodes and the Leases in kube-node-lease once, then
  creates each missing Node, or adopts the one that is there (a restart),
  and reports its status. Failures are retried with back-off until every
  node is registered; 401 and 403 end the start (StartupError).
- One tick loop (a wake-up a second, not one per node) does the periodic
  work that is due: lease renewals, each node at its own phase of the
  renew interval so that N nodes renew N/interval a second and never all
  at once; and status checks every --node-status-update-frequency, which
  send the status when it changed, or a heartbeat every
  nodeStatusReportFrequency (5 minutes), each node at its own phase too.
  What comes due in one tick is sent together, which keeps an idle
  simulator cheap.
- One pod informer (every bound pod: `spec.nodeName!=`), filtered here by
  the names of our nodes, feeds a work queue of pod keys; workers run
  pods.plan on each and write what it says: the status through
  pods/status, or the confirming delete.
- A stop ends the loop, the workers and the informer, and leaves the
  nodes and leases registered, as a stopped kubelet does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from kubelite.agent.sim import nodes as nodemod
from kubelite.agent.sim.addresses import IPPool, node_ip
from kubelite.agent.sim.config import SimConfig
from kubelite.agent.sim.leases import NODE_LEASE_NAMESPACE, lease_object, renewed
from kubelite.agent.sim.pods import TERMINAL, PodContext, plan, started
from kubelite.agent.sim.timers import Timers, next_slot, phase
from kubelite.client.errors import (
    AlreadyExists,
    ApiError,
    Conflict,
    Forbidden,
    NotFound,
    TransportError,
    Unauthorized,
)
from kubelite.client.informer import SharedInformerFactory
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client
from kubelite.client.store import object_key
from kubelite.client.workqueue import WorkQueue

log = logging.getLogger("kubelite.agent.sim")

NODES = resource_for("v1", "nodes")
PODS = resource_for("v1", "pods")
LEASES = resource_for("coordination.k8s.io/v1", "leases")

Obj = dict[str, Any]
LEASE, STATUS = "lease", "status"
REGISTER_CONCURRENCY = 32
# Lease renewals and status reports in flight at once.
WRITE_CONCURRENCY = 64
POD_WORKERS = 16
# A renewal that met a stale or missing Lease is tried again this soon.
RETRY_SOON = 1.0
# Failures of periodic writes are summed up in one line this often.
ERROR_REPORT_INTERVAL = 10.0
# A pod that found its node's pod range full is tried again after this.
NO_ADDRESS_RETRY = 5.0


class StartupError(Exception):
    """The API server refuses us; trying again would not help."""


@dataclass
class SimNode:
    index: int
    name: str
    ip: str
    lease_phase: float
    status_phase: float
    uid: str = ""
    pool: IPPool | None = None
    lease: Obj | None = None
    status: Obj = field(default_factory=dict)     # as last reported
    wanted: tuple | None = None                   # fingerprint of the status to report
    reported: tuple | None = None                 # fingerprint of the last full report
    reported_at: float | None = None
    gone: bool = False
    busy: set[str] = field(default_factory=set)   # periodic writes in flight


class _Failures:
    """Failed periodic writes, logged as one line per interval."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.first: dict[str, str] = {}

    def note(self, what: str, node: str, error: Exception) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1
        self.first.setdefault(what, f"{node}: {error}")

    def flush(self) -> None:
        for what, count in self.counts.items():
            log.warning("%d %s failed in the last %.0fs (first: %s)", count, what,
                        ERROR_REPORT_INTERVAL, self.first[what])
        self.counts.clear()
        self.first.clear()


class Simulator:
    def __init__(self, client: Client, cfg: SimConfig, host: nodemod.HostInfo | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.cfg = cfg
        self.host = host or nodemod.HostInfo.of_this_machine()
        self.clock = clock
        self.tick = min(1.0, cfg.renew_interval / 4, cfg.node_status_update_frequency / 4)
        self.nodes = [
            SimNode(i, cfg.node_name(i), node_ip(cfg.node_network, i),
                    lease_phase=phase(i, cfg.count, cfg.renew_interval),
                    status_phase=phase(i, cfg.count, cfg.node_status_update_frequency))
            for i in range(cfg.count)]
        self.by_name = {node.name: node for node in self.nodes}
        self.timers = Timers()
        self.factory = SharedInformerFactory(client)
        self.pods = self.factory.informer(PODS, field_selector="spec.nodeName!=")
        self.queue = WorkQueue(name="sim-pods")
        self.registered = asyncio.Event()
        # Pod UID -> when we first saw its deletion mark.
        self.deleting_since: dict[str, float] = {}
        # Pod key -> (uid, resourceVersion) of the pod our last status write
        # replaced: until the cache moves past it, the cache is older than
        # what we wrote.
        self.written: dict[str, tuple[str, str]] = {}
        self.no_address: set[str] = set()
        self.failures = _Failures()
        self.write_slots = asyncio.Semaphore(WRITE_CONCURRENCY)
        self.writes = {LEASE: 0, STATUS: 0, "pod status": 0, "pod delete": 0}
        self._tasks: set[asyncio.Task] = set()
        self._loops: list[asyncio.Task] = []

    # --- running --------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Register, then simulate until `stop` is set; then stop cleanly,
        leaving the nodes registered."""
        self._loops.append(asyncio.create_task(self._tick_loop(), name="sim tick"))
        main = asyncio.create_task(self._start(), name="sim start")
        waiter = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({main, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if main in done:
                main.result()
                await waiter
        finally:
            for task in (main, waiter):
                task.cancel()
            await asyncio.gather(main, waiter, return_exceptions=True)
            await self._shutdown()

    async def _start(self) -> None:
        await self._register_all()
        self.registered.set()
        # What registration built (N nodes, their objects and pools) lives as
        # long as the process: keep it out of the collector's full passes,
        # which otherwise walk all of it every few seconds while idle.
        gc.collect()
        gc.freeze()
        self.pods.add_event_handler(on_add=self._observe,
                                    on_update=lambda old, new: self._observe(new),
                                    on_delete=self._forget)
        self.factory.start()
        for i in range(POD_WORKERS):
            self._loops.append(asyncio.create_task(self._worker(), name=f"sim pods {i}"))

    async def _shutdown(self) -> None:
        self.queue.shutdown()
        for task in self._loops + list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._loops, *self._tasks, return_exceptions=True)
        self._loops.clear()
        self._tasks.clear()
        await self.factory.shutdown()
        log.info("stopped simulating %d nodes (they stay registered)", len(self.nodes))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- registration ---------------------------------------------------------

    async def _list(self, resource: Any, namespace: str | None = None) -> dict[str, Obj]:
        items: dict[str, Obj] = {}
        token = None
        while True:
            page = await self.client.list(resource, namespace, limit=500, continue_=token)
            for item in page.get("items") or []:
                items[item["metadata"]["name"]] = item
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    async def _register_all(self) -> None:
        started_at = time.monotonic()
        log.info("registering %d simulated nodes (%s0 .. %s%d)", len(self.nodes),
                 self.cfg.name_prefix, self.cfg.name_prefix, len(self.nodes) - 1)
        pending = list(self.nodes)
        delay = 1.0
        created = adopted = 0
        while pending:
            try:
                existing = await self._list(NODES)
                leases = await self._list(LEASES, NODE_LEASE_NAMESPACE)
            except (Unauthorized, Forbidden) as e:
                raise StartupError(f"the API server refuses the simulator: {e}") from e
            except (ApiError, TransportError) as e:
                log.warning("cannot list nodes yet (%s); trying again in %.0fs", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            results = await self._register_round(pending, existing, leases)
            failed: list[tuple[SimNode, BaseException]] = []
            for node, result in zip(pending, results, strict=True):
                if isinstance(result, (Unauthorized, Forbidden)):
                    raise StartupError(f"the API server refuses the simulator: {result}")
                if isinstance(result, (ApiError, TransportError)):
                    failed.append((node, result))
                elif isinstance(result, BaseException):
                    raise result
                elif result:
                    created += 1
                else:
                    adopted += 1
            pending = [node for node, _ in failed]
            if pending:
                log.warning("%d nodes are not registered yet (%s: %s); trying again in %.0fs",
                            len(pending), failed[0][0].name, failed[0][1], delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)
        log.info("registered %d nodes (%d created, %d adopted) in %.1fs", len(self.nodes),
                 created, adopted, time.monotonic() - started_at)

    async def _register_round(self, pending: list[SimNode], existing: dict[str, Obj],
                              leases: dict[str, Obj]) -> list[Any]:
        slots = asyncio.Semaphore(REGISTER_CONCURRENCY)

        async def one(node: SimNode) -> bool:
            async with slots:
                return await self._register(node, existing.get(node.name),
                                            leases.get(node.name))

        return await asyncio.gather(*(one(n) for n in pending), return_exceptions=True)

    async def _register(self, node: SimNode, existing: Obj | None, lease: Obj | None) -> bool:
        """Create or adopt the node, then report its status. True if created."""
        cfg, host = self.cfg, self.host
        created = existing is None
        if existing is None:
            try:
                existing = await self.client.create(NODES, nodemod.node_object(
                    cfg, node.index, host, self.clock()))
            except AlreadyExists:
                existing = await self.client.get(NODES, node.name)
                created = False
        if not created:
            patch = nodemod.adoption_patch(existing, cfg, node.index, host)
            if patch is not None:
                existing = await self.client.patch(NODES, node.name, patch,
                                                   patch_type="strategic")
        now = self.clock()
        node.uid = existing["metadata"]["uid"]
        node.pool = IPPool(nodemod.pod_cidr_of(existing, cfg, node.index))
        node.status = existing.get("status") or {}
        node.wanted = nodemod.fingerprint(nodemod.node_status(cfg, node.index, host, now))
        node.lease = lease
        if created:  # with its status, unless the API server dropped it
            node.reported, node.reported_at = nodemod.fingerprint(node.status), now
        if node.reported != node.wanted or not created:
            await self._report(node)
        if node.reported_at is not None:
            # Spread the 5-minute heartbeats of nodes registered together
            # over the whole period, as nodes started at different times.
            node.reported_at -= cfg.node_status_report_frequency * node.index / cfg.count
        # A missing Lease is created at once, as a starting kubelet does;
        # renewals then keep to the node's phase.
        self.timers.set((LEASE, node.index), now if lease is None else
                        next_slot(node.lease_phase, cfg.renew_interval, now))
        self.timers.set((STATUS, node.index),
                        next_slot(node.status_phase, cfg.node_status_update_frequency, now))
        return created

    # --- the periodic work ------------------------------------------------------

    async def _tick_loop(self) -> None:
        cfg = self.cfg
        next_report = time.monotonic() + ERROR_REPORT_INTERVAL
        while True:
            try:
                now = self.clock()
                for _, (kind, index) in self.timers.pop_due(now):
                    node = self.nodes[index]
                    if node.gone:
                        continue
                    if kind == LEASE:
                        self.timers.set((LEASE, index),
                                        next_slot(node.lease_phase, cfg.renew_interval, now))
                        if LEASE not in node.busy:
                            node.busy.add(LEASE)
                            self._spawn(self._renew(node))
                    else:
                        self.timers.set((STATUS, index), next_slot(
                            node.status_phase, cfg.node_status_update_frequency, now))
                        if STATUS not in node.busy and nodemod.report_due(
                                node.reported_at, node.reported, node.wanted, now,
                                cfg.node_status_report_frequency):
                            node.busy.add(STATUS)
                            self._spawn(self._report_slot(node))
                if time.monotonic() >= next_report:
                    self.failures.flush()
                    next_report = time.monotonic() + ERROR_REPORT_INTERVAL
            except Exception:  # a bug: say so, and keep the nodes alive
                log.exception("simulated nodes: the periodic work failed")
            await asyncio.sleep(self.tick)

    async def _renew(self, node: SimNode) -> None:
        cfg = self.cfg
        try:
            async with self.write_slots:
                now = self.clock()
                try:
                    if node.lease is None:
                        try:
                            node.lease = await self.client.get(LEASES, node.name,
                                                               NODE_LEASE_NAMESPACE)
                        except NotFound:
                            node.lease = await self.client.create(LEASES, lease_object(
                                node.name, node.uid, cfg.lease_duration_seconds, now))
                            self.writes[LEASE] += 1
                            return
                    node.lease = await self.client.update(LEASES, renewed(
                        node.lease, node.name, node.uid, cfg.lease_duration_seconds, now))
                    self.writes[LEASE] += 1
                except (Conflict, NotFound):
                    node.lease = None  # read it again, or create it, in a moment
                    self.timers.sooner((LEASE, node.index), now + RETRY_SOON)
                except (ApiError, TransportError) as e:
                    self.failures.note("lease renewals", node.name, e)
        finally:
            node.busy.discard(LEASE)

    async def _report_slot(self, node: SimNode) -> None:
        try:
            async with self.write_slots:
                await self._report(node)
        finally:
            node.busy.discard(STATUS)

    async def _report(self, node: SimNode) -> None:
        """Send the node's whole status if it is not what we last sent in
        full, else a heartbeat."""
        now = self.clock()
        full = node.reported != node.wanted
        if full:
            body = nodemod.node_status(self.cfg, node.index, self.host, now,
                                       node.status.get("conditions"))
        else:
            body = nodemod.heartbeat(node.status, now)
        try:
            await self.client.patch(NODES, node.name, {"status": body}, patch_type="strategic",
                                    subresource="status")
        except NotFound:
            node.gone = True
            self.timers.cancel((LEASE, node.index))
            self.timers.cancel((STATUS, node.index))
            log.warning("node %s was deleted; it is no longer simulated (a restart registers "
                        "it again)", node.name)
            return
        except (ApiError, TransportError) as e:
            self.failures.note("node status reports", node.name, e)
            return
        self.writes[STATUS] += 1
        node.status = {**node.status, **body}
        node.reported_at = now
        if full:
            node.reported = nodemod.fingerprint(body)

    # --- pods -----------------------------------------------------------------------

    def _node_of(self, pod: Obj) -> SimNode | None:
        node = self.by_name.get((pod.get("spec") or {}).get("nodeName") or "")
        if node is None or node.gone or node.pool is None:
            return None
        return node

    def _observe(self, pod: Obj) -> None:
        """A pod added or changed: note the address it holds, and queue it."""
        node = self._node_of(pod)
        if node is None:
            return
        assert node.pool is not None
        uid = pod["metadata"].get("uid") or ""
        status = pod.get("status") or {}
        if status.get("phase") in TERMINAL:
            node.pool.release(uid)
        elif status.get("podIP") and not (pod.get("spec") or {}).get("hostNetwork"):
            node.pool.reserve(uid, status["podIP"])
        self.queue.add(object_key(pod))

    def _forget(self, pod: Obj) -> None:
        uid = pod["metadata"].get("uid") or ""
        node = self.by_name.get((pod.get("spec") or {}).get("nodeName") or "")
        if node is not None and node.pool is not None:
            node.pool.release(uid)
        key = object_key(pod)
        self.deleting_since.pop(uid, None)
        self.written.pop(key, None)
        self.no_address.discard(key)

    async def _worker(self) -> None:
        while (key := await self.queue.get()) is not None:
            try:
                await self._sync(key)
                self.queue.forget(key)
            except Conflict:
                self.queue.add_rate_limited(key)  # the cache was stale: look again
            except (ApiError, TransportError) as e:
                log.warning("pod %s: %s", key, e)
                self.queue.add_rate_limited(key)
            except Exception:
                log.exception("pod %s: simulating it failed", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    async def _sync(self, key: str) -> None:
        pod = self.pods.store.get(key)
        if pod is None:
            return
        node = self._node_of(pod)
        if node is None:
            return
        assert node.pool is not None
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        uid = meta.get("uid") or ""
        if self.written.get(key) == (uid, meta.get("resourceVersion")):
            return  # our last write is not in the cache yet; its event brings the key back
        self.written.pop(key, None)
        now = self.clock()
        since = self.deleting_since.setdefault(uid, now) if meta.get("deletionTimestamp") \
            else None
        if spec.get("hostNetwork"):
            pod_ip: str | None = node.ip
        elif status.get("phase") in TERMINAL or (started(pod) and status.get("podIP")):
            pod_ip = status.get("podIP") or ""  # a finished pod is given no address
        else:
            pod_ip = node.pool.allocate(uid)
        if pod_ip is None and since is None:
            if key not in self.no_address:
                self.no_address.add(key)
                log.warning("pod %s: node %s has no free address in %s", key, node.name,
                            node.pool.network)
            self.queue.add_after(key, NO_ADDRESS_RETRY)
            return
        self.no_address.discard(key)
        step = plan(pod, now, PodContext(node.ip, pod_ip or "", self.cfg.pod_ready_delay), since)
        if step.delete:
            try:
                await self.client.delete(PODS, meta["name"], meta["namespace"],
                                         grace_period_seconds=0, preconditions={"uid": uid})
                self.writes["pod delete"] += 1
            except (NotFound, Conflict):
                pass  # gone already, or another pod by that name now
            log.debug("pod %s: deleted from %s", key, node.name)
        elif step.status is not None:
            try:
                await self.client.update_status(PODS, {**pod, "status": step.status})
            except NotFound:
                return
            self.writes["pod status"] += 1
            self.written[key] = (uid, meta.get("resourceVersion") or "")
            if step.status.get("phase") in TERMINAL:
                node.pool.release(uid)
            log.debug("pod %s on %s: %s", key, node.name, step.status.get("phase"))
        if step.wake is not None:
            self.queue.add_after(key, max(0.0, step.wake - now))
