"""When each node's periodic work is due, pure: a heap of (due, key), one
due time per key, and the phases that spread N nodes' work evenly over an
interval instead of doing it all at once."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Hashable


def phase(index: int, count: int, interval: float) -> float:
    """Node `index` of `count` does its work at this offset into each interval."""
    return interval * index / count


def next_slot(offset: float, interval: float, after: float) -> float:
    """The first time offset + k * interval (k an integer) later than `after`."""
    k = math.floor((after - offset) / interval) + 1
    return offset + k * interval


class Timers:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._due

    def set(self, key: Hashable, due: float) -> None:
        """`key` is due at `due` (replacing an earlier setting)."""
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._seq), key))

    def sooner(self, key: Hashable, due: float) -> None:
        """`key` is due at `due` unless it is already due sooner."""
        if key not in self._due or due < self._due[key]:
            self.set(key, due)

    def cancel(self, key: Hashable) -> None:
        self._due.pop(key, None)

    def due(self, key: Hashable) -> float | None:
        return self._due.get(key)

    def pop_due(self, now: float) -> list[tuple[float, Hashable]]:
        """Every (due, key) due by `now`, soonest first; they are no longer set."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self._due.get(key) == due:
                del self._due[key]
                out.append((due, key))
        return out

    def next_due(self) -> float | None:
        while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None
