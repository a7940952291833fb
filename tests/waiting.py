"""Bounded waits for tests: poll a condition until it holds or the time is
up, then fail saying what was awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def wait_until(what: str, probe: Callable[[], Any], timeout: float = 30.0,
               period: float = 0.1) -> Any:
    """Call `probe` every `period` s until it returns something truthy (that
    is returned), for at most `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(period)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def eventually(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """`wait_until` inside an event loop, which keeps running meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
