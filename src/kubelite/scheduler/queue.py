"""The scheduling queue, as kube-scheduler 1.32's PriorityQueue keeps it,
as a plain data structure: no locks, no goroutines, no clock of its own
(`clock()` gives seconds, the process passes time.monotonic; tests pass a
fake). The process around it awaits new pods, calls `pop()`, and calls
`flush_backoff_completed()` every second and `flush_unschedulable_leftover()`
every 30 seconds, as upstream's loops do.

What the queue holds is the process's choice, as kube-scheduler's event
handlers' filters make it: unassigned pods (no spec.nodeName) whose
spec.schedulerName is one of this scheduler's profiles go through `add` /
`update` / `delete`; assigned pods (the snapshot's) only raise events
(`assigned_pod_added` / `_updated` / `_deleted`); pods for other
schedulers are not handed to the queue at all.

Three places a pod waits in:

- activeQ, ordered as PrioritySort orders it: higher spec.priority first,
  then the earlier time the pod entered the queue. `pop()` takes the head,
  counts the attempt and marks the pod in flight until `done()` (or
  `add_unschedulable()`, which calls it).
- backoffQ, ordered by back-off expiry: the time the pod last entered the
  queue plus 1 s doubled per further attempt, at most 10 s
  (`initial_backoff`, `max_backoff`). `flush_backoff_completed()` moves the
  expired ones to activeQ.
- unschedulable pods, with the plugins that rejected each (the Filter's
  unschedulable plugins, and "pending" ones that asked to wait) and gated
  pods (spec.schedulingGates, held by SchedulingGates' PreEnqueue until an
  update removes the last gate).

A pod that failed goes back through `add_unschedulable()`: to the
unschedulable pods, unless an event that one of its rejecting plugins
waits for happened while it was in flight, or no plugin rejected it (an
error): then to backoffQ (activeQ once back-off is over; activeQ at once
for a pending plugin's event). Events (`move_all_to_active_or_backoff`,
the node_* and assigned_pod_* helpers) move the unschedulable pods whose
rejecting plugins registered for the event (kubelite.scheduler.events) the
same way; a pod's own update is judged by the events it makes. A pod left
unschedulable longer than 5 minutes (`max_in_unschedulable`, strictly
longer) is moved by `flush_unschedulable_leftover()` whatever rejected it;
gated pods are moved by nothing but the update that removes their gates.

Nominated pods (status.nominatedNodeName, or the node a preemption just
chose) are kept per node for Filter to count (`nominated_pods_for_node`,
see kubelite.scheduler.preemption.filter_with_nominated_pods).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sortedcontainers import SortedKeyList

from kubelite.scheduler.events import (
    ASSIGNED_POD_ADD,
    ASSIGNED_POD_DELETE,
    BACKOFF_COMPLETE,
    EVENTS_TO_REGISTER,
    NODE_ADD,
    NODE_DELETE,
    SCHEDULE_ATTEMPT_FAILURE,
    UNSCHEDULABLE_TIMEOUT,
    UNSCHEDULED_POD_ADD,
    UNSCHEDULED_POD_UPDATE,
    ActionType,
    ClusterEvent,
    node_update_events,
    pod_update_events,
)
from kubelite.scheduler.framework.podinfo import PodInfo, pod_priority
from kubelite.scheduler.plugins import names

Obj = dict[str, Any]

DEFAULT_INITIAL_BACKOFF = 1.0
DEFAULT_MAX_BACKOFF = 10.0
DEFAULT_MAX_IN_UNSCHEDULABLE = 300.0

ACTIVE = "active"
BACKOFF = "backoff"
UNSCHEDULABLE = "unschedulable"
IN_FLIGHT = "in-flight"


class _Strategy(Enum):
    SKIP = 0
    AFTER_BACKOFF = 1
    IMMEDIATELY = 2


def pod_key(pod: Obj) -> str:
    metadata = pod.get("metadata") or {}
    return f"{metadata.get('namespace') or ''}/{metadata.get('name') or ''}"


def _nominated_node_name(pod: Obj) -> str:
    return (pod.get("status") or {}).get("nominatedNodeName") or ""


@dataclass
class QueuedPodInfo:
    """A pod in the queue. `timestamp` is when it last entered the queue
    (PrioritySort's tie-breaker and back-off's start); `attempts` counts
    the pops."""

    pod: Obj
    info: PodInfo
    timestamp: float
    initial_attempt_timestamp: float | None = None
    attempts: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)
    pending_plugins: set[str] = field(default_factory=set)
    gated: bool = False

    @classmethod
    def of(cls, pod: Obj, now: float) -> QueuedPodInfo:
        return cls(pod, PodInfo.of(pod), now)

    @property
    def key(self) -> str:
        return pod_key(self.pod)

    @property
    def uid(self) -> str:
        return self.info.uid

    @property
    def priority(self) -> int:
        return pod_priority(self.pod)

    def set_pod(self, pod: Obj) -> None:
        self.pod = pod
        self.info = PodInfo.of(pod)


@dataclass(frozen=True)
class QueueSizes:
    """For the scheduler_pending_pods gauge (queue="active", ...)."""

    active: int
    backoff: int
    unschedulable: int
    gated: int


@dataclass
class _InFlight:
    pod: QueuedPodInfo
    since: int  # the first event sequence number it has not seen
    latest: Obj  # the newest version of the pod seen while in flight
    deleted: bool = False


@dataclass(frozen=True)
class _Recorded:
    seq: int
    event: ClusterEvent
    old: Obj | None
    new: Obj | None
    about: str  # uid of the unscheduled pod whose own update this is, else ""


class SchedulingQueue:
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        initial_backoff: float = DEFAULT_INITIAL_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_in_unschedulable: float = DEFAULT_MAX_IN_UNSCHEDULABLE,
        events_to_register: Mapping[str, Iterable[ClusterEvent]] = EVENTS_TO_REGISTER,
    ) -> None:
        self.clock = clock
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        # Plugins missing from the map wait for every event, as upstream
        # registers plugins without EnqueueExtensions.
        self.events_to_register = {k: tuple(v) for k, v in events_to_register.items()}
        self._seq = 0
        self._active: SortedKeyList = SortedKeyList(key=lambda e: e[0])
        self._active_by_key: dict[str, tuple[tuple[int, float, int], QueuedPodInfo]] = {}
        self._backoff: SortedKeyList = SortedKeyList(key=lambda e: e[0])
        self._backoff_by_key: dict[str, tuple[tuple[float, int], QueuedPodInfo]] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, _InFlight] = {}
        self._events: list[_Recorded] = []
        self._cycle = 0
        self._nominated: dict[str, list[PodInfo]] = {}
        self._nominated_to_node: dict[str, str] = {}

    # -------------------------------------------------------------- reading

    @property
    def scheduling_cycle(self) -> int:
        """How many pops there have been."""
        return self._cycle

    def sizes(self) -> QueueSizes:
        gated = sum(1 for q in self._unschedulable.values() if q.gated)
        return QueueSizes(len(self._active_by_key), len(self._backoff_by_key),
                          len(self._unschedulable) - gated, gated)

    def where(self, pod: Obj) -> str | None:
        """"active", "backoff", "unschedulable", "in-flight" or None."""
        key = pod_key(pod)
        if key in self._active_by_key:
            return ACTIVE
        if key in self._backoff_by_key:
            return BACKOFF
        if key in self._unschedulable:
            return UNSCHEDULABLE
        flight = self._in_flight.get(_uid(pod))
        return IN_FLIGHT if flight is not None and not flight.deleted else None

    def get(self, pod: Obj) -> QueuedPodInfo | None:
        key = pod_key(pod)
        for by_key in (self._active_by_key, self._backoff_by_key):
            if key in by_key:
                return by_key[key][1]
        return self._unschedulable.get(key)

    def backoff_duration(self, q: QueuedPodInfo) -> float:
        """No back-off before the first attempt; then the initial one,
        doubled per further attempt, at most the maximum."""
        if q.attempts == 0:
            return 0.0
        duration = self.initial_backoff
        for _ in range(1, q.attempts):
            if duration > self.max_backoff - duration:
                return self.max_backoff
            duration += duration
        return duration

    def backoff_expiry(self, q: QueuedPodInfo) -> float:
        return q.timestamp + self.backoff_duration(q)

    def is_backing_off(self, q: QueuedPodInfo) -> bool:
        return not q.gated and self.backoff_expiry(q) > self.clock()

    # -------------------------------------------------------------- pods

    def add(self, pod: Obj) -> None:
        """A new unscheduled pod."""
        self._move_to_active(QueuedPodInfo.of(pod, self.clock()), UNSCHEDULED_POD_ADD.label)

    def update(self, old: Obj, new: Obj) -> None:
        """An unscheduled pod changed. In activeQ or backoffQ it is updated
        in place; in the unschedulable pods its own update events may move
        it; in flight the events are kept for when it comes back; unknown,
        it is added. A changed nominated node counts as if an assigned pod
        of the old priority went away, for pods of lower or equal priority
        (as kube-scheduler's update handler does)."""
        self._update(old, new)
        if _nominated_node_name(old) != _nominated_node_name(new):
            priority = pod_priority(old)
            self.move_all_to_active_or_backoff(
                ASSIGNED_POD_DELETE, old, None, lambda p: pod_priority(p) <= priority)

    def _update(self, old: Obj, new: Obj) -> None:
        key = pod_key(new)
        events = pod_update_events(old, new)
        uid = _uid(new)
        flight = self._in_flight.get(uid)
        if flight is not None and not flight.deleted:
            for event in events:
                self._record(event, old, new, uid)
            flight.latest = new
            return
        for by_key in (self._active_by_key, self._backoff_by_key):
            if key in by_key:
                q = by_key[key][1]
                q.set_pod(new)
                self._update_nominated(old, q.info)
                return
        q = self._unschedulable.get(key)
        if q is None:
            self._move_to_active(QueuedPodInfo.of(new, self.clock()),
                                 UNSCHEDULED_POD_UPDATE.label)
            return
        q.set_pod(new)
        self._update_nominated(old, q.info)
        strategies = [(self._worth_requeuing(q, e).value, e.label) for e in events]
        best, label = max(strategies)
        self._requeue(q, _Strategy(best), label)

    def delete(self, pod: Obj) -> None:
        self.delete_nominated_pod(pod)
        key = pod_key(pod)
        self._remove_active(key)
        self._remove_backoff(key)
        self._unschedulable.pop(key, None)
        flight = self._in_flight.get(_uid(pod))
        if flight is not None:
            flight.deleted = True

    def pop(self) -> QueuedPodInfo | None:
        """The next pod to try (None when activeQ is empty), its attempt
        counted and its rejecting plugins cleared; in flight until
        `done(uid)` or `add_unschedulable`."""
        if not self._active:
            return None
        entry = self._active.pop(0)
        q = self._active_by_key.pop(entry[1])[1]
        self._cycle += 1
        q.attempts += 1
        q.unschedulable_plugins.clear()
        q.pending_plugins.clear()
        self._in_flight[q.uid] = _InFlight(q, self._seq + 1, q.pod)
        return q

    def done(self, uid: str) -> None:
        """The pod's attempt is over (bound, or handed back); forget the
        events no pod in flight needs any more."""
        self._in_flight.pop(uid, None)
        if not self._in_flight:
            self._events.clear()
            return
        oldest = min(f.since for f in self._in_flight.values())
        self._events = [e for e in self._events if e.seq >= oldest]

    def add_unschedulable(
        self,
        q: QueuedPodInfo,
        *,
        unschedulable_plugins: Iterable[str] = (),
        pending_plugins: Iterable[str] = (),
        pod: Obj | None = None,
    ) -> str | None:
        """A popped pod that did not get a node comes back, with the
        plugins that rejected it (ScheduleResult.unschedulable_plugins;
        none for an error) and the pod's latest version (default: the last
        one `update` saw while it was in flight). Returns where it went, or
        None when it was deleted or bound meanwhile or is queued already."""
        flight = self._in_flight.get(q.uid)
        try:
            latest = pod or (flight.latest if flight is not None else q.pod)
            if (flight is not None and flight.deleted) or _spec(latest).get("nodeName") \
                    or self.get(latest) is not None:
                return None
            if latest is not q.pod:
                q.set_pod(latest)
            q.unschedulable_plugins = set(unschedulable_plugins)
            q.pending_plugins = set(pending_plugins)
            q.timestamp = self.clock()
            where = self._requeue(q, self._hint_for_in_flight(q, flight),
                                  SCHEDULE_ATTEMPT_FAILURE)
            self._add_nominated(q.info, None)
            return where
        finally:
            self.done(q.uid)

    # -------------------------------------------------------------- events

    def move_all_to_active_or_backoff(
        self,
        event: ClusterEvent,
        old: Obj | None = None,
        new: Obj | None = None,
        pre_check: Callable[[Obj], bool] | None = None,
    ) -> list[QueuedPodInfo]:
        """Move the unschedulable pods (those `pre_check` accepts) whose
        rejecting plugins wait for `event`; returns the pods moved."""
        if not self._of_interest(event):
            return []
        pods = [q for q in self._unschedulable.values()
                if pre_check is None or pre_check(q.pod)]
        return self._move_pods(pods, event, old, new)

    def node_added(self, node: Obj) -> list[QueuedPodInfo]:
        return self.move_all_to_active_or_backoff(NODE_ADD, None, node)

    def node_updated(self, old: Obj, new: Obj) -> list[QueuedPodInfo]:
        moved = []
        for event in node_update_events(old, new):
            moved += self.move_all_to_active_or_backoff(event, old, new)
        return moved

    def node_deleted(self, node: Obj) -> list[QueuedPodInfo]:
        return self.move_all_to_active_or_backoff(NODE_DELETE, node, None)

    def assigned_pod_added(
        self, pod: Obj, namespace_labels: Mapping[str, str] | None = None
    ) -> list[QueuedPodInfo]:
        """A pod was bound (or one already bound appeared). Only pods it may
        help are considered: those PodTopologySpread rejected in its
        namespace and those whose required pod affinity it matches
        (`namespace_labels`: the labels of its namespace)."""
        return self._move_pods(self._cross_topology(pod, namespace_labels),
                               ASSIGNED_POD_ADD, None, pod)

    def assigned_pod_updated(
        self, old: Obj, new: Obj, namespace_labels: Mapping[str, str] | None = None
    ) -> list[QueuedPodInfo]:
        moved = []
        for event in pod_update_events(old, new):
            if event.action & ActionType.UPDATE_POD_SCALE_DOWN:
                moved += self.move_all_to_active_or_backoff(event, old, new)
            else:
                moved += self._move_pods(self._cross_topology(new, namespace_labels),
                                         event, old, new)
        return moved

    def assigned_pod_deleted(self, pod: Obj) -> list[QueuedPodInfo]:
        return self.move_all_to_active_or_backoff(ASSIGNED_POD_DELETE, pod, None)

    def flush_backoff_completed(self) -> list[QueuedPodInfo]:
        """Move the pods whose back-off is over to activeQ."""
        moved = []
        while self._backoff:
            entry = self._backoff[0]
            q = self._backoff_by_key[entry[1]][1]
            if self.is_backing_off(q):
                break
            self._remove_backoff(q.key)
            if self._move_to_active(q, BACKOFF_COMPLETE):
                moved.append(q)
        return moved

    def flush_unschedulable_leftover(self) -> list[QueuedPodInfo]:
        """Move the pods unschedulable for longer than the maximum, whatever
        rejected them."""
        now = self.clock()
        stale = [q for q in self._unschedulable.values()
                 if now - q.timestamp > self.max_in_unschedulable]
        return self._move_pods(stale, UNSCHEDULABLE_TIMEOUT, None, None)

    # -------------------------------------------------------------- nominated pods

    def has_nominated_pods(self) -> bool:
        return bool(self._nominated)

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        return list(self._nominated.get(node_name, ()))

    def add_nominated_pod(self, pod: Obj, node_name: str | None = None) -> None:
        """Nominate `pod` to `node_name` ("": clear its nomination; None:
        the node its status.nominatedNodeName names)."""
        self._add_nominated(PodInfo.of(pod), node_name)

    def delete_nominated_pod(self, pod: Obj) -> None:
        uid = _uid(pod)
        node = self._nominated_to_node.pop(uid, None)
        if node is None:
            return
        kept = [p for p in self._nominated.get(node, []) if p.uid != uid]
        if kept:
            self._nominated[node] = kept
        else:
            self._nominated.pop(node, None)

    def _add_nominated(self, info: PodInfo, override: str | None) -> None:
        self.delete_nominated_pod(info.pod)
        node = override if override is not None else _nominated_node_name(info.pod)
        if not node or _spec(info.pod).get("nodeName"):
            return
        self._nominated_to_node[info.uid] = node
        self._nominated.setdefault(node, []).append(info)

    def _update_nominated(self, old: Obj, new: PodInfo) -> None:
        """Keep a nomination the queue made that the pod's status does not
        show yet (a preemption just chose the node)."""
        override = None
        if not _nominated_node_name(old) and not _nominated_node_name(new.pod):
            override = self._nominated_to_node.get(_uid(old))
        self.delete_nominated_pod(old)
        self._add_nominated(new, override)

    # -------------------------------------------------------------- moving

    def _record(self, event: ClusterEvent, old: Obj | None, new: Obj | None,
                about: str = "") -> None:
        self._seq += 1
        if self._in_flight:
            self._events.append(_Recorded(self._seq, event, old, new, about))

    def _of_interest(self, event: ClusterEvent) -> bool:
        if event.is_wildcard():
            return True
        return any(r.match(event) for regs in self.events_to_register.values() for r in regs)

    def _worth_requeuing(self, q: QueuedPodInfo, event: ClusterEvent,
                         about: str = "") -> _Strategy:
        rejectors = q.unschedulable_plugins | q.pending_plugins
        if not rejectors or event.is_wildcard():
            return _Strategy.AFTER_BACKOFF
        if about and about != q.uid:
            return _Strategy.SKIP
        strategy = _Strategy.SKIP
        for plugin in sorted(rejectors):
            registered = self.events_to_register.get(plugin)
            if registered is not None and not any(r.match(event) for r in registered):
                continue
            if plugin in q.pending_plugins:
                return _Strategy.IMMEDIATELY
            if not q.pending_plugins:
                return _Strategy.AFTER_BACKOFF
            strategy = _Strategy.AFTER_BACKOFF
        return strategy

    def _hint_for_in_flight(self, q: QueuedPodInfo, flight: _InFlight | None) -> _Strategy:
        if not (q.unschedulable_plugins | q.pending_plugins):
            return _Strategy.AFTER_BACKOFF
        if flight is None:
            return _Strategy.SKIP
        strategy = _Strategy.SKIP
        for recorded in self._events:
            if recorded.seq < flight.since:
                continue
            found = self._worth_requeuing(q, recorded.event, recorded.about)
            if found == _Strategy.IMMEDIATELY:
                return found
            if found == _Strategy.AFTER_BACKOFF:
                strategy = found
                if not q.pending_plugins:
                    return strategy
        return strategy

    def _move_pods(self, pods: list[QueuedPodInfo], event: ClusterEvent,
                   old: Obj | None, new: Obj | None) -> list[QueuedPodInfo]:
        if not self._of_interest(event):
            return []
        moved = []
        for q in pods:
            if q.gated:  # only an update removing its gates lets it go
                continue
            strategy = self._worth_requeuing(q, event)
            if strategy == _Strategy.SKIP:
                continue
            if self._requeue(q, strategy, event.label) != UNSCHEDULABLE:
                moved.append(q)
        self._record(event, old, new)
        return moved

    def _requeue(self, q: QueuedPodInfo, strategy: _Strategy, event: str) -> str:
        if strategy == _Strategy.SKIP:
            self._unschedulable[q.key] = q
            return UNSCHEDULABLE
        if strategy == _Strategy.AFTER_BACKOFF and self.is_backing_off(q):
            self._unschedulable.pop(q.key, None)
            self._add_backoff(q)
            return BACKOFF
        if self._move_to_active(q, event):
            return ACTIVE
        self._unschedulable[q.key] = q
        return UNSCHEDULABLE

    def _pre_enqueue(self, q: QueuedPodInfo) -> bool:
        """SchedulingGates' PreEnqueue: a pod with gates waits."""
        if _spec(q.pod).get("schedulingGates"):
            q.unschedulable_plugins.add(names.SCHEDULING_GATES)
            return False
        return True

    def _move_to_active(self, q: QueuedPodInfo, event: str) -> bool:
        q.gated = not self._pre_enqueue(q)
        if q.gated:
            if q.key not in self._active_by_key and q.key not in self._backoff_by_key:
                self._unschedulable[q.key] = q
            return False
        if q.initial_attempt_timestamp is None:
            q.initial_attempt_timestamp = self.clock()
        self._remove_active(q.key)
        self._seq += 1
        sort_key = (-q.priority, q.timestamp, self._seq)
        self._active.add((sort_key, q.key))
        self._active_by_key[q.key] = (sort_key, q)
        self._unschedulable.pop(q.key, None)
        self._remove_backoff(q.key)
        if event in (UNSCHEDULED_POD_ADD.label, UNSCHEDULED_POD_UPDATE.label):
            self._add_nominated(q.info, None)
        return True

    def _remove_active(self, key: str) -> None:
        found = self._active_by_key.pop(key, None)
        if found is not None:
            self._active.remove((found[0], key))

    def _add_backoff(self, q: QueuedPodInfo) -> None:
        self._remove_backoff(q.key)
        self._seq += 1
        sort_key = (self.backoff_expiry(q), self._seq)
        self._backoff.add((sort_key, q.key))
        self._backoff_by_key[q.key] = (sort_key, q)

    def _remove_backoff(self, key: str) -> None:
        found = self._backoff_by_key.pop(key, None)
        if found is not None:
            self._backoff.remove((found[0], key))

    def _cross_topology(self, pod: Obj, namespace_labels: Mapping[str, str] | None
                        ) -> list[QueuedPodInfo]:
        assigned = PodInfo.of(pod)
        found = []
        for q in self._unschedulable.values():
            if names.POD_TOPOLOGY_SPREAD in q.unschedulable_plugins \
                    and q.info.namespace == assigned.namespace:
                found.append(q)
            elif any(t.matches(assigned, namespace_labels)
                     for t in q.info.required_affinity_terms):
                found.append(q)
        return found


def _spec(pod: Obj) -> Obj:
    return pod.get("spec") or {}


def _uid(pod: Obj) -> str:
    return (pod.get("metadata") or {}).get("uid") or ""
