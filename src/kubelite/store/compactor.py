"""Automatic compaction: when to compact, and to which revision.

Two modes, as etcd's --auto-compaction-mode has them:
- "periodic": keep `retention` worth of history. The compactor samples the
  current revision every retention/10 and compacts to the newest sample that
  is at least `retention` old.
- "revision": keep the last `retention` revisions, checked every 5 minutes.
Pure: the caller passes the clock and the current revision and carries out
the compaction the compactor asks for.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

REVISION_CHECK_INTERVAL = 300.0

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_retention(mode: str, text: str) -> float:
    """Seconds (periodic) or revisions (revision) of history to keep; 0 = off.
    A bare number in periodic mode means hours, as etcd reads it."""
    text = text.strip() or "0"
    if mode == "revision":
        if not text.isdigit():
            raise ValueError(f"--auto-compaction-retention: {text!r} is not a revision count")
        return float(int(text))
    if mode != "periodic":
        raise ValueError(f"--auto-compaction-mode: unknown mode {mode!r}")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text) * 3600.0
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"--auto-compaction-retention: bad duration {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


@dataclass
class Compactor:
    mode: str
    retention: float
    last_compacted: int = 0
    _samples: deque[tuple[float, int]] = field(default_factory=deque)
    _next_check: float = 0.0

    @property
    def enabled(self) -> bool:
        return self.retention > 0

    @property
    def interval(self) -> float:
        if self.mode == "revision":
            return REVISION_CHECK_INTERVAL
        return max(self.retention / 10, 1.0)

    def tick(self, now: float, current_revision: int) -> int | None:
        """Called now and then; returns a revision to compact to, or None."""
        if not self.enabled or now < self._next_check:
            return None
        self._next_check = now + self.interval
        if self.mode == "revision":
            target = current_revision - int(self.retention)
        else:
            self._samples.append((now, current_revision))
            target = 0
            while self._samples and now - self._samples[0][0] >= self.retention:
                target = self._samples.popleft()[1]
        if target > self.last_compacted:
            self.last_compacted = target
            return target
        return None
