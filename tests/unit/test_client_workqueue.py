"""Unit tests for kubelite.client.workqueue on a fake clock: deduplication,
one worker per key, delays, the rate limiters' numbers, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.client.workqueue import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    WorkQueue,
    default_controller_rate_limiter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(clock: FakeClock) -> WorkQueue:
    return WorkQueue(clock=clock)


def drain(queue: WorkQueue) -> list:
    out = []
    while (key := queue.get_nowait()) is not None:
        out.append(key)
    return out


def test_keys_are_deduplicated_and_fifo(queue: WorkQueue) -> None:
    for key in ["a", "b", "a", "c", "b"]:
        queue.add(key)
    assert len(queue) == 3
    assert drain(queue) == ["a", "b", "c"]
    assert len(queue) == 0


def test_a_key_in_processing_is_not_handed_out_twice(queue: WorkQueue) -> None:
    queue.add("a")
    assert queue.get_nowait() == "a"
    queue.add("a")  # changed again while a worker has it
    queue.add("a")
    assert len(queue) == 0 and queue.get_nowait() is None
    assert queue.processing == {"a"}
    queue.done("a")  # now it goes back, once
    assert len(queue) == 1
    assert queue.get_nowait() == "a"
    queue.done("a")
    assert queue.get_nowait() is None and queue.processing == frozenset()


def test_add_after(queue: WorkQueue, clock: FakeClock) -> None:
    queue.add_after("a", 5)
    queue.add_after("b", 2)
    queue.add_after("now", 0)
    assert drain(queue) == ["now"]
    assert queue.waiting == 2 and queue.next_delay() == 2
    clock.now = 2
    assert drain(queue) == ["b"]
    assert queue.next_delay() == 3
    clock.now = 10
    assert drain(queue) == ["a"]
    assert queue.next_delay() is None


def test_the_sooner_delay_wins(queue: WorkQueue, clock: FakeClock) -> None:
    queue.add_after("a", 10)
    queue.add_after("a", 3)
    queue.add_after("a", 7)  # later than the pending 3: ignored
    assert queue.waiting == 1 and queue.next_delay() == 3
    clock.now = 3
    assert drain(queue) == ["a"]
    clock.now = 20
    assert drain(queue) == []  # the superseded entries are gone


def test_delayed_key_already_queued_is_not_doubled(queue: WorkQueue, clock: FakeClock) -> None:
    queue.add("a")
    queue.add_after("a", 1)
    clock.now = 1
    assert drain(queue) == ["a"]


def test_per_item_exponential_numbers() -> None:
    limiter = ItemExponentialFailureRateLimiter(0.005, 1000)
    delays = [limiter.when("k") for _ in range(20)]
    assert delays[:4] == pytest.approx([0.005, 0.01, 0.02, 0.04])
    assert delays[17] == pytest.approx(0.005 * 2 ** 17)  # 655.36 s
    assert delays[18] == delays[19] == 1000  # capped
    assert limiter.num_requeues("k") == 20
    assert limiter.when("other") == 0.005  # per item
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0 and limiter.when("k") == 0.005
    huge = ItemExponentialFailureRateLimiter(0.005, 1000)
    huge._failures["x"] = 5000
    assert huge.when("x") == 1000


def test_bucket_limiter_spaces_after_the_burst(clock: FakeClock) -> None:
    limiter = BucketRateLimiter(10, 100, clock)
    delays = [limiter.when(i) for i in range(102)]
    assert delays[:100] == [0.0] * 100
    assert delays[100:] == pytest.approx([0.1, 0.2])
    assert limiter.num_requeues(1) == 0


def test_default_controller_rate_limiter(clock: FakeClock) -> None:
    limiter = default_controller_rate_limiter(clock)
    assert isinstance(limiter, MaxOfRateLimiter)
    # One key failing: the per-item back-off dominates.
    assert [limiter.when("k") for _ in range(3)] == pytest.approx([0.005, 0.01, 0.02])
    # Many keys failing at once: past 100 the overall bucket (10 qps) does.
    delays = [limiter.when(f"k{i}") for i in range(110)]
    assert delays[96] == pytest.approx(0.005)
    assert delays[-1] == pytest.approx(1.3)
    assert limiter.num_requeues("k") == 3
    limiter.forget("k")
    assert limiter.num_requeues("k") == 0


def test_add_rate_limited_forget_and_requeues(queue: WorkQueue, clock: FakeClock) -> None:
    queue.add_rate_limited("a")
    queue.add_rate_limited("a")
    assert queue.num_requeues("a") == 2
    assert queue.next_delay() == pytest.approx(0.005)  # the sooner of 5 ms and 10 ms
    clock.now = 0.005
    assert drain(queue) == ["a"]
    queue.forget("a")
    assert queue.num_requeues("a") == 0


def test_shutdown(queue: WorkQueue, clock: FakeClock) -> None:
    queue.add("a")
    queue.add("b")
    queue.add_after("later", 1)
    assert queue.get_nowait() == "a"
    queue.shutdown()
    assert queue.shutting_down
    queue.add("c")  # refused
    queue.add_after("d", 0)
    clock.now = 5
    assert queue.waiting == 0
    assert drain(queue) == ["b"]  # what was queued is still handed out
    queue.done("a")


async def test_async_get_waits_for_a_key_and_ends_at_shutdown() -> None:
    queue = WorkQueue()
    getter = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.add("a")
    assert await asyncio.wait_for(getter, 5) == "a"
    queue.add("a")  # processing: the next get must not see it
    second = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    assert not second.done()
    queue.done("a")
    assert await asyncio.wait_for(second, 5) == "a"
    third = asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.shutdown()
    assert await asyncio.wait_for(third, 5) is None


async def test_async_get_wakes_for_a_due_delayed_key() -> None:
    queue = WorkQueue()
    queue.add_after("soon", 0.01)  # the get itself waits for it, on the loop's clock
    assert await asyncio.wait_for(queue.get(), 5) == "soon"
