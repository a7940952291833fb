"""Label selectors compiled to plain functions, for the loops that match one
selector against many pods (PodTopologySpread's counts, InterPodAffinity's
terms).

`compile_selector(selector)` answers a function `match(labels) -> bool`
that agrees with `selector_matches(selector, labels)` for every input: a
missing selector (None) matches nothing, an empty one everything, labels
None count as no labels. Each requirement becomes one dict lookup and a
comparison (label values are strings, so `labels.get(key)`, None when the
label is absent, never equals a selector value); Gt / Lt keep the
Requirement's own matching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kubelite.api.selectors import DOES_NOT_EXIST, EXISTS, LabelSelector, Requirement

Labels = Mapping[str, str] | None
Matcher = Callable[[Labels], bool]


def _never(labels: Labels) -> bool:
    return False


def _always(labels: Labels) -> bool:
    return True


def _requirement(r: Requirement) -> Callable[[Mapping[str, str]], bool]:
    key, values = r.key, r.values
    if r.operator == EXISTS:
        return lambda labels: key in labels
    if r.operator == DOES_NOT_EXIST:
        return lambda labels: key not in labels
    if r.operator in ("=", "==", "in"):
        if len(values) == 1:
            value = values[0]
            return lambda labels: labels.get(key) == value
        return lambda labels: labels.get(key) in values
    if r.operator in ("!=", "notin"):
        return lambda labels: labels.get(key) not in values
    return r.matches


def compile_selector(selector: LabelSelector | None) -> Matcher:
    if selector is None:
        return _never
    checks = [_requirement(r) for r in selector.requirements]
    if not checks:
        return _always
    if len(checks) == 1:
        (check,) = checks

        def match_one(labels: Labels) -> bool:
            return check(labels or {})

        return match_one

    def match_all(labels: Labels) -> bool:
        labels = labels or {}
        for check in checks:
            if not check(labels):
                return False
        return True

    return match_all
