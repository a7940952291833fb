"""The scheduler's process around the pure framework, as kube-scheduler's
scheduleOne runs it.

Informers (one list+watch each, shared through the factory) feed the
cache and the queue in their handlers:

- pods: those bound to a node and not finished are counted in the cache
  and raise the queue's assigned-pod events; unbound pods whose
  spec.schedulerName names one of this scheduler's profiles are queued;
  others are left alone. Finished pods leave the informer (its field
  selector), so they leave the cache as deletions;
- nodes, and what the snapshot also reads (namespaces, services and the
  controllers default spreading takes selectors from); PodDisruptionBudgets
  when the API server serves policy/v1, for preemption.

The loop (`run`, only while leading) pops the queue's next pod and runs
one scheduling cycle on the cache's snapshot, without awaiting: Filter and
Score (`schedule_one`), then Reserve and Permit, assuming the pod on its
node so the next cycles count it. The binding cycle then runs as its own
task (WaitOnPermit, the profile's Bind plugins, else the default binder:
POST pods/<name>/binding), a bounded number in flight, so the loop goes on
to the next pod. When no node fits, DefaultPreemption (PostFilter) may
choose victims: they get the DisruptionTarget condition and are deleted,
and the pod is nominated to their node. Every failure returns the pod to
the queue with the plugins that rejected it, records a FailedScheduling
event and sets its PodScheduled condition (False, Unschedulable or
SchedulerError) with the message, as upstream words it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubelite.client.errors import ApiError, NotFound, TransportError
from kubelite.client.events import NORMAL, WARNING, EventRecorder
from kubelite.client.informer import SharedInformer, SharedInformerFactory
from kubelite.client.resources import custom_resource, resource_for
from kubelite.client.rest import Client
from kubelite.client.store import object_key
from kubelite.scheduler import preemption
from kubelite.scheduler.cache import SchedulerCache
from kubelite.scheduler.events import ASSIGNED_POD_DELETE
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.fit_error import fit_error_message
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.schedule_one import ScheduleResult, schedule_one
from kubelite.scheduler.framework.snapshot import is_assigned
from kubelite.scheduler.framework.status import SUCCESS, Code, Status, error
from kubelite.scheduler.metrics import SchedulerMetrics
from kubelite.scheduler.queue import QueuedPodInfo, SchedulingQueue

log = logging.getLogger("kubelite.scheduler")

Obj = dict[str, Any]

PODS = resource_for("v1", "pods")
NODES = resource_for("v1", "nodes")
# Not served by kubelite yet: read when an API server serves it.
PDBS = custom_resource("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets")
OTHERS = {
    "namespaces": resource_for("v1", "namespaces"),
    "services": resource_for("v1", "services"),
    "replicationcontrollers": resource_for("v1", "replicationcontrollers"),
    "replicasets": resource_for("apps/v1", "replicasets"),
    "statefulsets": resource_for("apps/v1", "statefulsets"),
}
# kube-scheduler's pod informer leaves finished pods out.
POD_FIELD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"

POD_SCHEDULED = "PodScheduled"
UNSCHEDULABLE = "Unschedulable"
SCHEDULER_ERROR = "SchedulerError"
MAX_BINDS_IN_FLIGHT = 256
BACKOFF_FLUSH_PERIOD = 1.0
LEFTOVER_FLUSH_PERIOD = 30.0


def scheduled_condition(reason: str, message: str, now: str) -> Obj:
    return {"type": POD_SCHEDULED, "status": "False", "reason": reason, "message": message,
            "lastProbeTime": None, "lastTransitionTime": now}


def status_patch(pod: Obj, condition: Obj, nominated_node: str | None) -> Obj | None:
    """The strategic merge patch of pods/status that records a failed
    attempt, or None when the pod already says so. The transition time is
    kept while the condition's status stays."""
    status = pod.get("status") or {}
    current = next((c for c in status.get("conditions") or []
                    if c.get("type") == POD_SCHEDULED), None)
    patch: Obj = {}
    if current is None or any(current.get(k) != condition[k]
                              for k in ("status", "reason", "message")):
        if current is not None and current.get("status") == condition["status"]:
            condition = {**condition, "lastTransitionTime": current.get("lastTransitionTime")}
        patch["conditions"] = [condition]
    if nominated_node is not None and (status.get("nominatedNodeName") or "") != nominated_node:
        patch["nominatedNodeName"] = nominated_node or None
    return {"status": patch} if patch else None


def binding(pod: Obj, node: str) -> Obj:
    meta = pod["metadata"]
    return {"apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace"),
                         "uid": meta.get("uid")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _deleting(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


class _WaitingPod:
    """A pod a Permit plugin asked to wait: `allow` or `reject` it, or its
    time runs out."""

    def __init__(self, plugins: set[str]) -> None:
        self.pending = set(plugins)
        self.done: asyncio.Future[Status] = asyncio.get_running_loop().create_future()

    def allow(self, plugin: str) -> None:
        self.pending.discard(plugin)
        if not self.pending and not self.done.done():
            self.done.set_result(SUCCESS)

    def reject(self, plugin: str, message: str) -> None:
        if not self.done.done():
            self.done.set_result(Status.of(Code.UNSCHEDULABLE, message).with_plugin(plugin))


class Scheduler:
    def __init__(self, client: Client, factory: SharedInformerFactory,
                 profiles: list[Profile], *,
                 clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.client = client
        self.factory = factory
        self.profiles = {p.scheduler_name: p for p in profiles}
        # Events are reported by the profile's scheduler name, as upstream.
        self.recorders = {p.scheduler_name: EventRecorder(client, p.scheduler_name)
                          for p in profiles}
        self.clock = clock
        self.rng = rng or random.Random()
        self.cache = SchedulerCache()
        self.queue = SchedulingQueue(clock)
        self.metrics = SchedulerMetrics(self.queue.sizes)
        self.waiting: dict[str, _WaitingPod] = {}
        self._next_start = 0
        self._wake = asyncio.Event()
        self._binds: set[asyncio.Task] = set()
        self._room = asyncio.Semaphore(MAX_BINDS_IN_FLIGHT)
        self.pods: SharedInformer = factory.informer(PODS, field_selector=POD_FIELD_SELECTOR)
        self.pdbs: SharedInformer | None = None
        self._handlers()

    # -------------------------------------------------------------- informers

    def _handlers(self) -> None:
        self.pods.add_event_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        nodes = self.factory.informer(NODES)
        nodes.add_event_handler(self._node_added, self._node_updated, self._node_deleted)
        for kind, resource in OTHERS.items():
            self.factory.informer(resource).add_event_handler(
                lambda o, k=kind: self.cache.other_changed(k, o),
                lambda _, o, k=kind: self.cache.other_changed(k, o),
                lambda o, k=kind: self.cache.other_changed(k, o, deleted=True))

    async def watch_disruption_budgets(self) -> None:
        """Add the PodDisruptionBudget informer if the API serves them."""
        try:
            await self.client.request("GET", "/apis/policy/v1")
        except NotFound:
            log.info("policy/v1 is not served: preemption sees no PodDisruptionBudgets")
            return
        self.pdbs = self.factory.informer(PDBS)

    def _responsible(self, pod: Obj) -> bool:
        return (pod.get("spec") or {}).get("schedulerName", "default-scheduler") in self.profiles

    def _namespace_labels(self, pod: Obj) -> dict[str, str]:
        ns = self.cache.others["namespaces"].get(pod["metadata"].get("namespace") or "")
        return (ns or {}).get("metadata", {}).get("labels") or {}

    def _pod_added(self, pod: Obj) -> None:
        if is_assigned(pod):
            self.cache.pod_seen(pod)
            self._woke(self.queue.assigned_pod_added(pod, self._namespace_labels(pod)))
        elif self._responsible(pod) and pod["metadata"].get("uid") not in self.cache.assumed:
            self.queue.add(pod)
            self._wake.set()

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        if is_assigned(new):
            self.cache.pod_seen(new)
            if is_assigned(old):
                self._woke(self.queue.assigned_pod_updated(old, new, self._namespace_labels(new)))
            else:  # its binding, seen: it leaves the queue
                self.queue.delete(old)
                self._woke(self.queue.assigned_pod_added(new, self._namespace_labels(new)))
        elif self._responsible(new) and new["metadata"].get("uid") not in self.cache.assumed:
            self.queue.update(old, new)
            self._wake.set()

    def _pod_deleted(self, pod: Obj) -> None:
        if (pod.get("spec") or {}).get("nodeName"):
            self.cache.pod_gone(pod)
            self._woke(self.queue.assigned_pod_deleted(pod))
        else:
            self.queue.delete(pod)
        waiting = self.waiting.get(pod["metadata"].get("uid") or "")
        if waiting is not None:
            waiting.reject("", "pod deleted")

    def _node_added(self, node: Obj) -> None:
        self.cache.node_changed(node)
        self._woke(self.queue.node_added(node))

    def _node_updated(self, old: Obj, new: Obj) -> None:
        self.cache.node_changed(new)
        self._woke(self.queue.node_updated(old, new))

    def _node_deleted(self, node: Obj) -> None:
        self.cache.node_deleted(node)
        self._woke(self.queue.node_deleted(node))

    def _woke(self, moved: list) -> None:
        if moved:
            self._wake.set()

    # -------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Schedule until cancelled (leadership lost, or the process stops)."""
        flushers = [
            asyncio.create_task(self._every(BACKOFF_FLUSH_PERIOD,
                                            self.queue.flush_backoff_completed)),
            asyncio.create_task(self._every(LEFTOVER_FLUSH_PERIOD,
                                            self.queue.flush_unschedulable_leftover)),
        ]
        log.info("scheduling pods for %s", ", ".join(sorted(self.profiles)))
        try:
            while True:
                q = self.queue.pop()
                if q is None:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                await self.schedule(q)
                await asyncio.sleep(0)  # the informers' turn
        finally:
            for task in flushers + list(self._binds):
                task.cancel()
            await asyncio.gather(*flushers, *self._binds, return_exceptions=True)

    async def close(self) -> None:
        """Write out the events still queued (briefly)."""
        for recorder in self.recorders.values():
            await recorder.stop()

    async def _every(self, period: float, flush: Callable[[], list[QueuedPodInfo]]) -> None:
        while True:
            await asyncio.sleep(period)
            self._woke(flush())

    async def schedule(self, q: QueuedPodInfo) -> None:
        """One scheduling cycle for a popped pod; its binding cycle is left
        running as a task."""
        pod = q.pod
        profile = self.profiles.get((pod.get("spec") or {}).get("schedulerName",
                                                                "default-scheduler"))
        if profile is None or _deleting(pod) or q.uid in self.cache.assumed:
            self.queue.done(q.uid)
            return
        started = self.clock()
        snapshot = self.cache.snapshot()
        # Without nominations anywhere, Filter has none to look up per node.
        nominated = self.queue.nominated_pods_for_node if self.queue.has_nominated_pods() \
            else None
        result = schedule_one(q.info, snapshot, profile, start_index=self._next_start,
                              rng=self.rng, nominated_pods=nominated)
        self._next_start = result.next_start_index
        if result.error is not None:
            reason = UNSCHEDULABLE if not snapshot.node_infos else SCHEDULER_ERROR
            self._failed(q, profile, result, result.error.message(), reason, started, "")
            return
        if result.suggested_host is None:
            await self._post_filter(q, profile, result, started)
            return
        host = result.suggested_host
        assumed = self.cache.assume(pod, host)
        status, waits = self._reserve(profile, result.state, q.info, host), {}
        if status.is_success():
            status, waits = self._permit(profile, result.state, q.info, host)
        if not status.is_success():
            self._unreserve(profile, result.state, q.info, host)
            self.cache.forget(pod)
            self.queue.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, assumed, None)
            if status.plugin:
                result.unschedulable_plugins.add(status.plugin)
            reason = UNSCHEDULABLE if status.is_rejected() else SCHEDULER_ERROR
            self._failed(q, profile, result, status.message(), reason, started, "")
            return
        await self._room.acquire()
        task = asyncio.create_task(self._binding_cycle(q, profile, result.state, assumed, host,
                                                       waits, started))
        self._binds.add(task)
        task.add_done_callback(self._bind_done)

    def _bind_done(self, task: asyncio.Task) -> None:
        self._binds.discard(task)
        self._room.release()

    # -------------------------------------------------------------- extension points

    @staticmethod
    def _reserve(profile: Profile, state: CycleState, pod: PodInfo, node: str) -> Status:
        for plugin in profile.reserve_plugins:
            status = plugin.reserve(state, pod, node)
            if not status.is_success():
                return status.with_plugin(plugin.name)
        return SUCCESS

    @staticmethod
    def _unreserve(profile: Profile, state: CycleState, pod: PodInfo, node: str) -> None:
        for plugin in reversed(profile.reserve_plugins):
            plugin.unreserve(state, pod, node)

    @staticmethod
    def _permit(profile: Profile, state: CycleState, pod: PodInfo,
                node: str) -> tuple[Status, dict[str, float]]:
        """Success (with the plugins that asked to wait and for how long),
        or the first rejection."""
        waits: dict[str, float] = {}
        for plugin in profile.permit_plugins:
            status, timeout = plugin.permit(state, pod, node)
            if status.code == Code.WAIT:
                waits[plugin.name] = timeout
            elif not status.is_success():
                return status.with_plugin(plugin.name), {}
        return SUCCESS, waits

    async def _wait_on_permit(self, q: QueuedPodInfo, waits: dict[str, float]) -> Status:
        waiting = self.waiting[q.uid] = _WaitingPod(set(waits))
        try:
            async with asyncio.timeout(min(waits.values())):
                return await asyncio.shield(waiting.done)
        except TimeoutError:
            return Status.of(Code.UNSCHEDULABLE, "rejected due to timeout after waiting "
                             f"{min(waits.values()):g}s at plugin {min(waits, key=waits.get)}")
        finally:
            self.waiting.pop(q.uid, None)

    async def _bind(self, profile: Profile, state: CycleState, pod: PodInfo,
                    node: str) -> Status:
        for plugin in profile.bind_plugins:
            status = await plugin.bind(state, pod, node)
            if not status.is_skip():
                return status if status.is_success() else status.with_plugin(plugin.name)
        try:
            await self.client.post_subresource(PODS, pod.pod["metadata"]["name"], "binding",
                                               binding(pod.pod, node),
                                               pod.pod["metadata"].get("namespace"))
        except (ApiError, TransportError) as e:
            return error(f'running Bind plugin "DefaultBinder": {e}')
        return SUCCESS

    async def _binding_cycle(self, q: QueuedPodInfo, profile: Profile, state: CycleState,
                             assumed: Obj, host: str, waits: dict[str, float],
                             started: float) -> None:
        status = await self._wait_on_permit(q, waits) if waits else SUCCESS
        if status.is_success():
            status = await self._bind(profile, state, q.info, host)
            if not status.is_success():
                status = Status.of(status.code, f"binding rejected: {status.message()}")
        if not status.is_success():
            self._unreserve(profile, state, q.info, host)
            self.cache.forget(q.pod)
            self._woke(self.queue.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, assumed,
                                                                None))
            reason = UNSCHEDULABLE if status.is_rejected() else SCHEDULER_ERROR
            self._failed(q, profile, ScheduleResult(), status.message(), reason, started, "")
            return
        self.queue.done(q.uid)
        now = self.clock()
        self.metrics.attempt("scheduled", profile.scheduler_name, now - started)
        self.metrics.scheduled(q.attempts, now - (q.initial_attempt_timestamp or q.timestamp))
        meta = q.pod["metadata"]
        self.recorders[profile.scheduler_name].event(q.pod, NORMAL, "Scheduled",
                            f"Successfully assigned {meta.get('namespace')}/{meta['name']} "
                            f"to {host}")

    # -------------------------------------------------------------- failures

    async def _post_filter(self, q: QueuedPodInfo, profile: Profile, result: ScheduleResult,
                           started: float) -> None:
        """DefaultPreemption, then the failure as fit_error_message words it."""
        snapshot = self.cache.snapshot()
        self.metrics.preemption_attempts.inc()
        outcome = preemption.preempt(
            q.info, snapshot, profile, result, rng=self.rng, now=datetime.now(UTC),
            pdbs=self.pdbs.store.list() if self.pdbs is not None else (),
            nominated_pods=self.queue.nominated_pods_for_node)
        if outcome.status.is_success():
            self.metrics.preemption_victims.observe(len(outcome.victims))
            await self._prepare_candidate(q.pod, profile, outcome)
        message = fit_error_message(result, len(snapshot), outcome.message())
        self._failed(q, profile, result, message, UNSCHEDULABLE, started,
                     outcome.nominated_node)

    async def _prepare_candidate(self, pod: Obj, profile: Profile,
                                 outcome: preemption.PreemptionResult) -> None:
        """Evict the victims (DisruptionTarget first, then delete) and take
        the node's nomination from lower-priority pods."""
        node = outcome.nominated_node or ""
        uid = pod["metadata"].get("uid") or ""
        condition = preemption.victim_condition(profile.scheduler_name)
        for victim in outcome.victims:
            waiting = self.waiting.get(victim["metadata"].get("uid") or "")
            if waiting is not None:
                waiting.reject("", "preempted")
                continue
            meta = victim["metadata"]
            try:
                await self.client.patch(
                    PODS, meta["name"],
                    {"status": {"conditions": [{**condition, "lastTransitionTime": _now()}]}},
                    meta.get("namespace"), patch_type="strategic", subresource="status")
                await self.client.delete(PODS, meta["name"], meta.get("namespace"))
            except NotFound:
                continue
            except (ApiError, TransportError) as e:
                log.warning("preempting %s for %s: %s", object_key(victim), object_key(pod), e)
                continue
            self.recorders[profile.scheduler_name].event(victim, NORMAL, "Preempted",
                                preemption.preempted_event_message(uid, node))
        for other in outcome.lower_priority_nominated_pods:
            self.queue.add_nominated_pod(other, "")
            meta = other["metadata"]
            try:
                await self.client.patch(PODS, meta["name"],
                                        {"status": {"nominatedNodeName": None}},
                                        meta.get("namespace"), patch_type="strategic",
                                        subresource="status")
            except (ApiError, TransportError) as e:
                log.warning("clearing the nomination of %s: %s", object_key(other), e)

    def _failed(self, q: QueuedPodInfo, profile: Profile, result: ScheduleResult, message: str,
                reason: str, started: float, nominated_node: str | None) -> None:
        """Back to the queue, a FailedScheduling event, the PodScheduled
        condition; nothing if the pod is gone or bound meanwhile."""
        outcome = "unschedulable" if reason == UNSCHEDULABLE else "error"
        self.metrics.attempt(outcome, profile.scheduler_name, self.clock() - started)
        latest = self.pods.store.get(q.key)
        if latest is None or (latest.get("spec") or {}).get("nodeName"):
            self.queue.done(q.uid)
            return
        self.queue.add_unschedulable(q, unschedulable_plugins=result.unschedulable_plugins,
                                     pod=latest)
        if nominated_node is not None:
            self.queue.add_nominated_pod(latest, nominated_node)
        log.info("unable to schedule %s: %s", q.key, message)
        self.recorders[profile.scheduler_name].event(latest, WARNING, "FailedScheduling",
                                                     message)
        patch = status_patch(latest, scheduled_condition(reason, message, _now()),
                             nominated_node)
        if patch is not None:
            task = asyncio.create_task(self._patch_status(latest, patch))
            self._binds.add(task)
            task.add_done_callback(self._binds.discard)

    async def _patch_status(self, pod: Obj, patch: Obj) -> None:
        meta = pod["metadata"]
        try:
            await self.client.patch(PODS, meta["name"], patch, meta.get("namespace"),
                                    patch_type="strategic", subresource="status")
        except NotFound:
            pass
        except (ApiError, TransportError) as e:
            log.warning("updating the status of %s: %s", object_key(pod), e)
