"""Matching nodes against a pod's node selector and node affinity, as
component-helpers' nodeaffinity package does.

A NodeSelectorTerm matches a node when all its matchExpressions (operators
In, NotIn, Exists, DoesNotExist, Gt, Lt over the node's labels) and all its
matchFields (In / NotIn with exactly one value, over metadata.name) hold.
A term with neither is skipped: it selects nothing. A term that does not
parse (unknown operator, bad key or value, Gt with a non-integer) matches
no node, and the other terms still count. Required terms are ORed; the
pod's nodeSelector map must match as well. Preferred terms add their
weight for each term that matches; weight-0 and empty terms are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.selectors import LabelSelector, Requirement, requirement
from kubelite.scheduler.framework.matchers import Matcher, compile_selector

NAME_FIELD = "metadata.name"
_LABEL_OPERATORS = {
    "In": "in",
    "NotIn": "notin",
    "Exists": "exists",
    "DoesNotExist": "!",
    "Gt": ">",
    "Lt": "<",
}


def node_labels(node: Mapping[str, Any]) -> dict[str, str]:
    return (node.get("metadata") or {}).get("labels") or {}


def node_name(node: Mapping[str, Any]) -> str:
    return (node.get("metadata") or {}).get("name") or ""


@dataclass(frozen=True)
class NodeSelectorTerm:
    """A parsed term. `labels` / `fields` are None when the term has no
    expressions of that kind; `valid` is False when it did not parse."""

    labels: LabelSelector | None
    fields: tuple[tuple[str, bool, str], ...] | None  # (key, equal, value)
    valid: bool = True
    _labels_match: Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_labels_match", compile_selector(self.labels))

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> NodeSelectorTerm:
        try:
            labels = _label_requirements(raw.get("matchExpressions") or [])
            fields = _field_requirements(raw.get("matchFields") or [])
        except ValueError:
            return cls(None, None, valid=False)
        return cls(labels, fields)

    def matches(self, labels: Mapping[str, str], name: str) -> bool:
        if not self.valid:
            return False
        if self.labels is not None and not self._labels_match(labels):
            return False
        if self.fields is not None and name:
            for key, equal, value in self.fields:
                have = name if key == NAME_FIELD else ""
                if (have == value) != equal:
                    return False
        return True


def is_empty_term(raw: Mapping[str, Any]) -> bool:
    return not raw.get("matchExpressions") and not raw.get("matchFields")


def _label_requirements(expressions: list[Any]) -> LabelSelector | None:
    if not expressions:
        return None
    found: list[Requirement] = []
    for expr in expressions:
        operator = _LABEL_OPERATORS.get(expr.get("operator"))
        if operator is None:
            raise ValueError(f"unsupported operator {expr.get('operator')!r}")
        found.append(requirement(expr.get("key") or "", operator, expr.get("values") or []))
    return LabelSelector(tuple(found))


def _field_requirements(expressions: list[Any]) -> tuple[tuple[str, bool, str], ...] | None:
    if not expressions:
        return None
    found = []
    for expr in expressions:
        operator, values = expr.get("operator"), expr.get("values") or []
        if operator not in ("In", "NotIn"):
            raise ValueError(f"unsupported operator {operator!r}")
        if len(values) != 1:
            raise ValueError("must have one element")
        found.append((expr.get("key") or "", operator == "In", values[0]))
    return tuple(found)


def parse_terms(raw_terms: list[Any]) -> list[NodeSelectorTerm]:
    return [NodeSelectorTerm.parse(t) for t in raw_terms if not is_empty_term(t)]


@dataclass(frozen=True)
class RequiredNodeAffinity:
    """A pod's nodeSelector plus its required node affinity."""

    node_selector: Mapping[str, str] | None
    terms: list[NodeSelectorTerm] | None  # None: no required node affinity

    @classmethod
    def of(cls, pod: Mapping[str, Any]) -> RequiredNodeAffinity:
        spec = pod.get("spec") or {}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        terms = None
        if required is not None:
            terms = parse_terms(required.get("nodeSelectorTerms") or [])
        return cls(spec.get("nodeSelector") or None, terms)

    def matches(self, node: Mapping[str, Any]) -> bool:
        return self.matches_labels(node_labels(node), node_name(node))

    def matches_labels(self, labels: Mapping[str, str], name: str) -> bool:
        """`matches` for a node with these labels and this name."""
        if self.node_selector:
            for key, value in self.node_selector.items():
                if labels.get(key) != value:
                    return False
        if self.terms is None:
            return True
        return any(term.matches(labels, name) for term in self.terms)

    def is_empty(self) -> bool:
        """Matches every node: no nodeSelector, no required affinity."""
        return not self.node_selector and self.terms is None


@dataclass(frozen=True)
class PreferredSchedulingTerms:
    terms: list[tuple[NodeSelectorTerm, int]]

    @classmethod
    def parse(cls, raw_terms: list[Any]) -> PreferredSchedulingTerms:
        """ValueError when a term does not parse (the pod is then not
        scored, as upstream fails PreScore)."""
        terms = []
        for raw in raw_terms:
            weight = int(raw.get("weight") or 0)
            preference = raw.get("preference") or {}
            if weight == 0 or is_empty_term(preference):
                continue
            term = NodeSelectorTerm.parse(preference)
            if not term.valid:
                raise ValueError("a preferred node affinity term does not parse")
            terms.append((term, weight))
        return cls(terms)

    def score(self, node: Mapping[str, Any]) -> int:
        return self.score_labels(node_labels(node), node_name(node))

    def score_labels(self, labels: Mapping[str, str], name: str) -> int:
        """`score` for a node with these labels and this name."""
        return sum(weight for term, weight in self.terms if term.matches(labels, name))
