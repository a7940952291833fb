"""The score normalization several plugins share (helper.DefaultNormalizeScore):
scale so that the highest score becomes `max_priority`, integer division;
`reverse` flips the scale (a higher raw count becomes a lower score). With
every score 0, all stay 0, or all become `max_priority` when reversed.
"""

from __future__ import annotations

from kubelite.scheduler.framework.arith import go_div
from kubelite.scheduler.framework.interface import NodeScore


def default_normalize_score(max_priority: int, reverse: bool, scores: list[NodeScore]) -> None:
    for s, normalized in zip(
        scores, default_normalize(max_priority, reverse, [s.score for s in scores]), strict=True
    ):
        s.score = normalized


def default_normalize(max_priority: int, reverse: bool, scores: list[int]) -> list[int]:
    """The same over plain scores, answering the normalized list."""
    highest = max(max(scores, default=0), 0)
    if highest == 0:
        return [max_priority] * len(scores) if reverse else list(scores)
    if reverse:
        return [max_priority - go_div(max_priority * s, highest) for s in scores]
    return [go_div(max_priority * s, highest) for s in scores]

