"""Arithmetic as the Go code does it, where Python's differs: integer
division truncating toward zero, and rounding halves away from zero
(math.Round). Scores must come out the same to the unit."""

from __future__ import annotations

import math


def go_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def go_round(x: float) -> int:
    magnitude = abs(x)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:
        whole += 1
    return int(whole) if x >= 0 else -int(whole)
