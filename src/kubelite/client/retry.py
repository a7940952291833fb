"""When to try again, and after how long: pure decisions, no sleeping.

- `RetryPolicy` is the REST client's: whether a failed attempt is tried
  again and the delay before it. A 429 is retried for any verb (the
  server refused the request before doing anything) after its
  Retry-After; a 5xx, or an answer lost on the way back, only for GETs
  (client-go retries a lost connection for GETs only too: a write may
  have happened); a connection that never opened, for any verb (the
  request never reached a server). Retries are bounded in number (10,
  client-go's maxRetries) and in total time.
- `Backoff` is the informer's, client-go's reflector back-off: 0.8 s
  doubling to a 30 s cap, each delay jittered up to twice itself (so
  [30 s, 60 s) at the cap), reset once 2 minutes pass without a failure.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

# Why an attempt failed without an HTTP answer.
CONNECT = "connect"  # the connection never opened: nothing was sent
LOST = "lost"  # sent (maybe), but the answer did not arrive whole


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 10
    max_elapsed: float = 30.0
    base_delay: float = 0.25
    max_delay: float = 4.0

    def backoff(self, attempt: int) -> float:
        """The delay after the `attempt`-th failed attempt (1-based):
        base_delay doubling up to max_delay."""
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))

    def delay(self, *, method: str, attempt: int, elapsed: float,
              status: int | None = None, retry_after: float | None = None,
              failure: str | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.
        `attempt` counts the attempts made so far (1 after the first);
        `elapsed` is the time since the first began; either `status` (the
        HTTP answer, with its Retry-After if any) or `failure` (CONNECT or
        LOST) says what went wrong."""
        if attempt > self.max_retries:
            return None
        idempotent = method.upper() == "GET"
        if failure == CONNECT:
            retryable = True
        elif failure == LOST:
            retryable = idempotent
        elif status == 429:
            retryable = True
        elif status is not None and status >= 500:
            retryable = idempotent
        else:
            retryable = False
        if not retryable:
            return None
        wait = self.backoff(attempt) if retry_after is None else retry_after
        if elapsed + wait > self.max_elapsed:
            return None
        return wait


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (the only form the API server
    sends); None when absent or not a number of seconds."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class Backoff:
    def __init__(self, initial: float = 0.8, cap: float = 30.0, factor: float = 2.0,
                 jitter: float = 1.0, reset_after: float = 120.0,
                 clock: Callable[[], float] = time.monotonic,
                 rand: Callable[[], float] = random.random) -> None:
        self.initial = initial
        self.cap = cap
        self.factor = factor
        self.jitter = jitter
        self.reset_after = reset_after
        self.clock = clock
        self.rand = rand
        self._next = initial
        self._last: float | None = None

    def next(self) -> float:
        """The delay before the next try after a failure."""
        now = self.clock()
        if self._last is not None and now - self._last > self.reset_after:
            self._next = self.initial
        delay = self._next
        self._next = min(self.cap, self._next * self.factor)
        self._last = now
        if self.jitter > 0:
            delay += delay * self.jitter * self.rand()
        return delay

    def reset(self) -> None:
        self._next = self.initial
        self._last = None
