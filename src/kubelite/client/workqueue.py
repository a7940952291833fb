"""client-go's rate-limited work queue (util/workqueue), for controllers.

`WorkQueue` holds keys ("namespace/name") to work on:

- a key is in the queue at most once, however often it is added;
- a key being processed (handed out by `get`, not yet `done`) is never
  handed to a second worker: added again meanwhile, it waits and goes
  back in the queue at `done`;
- `add_after(key, delay)` adds it once `delay` seconds have passed (the
  sooner of two pending delays wins);
- `add_rate_limited(key)` adds it after the rate limiter's delay;
  `forget(key)` ends its back-off once it succeeded, and
  `num_requeues(key)` says how often it failed;
- `shutdown()` refuses new keys and drops delayed ones; `get` still hands
  out what is queued, then None; `len(queue)` is how many keys are ready.

The default controller rate limiter is the larger of a per-key
exponential back-off (5 ms doubling to 1000 s) and an overall token
bucket (10 per second, burst 100), as `DefaultControllerRateLimiter`.

Everything but `get` is pure, with an injectable clock: `get_nowait()`
returns a ready key or None, `next_delay()` the seconds until a delayed
key is due. `await get()` waits on them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Protocol

from kubelite.client.ratelimit import TokenBucket

Clock = Callable[[], float]


class RateLimiter(Protocol):
    def when(self, item: Hashable) -> float: ...

    def forget(self, item: Hashable) -> None: ...

    def num_requeues(self, item: Hashable) -> int: ...


class ItemExponentialFailureRateLimiter:
    """base_delay * 2**failures, capped at max_delay, per item."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, item: Hashable) -> float:
        exp = self._failures.get(item, 0)
        self._failures[item] = exp + 1
        if exp > 1000:  # 2**exp would overflow a float long before
            return self.max_delay
        return min(self.max_delay, self.base_delay * 2.0 ** exp)

    def forget(self, item: Hashable) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        return self._failures.get(item, 0)


class BucketRateLimiter:
    """An overall token bucket: every item's delay is a reservation."""

    def __init__(self, qps: float = 10.0, burst: int = 100, clock: Clock = time.monotonic) -> None:
        self.bucket = TokenBucket(qps, burst, clock)

    def when(self, item: Hashable) -> float:
        return self.bucket.reserve()

    def forget(self, item: Hashable) -> None:
        return None

    def num_requeues(self, item: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    """The longest delay any of its limiters gives."""

    def __init__(self, *limiters: RateLimiter) -> None:
        self.limiters = limiters

    def when(self, item: Hashable) -> float:
        return max(limiter.when(item) for limiter in self.limiters)

    def forget(self, item: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock = time.monotonic) -> MaxOfRateLimiter:
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0),
                            BucketRateLimiter(10.0, 100, clock))


class WorkQueue:
    def __init__(self, rate_limiter: RateLimiter | None = None,
                 clock: Clock = time.monotonic, name: str = "") -> None:
        self.name = name
        self.clock = clock
        self.rate_limiter = rate_limiter or default_controller_rate_limiter(clock)
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        # Delayed keys: a heap of (due, seq, key), and each key's soonest due
        # time (heap entries that disagree with it are stale).
        self._heap: list[tuple[float, int, Hashable]] = []
        self._waiting: dict[Hashable, float] = {}
        self._seq = itertools.count()
        self._shutting_down = False
        self._wakeup = asyncio.Event()

    # --- pure core ---------------------------------------------------------------

    def add(self, key: Hashable) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._wakeup.set()

    def add_after(self, key: Hashable, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        due = self.clock() + delay
        if key in self._waiting and self._waiting[key] <= due:
            return
        self._waiting[key] = due
        heapq.heappush(self._heap, (due, next(self._seq), key))
        self._wakeup.set()  # a sleeping get() may now have to wake sooner

    def add_rate_limited(self, key: Hashable) -> None:
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: Hashable) -> None:
        self.rate_limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return self.rate_limiter.num_requeues(key)

    def _promote(self) -> None:
        now = self.clock()
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self._waiting.get(key) == due:
                del self._waiting[key]
                self.add(key)

    def get_nowait(self) -> Hashable | None:
        """A ready key, now marked as being processed; None if none is."""
        self._promote()
        if not self._queue:
            return None
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: Hashable) -> None:
        """The worker is finished with `key`; if it was added again
        meanwhile, it is queued again now."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wakeup.set()

    def next_delay(self) -> float | None:
        """Seconds until the soonest delayed key is due (0 if one is);
        None if none is waiting."""
        while self._heap and self._waiting.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        if not self._heap:
            return None
        return max(0.0, self._heap[0][0] - self.clock())

    def shutdown(self) -> None:
        self._shutting_down = True
        self._heap.clear()
        self._waiting.clear()
        self._wakeup.set()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __len__(self) -> int:
        return len(self._queue)

    @property
    def processing(self) -> frozenset[Hashable]:
        return frozenset(self._processing)

    @property
    def waiting(self) -> int:
        """How many keys wait for their delay."""
        return len(self._waiting)

    # --- the async shell -----------------------------------------------------------

    async def get(self) -> Hashable | None:
        """The next ready key (waiting for one as long as needed), or None
        once the queue is shut down and empty. Call `done(key)` after."""
        while True:
            key = self.get_nowait()
            if key is not None:
                return key
            if self._shutting_down:
                return None
            self._wakeup.clear()
            try:
                async with asyncio.timeout(self.next_delay()):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
