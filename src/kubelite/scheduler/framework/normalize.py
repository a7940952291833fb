"""The score normalization several plugins share (helper.DefaultNormalizeScore):
scale so that the highest score becomes `max_priority`, integer division;
`reverse` flips the scale (a higher raw count becomes a lower score). With
every score 0, all stay 0, or all become `max_priority` when reversed.
"""

from __future__ import annotations

from kubelite.scheduler.framework.arith import go_div
from kubelite.scheduler.framework.interface import NodeScore


def default_normalize_score(max_priority: int, reverse: bool, scores: list[NodeScore]) -> None:
    highest = max((s.score for s in scores), default=0)
    highest = max(highest, 0)
    if highest == 0:
        if reverse:
            for s in scores:
                s.score = max_priority
        return
    for s in scores:
        scaled = go_div(max_priority * s.score, highest)
        s.score = max_priority - scaled if reverse else scaled

