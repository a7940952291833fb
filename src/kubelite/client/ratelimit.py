"""A token bucket: `qps` tokens a second up to `burst`, starting full.

It is pure: time comes from an injectable clock (seconds, monotonic), and
it never sleeps; it says how long to wait. The REST client takes one token
before every request (client-go's defaults: 5 QPS, burst 10); the work
queue's overall limiter and the event spam filter are buckets too.

- `try_accept()` takes a token if one is there (client-go's TryAccept).
- `reserve()` takes a token now, going into debt if there is none, and
  returns the seconds until that token exists (golang.org/x/time/rate's
  Reserve().Delay(), which the work queue's BucketRateLimiter uses): so n
  callers reserving at once are spaced 1/qps apart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

Clock = Callable[[], float]

DEFAULT_QPS = 5.0
DEFAULT_BURST = 10


class TokenBucket:
    def __init__(self, qps: float, burst: int, clock: Clock = time.monotonic) -> None:
        if burst < 1 and not math.isinf(qps):
            raise ValueError("burst must be at least 1")
        self.qps = qps
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._last = clock()

    @classmethod
    def unlimited(cls, clock: Clock = time.monotonic) -> TokenBucket:
        return cls(math.inf, 1, clock)

    def _refill(self) -> float:
        now = self.clock()
        if now > self._last:
            self._tokens = min(float(self.burst),
                               self._tokens + (now - self._last) * self.qps)
            self._last = now
        return now

    @property
    def tokens(self) -> float:
        """Tokens in the bucket now (negative while reservations are owed)."""
        if math.isinf(self.qps):
            return float(self.burst)
        self._refill()
        return self._tokens

    def try_accept(self) -> bool:
        if math.isinf(self.qps):
            return True
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def reserve(self) -> float:
        if math.isinf(self.qps):
            return 0.0
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0.0:
            return 0.0
        return -self._tokens / self.qps if self.qps > 0 else math.inf


def client_bucket(qps: float, burst: int, clock: Clock = time.monotonic) -> TokenBucket:
    """The REST client's bucket as client-go builds it from rest.Config:
    qps 0 means the default (5, and burst 0 means 10); a negative qps
    means no client-side limit."""
    if qps < 0:
        return TokenBucket.unlimited(clock)
    return TokenBucket(qps or DEFAULT_QPS, burst or DEFAULT_BURST, clock)
