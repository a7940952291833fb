"""Unit tests for the client's token bucket, retry decisions and the
informer's back-off, on a fake clock."""

from __future__ import annotations

import math

import pytest

from kubelite.client.ratelimit import TokenBucket, client_bucket
from kubelite.client.retry import CONNECT, LOST, Backoff, RetryPolicy, parse_retry_after


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_bucket_starts_full_then_refills_at_qps() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, 10, clock)
    assert all(bucket.try_accept() for _ in range(10))
    assert not bucket.try_accept()
    clock.now += 0.2  # one token at 5 qps
    assert bucket.try_accept() and not bucket.try_accept()
    clock.now += 100  # refills to the burst, not beyond
    assert sum(bucket.try_accept() for _ in range(20)) == 10


def test_reserve_spaces_callers_one_over_qps_apart() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 2, clock)
    delays = [bucket.reserve() for _ in range(5)]
    assert delays == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.3])
    clock.now += 0.3  # the debt is paid off: the next waits one interval
    assert bucket.reserve() == pytest.approx(0.1)


def test_client_bucket_defaults_and_unlimited() -> None:
    clock = FakeClock()
    default = client_bucket(0, 0, clock)
    assert (default.qps, default.burst) == (5.0, 10)
    unlimited = client_bucket(-1, 0, clock)
    assert math.isinf(unlimited.qps)
    assert all(unlimited.reserve() == 0 for _ in range(1000))
    assert unlimited.try_accept()


def test_burst_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(1, 0)


POLICY = RetryPolicy(max_retries=10, max_elapsed=30, base_delay=0.25, max_delay=4)


@pytest.mark.parametrize("method, kwargs, retried", [
    ("GET", {"status": 500}, True),
    ("GET", {"status": 503}, True),
    ("POST", {"status": 500}, False),
    ("PUT", {"status": 503}, False),
    ("POST", {"status": 429}, True),
    ("DELETE", {"status": 429}, True),
    ("GET", {"status": 404}, False),
    ("GET", {"status": 409}, False),
    ("POST", {"failure": CONNECT}, True),
    ("PATCH", {"failure": CONNECT}, True),
    ("GET", {"failure": LOST}, True),
    ("POST", {"failure": LOST}, False),
    ("DELETE", {"failure": LOST}, False),
])
def test_what_is_retried(method: str, kwargs: dict, retried: bool) -> None:
    delay = POLICY.delay(method=method, attempt=1, elapsed=0, **kwargs)
    assert (delay is not None) is retried


def test_backoff_doubles_to_its_cap_and_retry_after_wins() -> None:
    delays = [POLICY.delay(method="GET", attempt=n, elapsed=0, status=500) for n in range(1, 8)]
    assert delays == [0.25, 0.5, 1, 2, 4, 4, 4]
    assert POLICY.delay(method="POST", attempt=1, elapsed=0, status=429, retry_after=3) == 3
    assert POLICY.delay(method="GET", attempt=1, elapsed=0, status=503, retry_after=0) == 0


def test_retries_are_bounded_in_count_and_time() -> None:
    assert POLICY.delay(method="GET", attempt=10, elapsed=0, status=500) == 4
    assert POLICY.delay(method="GET", attempt=11, elapsed=0, status=500) is None
    assert POLICY.delay(method="GET", attempt=2, elapsed=29.6, status=500) is None
    assert POLICY.delay(method="GET", attempt=1, elapsed=0, status=429, retry_after=31) is None


def test_parse_retry_after() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after("-1") is None


def test_reflector_backoff() -> None:
    clock = FakeClock()
    backoff = Backoff(clock=clock, rand=lambda: 0.0)
    delays = [backoff.next() for _ in range(8)]
    assert delays == pytest.approx([0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30, 30])
    clock.now += 121  # two minutes without a failure: back to the start
    assert backoff.next() == pytest.approx(0.8)
    jittered = Backoff(clock=clock, rand=lambda: 0.999)
    assert 0.8 <= jittered.next() < 1.6  # up to twice the delay
    backoff.reset()
    assert backoff.next() == pytest.approx(0.8)
