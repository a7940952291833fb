"""Recording core/v1 Events about objects, as client-go's tools/record.

`EventRecorder(client, component, host)` is what a component holds:
`recorder.event(obj, "Normal"|"Warning", reason, message)` (or `eventf`
with %-formatting) returns at once; the Event is written in the
background. The queue is bounded (1000): when it is full the event is
dropped and counted, never blocking the caller. An Event is named
<object name>.<nanosecond timestamp in hex>, lives in the object's
namespace ("default" for cluster-scoped objects), and carries the
object's reference (involvedObject), the source (component, host),
firstTimestamp, lastTimestamp and count.

Before writing, each event goes through `EventCorrelator` (pure, with an
injectable clock), which does what client-go's does:

- aggregation: once 10 events with different messages but the same
  source, object, type and reason arrive within 10 minutes of each
  other, the next ones become one Event whose message is
  "(combined from similar events): <latest message>", counted up;
- counting: an event identical to one already written (same source,
  object, type, reason and message) is not written again: the existing
  Event's count goes up and its lastTimestamp (and message) are
  refreshed, by a strategic merge PATCH;
- spam filtering: each source + object may produce a burst of 25 events,
  then one per 5 minutes; the rest are dropped.

A write that fails for lack of a connection is tried again (12 tries, 10 s
apart, the first wait random); one the server refuses is dropped; a count
update whose Event has gone is written as a new Event.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubelite.client.errors import AlreadyExists, ApiError, NotFound, TransportError
from kubelite.client.ratelimit import TokenBucket
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client

log = logging.getLogger("kubelite.client.events")

Obj = dict[str, Any]
Clock = Callable[[], float]

NORMAL, WARNING = "Normal", "Warning"
COMBINED_PREFIX = "(combined from similar events): "
LRU_SIZE = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0
MAX_QUEUED = 1000
MAX_TRIES = 12
RETRY_INTERVAL = 10.0


def event_time(seconds: float) -> str:
    """A metav1.Time: RFC 3339 to the second, UTC."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Obj) -> Obj:
    """The ObjectReference of an object that carries its kind and
    apiVersion (as objects from the API and from informers do)."""
    meta = obj.get("metadata") or {}
    if not obj.get("kind") or not obj.get("apiVersion") or not meta.get("name"):
        raise ValueError("an event's object needs kind, apiVersion and metadata.name")
    ref = {"kind": obj["kind"], "namespace": meta.get("namespace"), "name": meta["name"],
           "uid": meta.get("uid"), "apiVersion": obj["apiVersion"],
           "resourceVersion": meta.get("resourceVersion")}
    return {k: v for k, v in ref.items() if v}


def make_event(ref: Obj, type_: str, reason: str, message: str, component: str, host: str,
               now: float) -> Obj:
    """A new core/v1 Event, count 1, about the object `ref` names."""
    source = {"component": component, **({"host": host} if host else {})}
    stamp = event_time(now)
    event: Obj = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{ref['name']}.{int(now * 1e9):x}",
                     "namespace": ref.get("namespace") or "default"},
        "involvedObject": ref, "reason": reason, "message": message, "source": source,
        "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "type": type_,
        "reportingComponent": component, "reportingInstance": host,
    }
    if not host:
        del event["reportingInstance"]
    return event


def _involved(event: Obj) -> Obj:
    return event.get("involvedObject") or {}


def _source(event: Obj) -> Obj:
    return event.get("source") or {}


def event_key(event: Obj) -> tuple:
    """Identical events: source, object (with field path), type, reason, message."""
    io, src = _involved(event), _source(event)
    return (src.get("component"), src.get("host"), io.get("kind"), io.get("namespace"),
            io.get("name"), io.get("fieldPath"), io.get("uid"), io.get("apiVersion"),
            event.get("type"), event.get("reason"), event.get("message"))


def spam_key(event: Obj) -> tuple:
    """One spam budget per source and object."""
    io, src = _involved(event), _source(event)
    return (src.get("component"), src.get("host"), io.get("kind"), io.get("namespace"),
            io.get("name"), io.get("uid"), io.get("apiVersion"))


def aggregate_key(event: Obj) -> tuple[tuple, str]:
    """Similar events (differing only in message): the group, and the
    message that tells them apart."""
    io, src = _involved(event), _source(event)
    group = (src.get("component"), src.get("host"), io.get("kind"), io.get("namespace"),
             io.get("name"), io.get("uid"), io.get("apiVersion"), event.get("type"),
             event.get("reason"), event.get("reportingComponent"),
             event.get("reportingInstance"))
    return group, str(event.get("message") or "")


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: Any) -> Any:
        if key not in self:
            return None
        self.move_to_end(key)
        return self[key]

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class _Aggregate:
    messages: set[str]
    last: float


@dataclass
class _Observed:
    count: int
    first_timestamp: str
    name: str
    resource_version: str


@dataclass(frozen=True)
class CorrelateResult:
    event: Obj | None
    # A strategic merge patch for an Event that exists (count > 1).
    patch: Obj | None = None
    skip: bool = False


class EventCorrelator:
    def __init__(self, clock: Clock = time.time, max_events: int = AGGREGATE_MAX_EVENTS,
                 max_interval: float = AGGREGATE_INTERVAL, spam_burst: int = SPAM_BURST,
                 spam_qps: float = SPAM_QPS, cache_size: int = LRU_SIZE) -> None:
        self.clock = clock
        self.max_events = max_events
        self.max_interval = max_interval
        self.spam_burst = spam_burst
        self.spam_qps = spam_qps
        self._aggregates = _LRU(cache_size)
        self._observed = _LRU(cache_size)
        self._spam = _LRU(cache_size)

    def _aggregate(self, event: Obj) -> tuple[Obj, tuple]:
        now = self.clock()
        group, message = aggregate_key(event)
        record = self._aggregates.get_fresh(group)
        if record is None or now - record.last > self.max_interval:
            record = _Aggregate(set(), now)
        record.messages.add(message)
        record.last = now
        self._aggregates.put(group, record)
        if len(record.messages) < self.max_events:
            return event, event_key(event)
        record.messages.pop()  # keep the set from growing past the limit
        combined = make_event(_involved(event), event.get("type", ""), event.get("reason", ""),
                              COMBINED_PREFIX + message, _source(event).get("component", ""),
                              _source(event).get("host", ""), now)
        return combined, ("aggregate", group)

    def _observe(self, event: Obj, key: tuple) -> tuple[Obj, Obj | None]:
        event = {**event, "metadata": dict(event.get("metadata") or {})}
        last = self._observed.get_fresh(key)
        patch = None
        if last is not None:
            event["metadata"]["name"] = last.name
            if last.resource_version:
                event["metadata"]["resourceVersion"] = last.resource_version
            event["firstTimestamp"] = last.first_timestamp
            event["count"] = last.count + 1
            patch = {"count": event["count"], "lastTimestamp": event.get("lastTimestamp"),
                     "message": event.get("message")}
        self._observed.put(key, _Observed(int(event.get("count") or 1),
                                          event.get("firstTimestamp") or "",
                                          event["metadata"]["name"],
                                          event["metadata"].get("resourceVersion") or ""))
        return event, patch

    def _spam_filtered(self, event: Obj) -> bool:
        key = spam_key(event)
        bucket = self._spam.get_fresh(key)
        if bucket is None:
            bucket = TokenBucket(self.spam_qps, self.spam_burst, self.clock)
        self._spam.put(key, bucket)
        return not bucket.try_accept()

    def correlate(self, event: Obj) -> CorrelateResult:
        """Aggregate, count, then filter one new event."""
        aggregated, key = self._aggregate(event)
        observed, patch = self._observe(aggregated, key)
        if self._spam_filtered(observed):
            return CorrelateResult(None, skip=True)
        return CorrelateResult(observed, patch)

    def update_state(self, written: Obj) -> None:
        """Remember the Event as the server stored it (its resourceVersion)."""
        meta = written.get("metadata") or {}
        self._observed.put(event_key(written), _Observed(
            int(written.get("count") or 1), written.get("firstTimestamp") or "",
            meta.get("name") or "", meta.get("resourceVersion") or ""))


class EventRecorder:
    def __init__(self, client: Client, component: str, host: str = "", *,
                 clock: Clock = time.time, queue_size: int = MAX_QUEUED,
                 max_tries: int = MAX_TRIES, retry_interval: float = RETRY_INTERVAL,
                 correlator: EventCorrelator | None = None) -> None:
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.max_tries = max_tries
        self.retry_interval = retry_interval
        self.correlator = correlator or EventCorrelator(clock)
        self.dropped = 0
        self._queue: asyncio.Queue[Obj] | None = None
        self._queue_size = queue_size
        self._task: asyncio.Task | None = None
        self._events = resource_for("v1", "events")

    # --- the caller's side: never blocks ----------------------------------------

    def event(self, obj: Obj, type_: str, reason: str, message: str) -> None:
        """Record that `reason`/`message` happened to `obj` (call it from the
        event loop's thread)."""
        if type_ not in (NORMAL, WARNING):
            log.error("unsupported event type %r (reason %s)", type_, reason)
            return
        event = make_event(object_reference(obj), type_, reason, message, self.component,
                           self.host, self.clock())
        if self._task is None:
            self.start()
        assert self._queue is not None
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("event queue full: dropped %s %s on %s", type_, reason,
                        event["involvedObject"].get("name"))

    def eventf(self, obj: Obj, type_: str, reason: str, fmt: str, *args: Any) -> None:
        self.event(obj, type_, reason, fmt % args if args else fmt)

    # --- the writer ---------------------------------------------------------------

    def start(self) -> None:
        """Start the background writer (done by the first event if not before)."""
        if self._task is None:
            self._queue = asyncio.Queue(self._queue_size)
            self._task = asyncio.get_running_loop().create_task(self._write_loop(),
                                                                name="event recorder")

    async def flush(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until every queued event is written or
        given up; whether that happened."""
        if self._queue is None:
            return True
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            return False
        return True

    async def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued (for up to `timeout` s), then stop."""
        if self._task is None:
            return
        await self.flush(timeout)
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _write_loop(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                await self._record(event)
            except Exception:
                log.exception("writing an event failed")
            finally:
                self._queue.task_done()

    async def _record(self, event: Obj) -> None:
        result = self.correlator.correlate(event)
        if result.skip or result.event is None:
            return
        for attempt in range(1, self.max_tries + 1):
            try:
                written = await self._write(result.event, result.patch)
            except AlreadyExists:
                return
            except ApiError as e:
                log.warning("server rejected event %s (will not retry): %s",
                            result.event["metadata"]["name"], e)
                return
            except TransportError as e:
                if attempt == self.max_tries:
                    log.warning("giving up on event %s after %d tries: %s",
                                result.event["metadata"]["name"], attempt, e)
                    return
                wait = self.retry_interval * (random.random() if attempt == 1 else 1.0)
                await asyncio.sleep(wait)
                continue
            self.correlator.update_state(written)
            return

    async def _write(self, event: Obj, patch: Obj | None) -> Obj:
        meta = event["metadata"]
        if patch is not None:
            try:
                return await self.client.patch(self._events, meta["name"], patch,
                                               meta["namespace"], patch_type="strategic")
            except NotFound:
                pass  # deleted meanwhile: write it anew, count and all
        fresh = {**event, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"}}
        return await self.client.create(self._events, fresh)
