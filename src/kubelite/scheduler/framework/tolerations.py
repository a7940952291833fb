"""Taints and tolerations, as core/v1's helpers match them.

A toleration tolerates a taint when its effect is empty or equal to the
taint's, its key is empty or equal to the taint's, and either its operator
is Exists or (operator Equal, or empty) its value equals the taint's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

NO_SCHEDULE = "NoSchedule"
PREFER_NO_SCHEDULE = "PreferNoSchedule"
NO_EXECUTE = "NoExecute"


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerated(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def does_not_schedule(taint: Mapping[str, Any]) -> bool:
    """The taints Filter looks at: NoSchedule and NoExecute."""
    return taint.get("effect") in (NO_SCHEDULE, NO_EXECUTE)


def prefers_no_schedule(taint: Mapping[str, Any]) -> bool:
    """The taints TaintToleration scores: PreferNoSchedule."""
    return taint.get("effect") == PREFER_NO_SCHEDULE


def first_untolerated_taint(
    taints: Iterable[Mapping[str, Any]],
    tolerations: list[Mapping[str, Any]],
    considered: Callable[[Mapping[str, Any]], bool] = does_not_schedule,
) -> Mapping[str, Any] | None:
    """The first taint (in the node's order) among `considered` ones that no
    toleration tolerates, or None."""
    for taint in taints:
        if considered(taint) and not tolerated(tolerations, taint):
            return taint
    return None


def first_untolerated(
    taints: Iterable[Mapping[str, Any]], tolerations: list[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The first of `taints` (already the ones considered, e.g. a NodeInfo's
    no_schedule_taints) that no toleration tolerates, or None."""
    for taint in taints:
        if not tolerated(tolerations, taint):
            return taint
    return None
