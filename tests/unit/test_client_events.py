"""Unit tests for the event recorder's pure parts: building Events and the
correlator (counting, similar-event aggregation, spam filtering) on a fake
clock; and the recorder's queue never blocking."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.client.events import (
    COMBINED_PREFIX,
    EventCorrelator,
    EventRecorder,
    make_event,
    object_reference,
)

POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-1", "namespace": "prod", "uid": "u-1", "resourceVersion": "7"}}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "u-n"}}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def new(clock: FakeClock, message: str = "pulled", reason: str = "Pulled", obj=POD) -> dict:
    return make_event(object_reference(obj), "Normal", reason, message, "kubelet", "n1",
                      clock())


def test_object_reference_and_a_new_event() -> None:
    assert object_reference(POD) == {"kind": "Pod", "namespace": "prod", "name": "web-1",
                                     "uid": "u-1", "apiVersion": "v1", "resourceVersion": "7"}
    event = make_event(object_reference(POD), "Warning", "BackOff", "m", "kubelet", "n1", 1.5)
    assert event["metadata"] == {"name": f"web-1.{1_500_000_000:x}", "namespace": "prod"}
    assert event["source"] == {"component": "kubelet", "host": "n1"}
    assert event["firstTimestamp"] == event["lastTimestamp"] == "1970-01-01T00:00:01Z"
    assert (event["count"], event["type"], event["reason"]) == (1, "Warning", "BackOff")
    assert (event["reportingComponent"], event["reportingInstance"]) == ("kubelet", "n1")


def test_cluster_scoped_objects_get_events_in_default() -> None:
    event = make_event(object_reference(NODE), "Normal", "Ready", "m", "c", "", 0)
    assert event["metadata"]["namespace"] == "default"
    assert event["source"] == {"component": "c"} and "reportingInstance" not in event


def test_an_object_without_its_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        object_reference({"metadata": {"name": "x"}})


def test_identical_events_are_counted_on_the_first_one() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    first = correlator.correlate(new(clock))
    assert first.patch is None and first.event["count"] == 1
    name = first.event["metadata"]["name"]
    correlator.update_state({**first.event, "metadata": {**first.event["metadata"],
                                                         "resourceVersion": "40"}})
    for n in range(2, 6):
        clock.now += 10
        result = correlator.correlate(new(clock))
        assert result.event["metadata"]["name"] == name  # the same Event
        assert result.event["metadata"]["resourceVersion"] == "40"
        assert result.event["count"] == n
        assert result.event["firstTimestamp"] == first.event["firstTimestamp"]
        assert result.patch == {"count": n, "lastTimestamp": result.event["lastTimestamp"],
                                "message": "pulled"}
        assert result.event["lastTimestamp"] != first.event["lastTimestamp"]


def test_different_objects_reasons_or_sources_are_different_events() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    a = correlator.correlate(new(clock))
    b = correlator.correlate(new(clock, reason="Created"))
    c = correlator.correlate(new(clock, obj={**POD, "metadata": {**POD["metadata"],
                                                                 "name": "web-2"}}))
    other_source = make_event(object_reference(POD), "Normal", "Pulled", "pulled", "sched", "",
                              clock())
    d = correlator.correlate(other_source)
    assert all(r.patch is None for r in (a, b, c, d))


def test_similar_events_are_combined_after_ten_messages() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    results = []
    for i in range(12):
        clock.now += 1
        results.append(correlator.correlate(new(clock, message=f"attempt {i}")))
    # Nine distinct messages pass as they are; the tenth starts the combined Event.
    assert [r.event["message"] for r in results[:9]] == [f"attempt {i}" for i in range(9)]
    combined = results[9].event
    assert combined["message"] == COMBINED_PREFIX + "attempt 9"
    assert combined["count"] == 1 and results[9].patch is None
    assert combined["involvedObject"] == object_reference(POD)
    assert combined["metadata"]["namespace"] == "prod"
    # Later similar events count up on the combined Event, with the latest message.
    assert results[10].event["metadata"]["name"] == combined["metadata"]["name"]
    assert results[11].event["count"] == 3
    assert results[11].patch["message"] == COMBINED_PREFIX + "attempt 11"


def test_aggregation_window_restarts_after_ten_minutes() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    for i in range(9):
        correlator.correlate(new(clock, message=f"m{i}"))
    clock.now += 601
    assert correlator.correlate(new(clock, message="m9")).event["message"] == "m9"


def test_spam_filter_allows_a_burst_of_25_then_one_per_five_minutes() -> None:
    clock = FakeClock()
    correlator = EventCorrelator(clock)
    results = [correlator.correlate(new(clock)) for _ in range(30)]
    assert [r.skip for r in results] == [False] * 25 + [True] * 5
    assert results[24].event["count"] == 25
    clock.now += 300
    again = correlator.correlate(new(clock))
    assert not again.skip and again.event["count"] == 31  # the skipped ones still counted
    assert correlator.correlate(new(clock)).skip
    # Another object has its own budget.
    other = new(clock, obj={**POD, "metadata": {**POD["metadata"], "name": "web-2"}})
    assert not correlator.correlate(other).skip


class FakeClient:
    """Records the writes; `gate` holds every write until it is set."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.rv = 0
        self.created: list[dict] = []

    async def _stored(self, event: dict) -> dict:
        await self.gate.wait()
        self.rv += 1
        return {**event, "metadata": {**event["metadata"], "resourceVersion": str(self.rv)}}

    async def create(self, resource, event, namespace=None):
        self.calls.append(("create", event["metadata"]["name"], event["count"]))
        self.created.append(event)
        return await self._stored(event)

    async def patch(self, resource, name, patch, namespace=None, *, patch_type="merge"):
        self.calls.append(("patch", name, patch["count"], patch_type))
        return await self._stored({"metadata": {"name": name, "namespace": namespace},
                                   **patch})


async def test_recorder_writes_once_then_patches_the_count() -> None:
    client = FakeClient()
    recorder = EventRecorder(client, "test")  # type: ignore[arg-type]
    for _ in range(4):
        recorder.event(POD, "Normal", "Pulled", "pulled")
    assert await recorder.flush(5)
    name = client.calls[0][1]
    assert client.calls == [("create", name, 1), ("patch", name, 2, "strategic"),
                            ("patch", name, 3, "strategic"), ("patch", name, 4, "strategic")]
    await recorder.stop()


async def test_recorder_never_blocks_and_drops_when_full() -> None:
    client = FakeClient()
    client.gate.clear()  # the writer is stuck on its first write
    recorder = EventRecorder(client, "test", queue_size=3)  # type: ignore[arg-type]
    recorder.event(POD, "Normal", "R", "m0")
    await asyncio.sleep(0)  # the writer takes m0 and blocks on it
    for i in range(1, 6):
        recorder.event(POD, "Normal", "R", f"m{i}")
    assert recorder.dropped == 2  # three queued behind the one in flight
    recorder.event(POD, "Bogus", "R", "m")  # not Normal or Warning: refused, not queued
    assert recorder.dropped == 2
    assert not await recorder.flush(0)
    client.gate.set()
    assert await recorder.flush(5)
    assert [c[0] for c in client.calls] == ["create"] * 4
    await recorder.stop()


async def test_eventf_formats() -> None:
    client = FakeClient()
    recorder = EventRecorder(client, "test")  # type: ignore[arg-type]
    recorder.eventf(POD, "Warning", "Failed", "pulling %s: %d tries", "busybox", 3)
    assert await recorder.flush(5)
    await recorder.stop()
    assert client.created[0]["message"] == "pulling busybox: 3 tries"
