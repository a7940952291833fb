"""Label and field selectors, as list and watch requests give them
(`?labelSelector=`, `?fieldSelector=`) and as objects carry them
(metav1.LabelSelector: matchLabels + matchExpressions).

Label selector syntax: comma-separated requirements, all of which must hold:
`key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`,
`key` (the label exists), `!key` (it does not), and `key>n`, `key<n` for
integer label values. `!=` and `notin` also match objects without the label.
Keys are qualified names (an optional DNS subdomain prefix and "/", then a
name of at most 63 characters); values are empty or up to 63 characters.

Field selector syntax: comma-separated `field=value`, `field==value` or
`field!=value`; in a value a backslash escapes a backslash, a comma or an "=".
A field the object lacks counts as the empty string.

Parsing errors are ValueErrors whose message says what is wrong; the API
server answers them with 400 Bad Request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubelite.api.validation import is_valid_label_key, is_valid_label_value


def _invalid(where: str, value: str, problems: list[str]) -> ValueError:
    return ValueError(f'{where}: Invalid value: "{value}": {"; ".join(problems)}')


# --- label selectors ---------------------------------------------------------

EQUALITY = ("=", "==", "!=")
SETS = ("in", "notin")
EXISTS = "exists"
DOES_NOT_EXIST = "!"
ORDERING = (">", "<")
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Requirement:
    """One condition on one label. `operator` is one of "=", "==", "!=",
    "in", "notin", "exists", "!" (does not exist), ">" and "<"; `values`
    are sorted and distinct."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        if self.operator in ("=", "==", "in"):
            return present and labels[self.key] in self.values
        if self.operator in ("!=", "notin"):
            return not present or labels[self.key] not in self.values
        if not present or not _INTEGER.fullmatch(labels[self.key]):
            return False
        have, bound = int(labels[self.key]), int(self.values[0])
        return have > bound if self.operator == ">" else have < bound

    def __str__(self) -> str:
        if self.operator == EXISTS:
            return self.key
        if self.operator == DOES_NOT_EXIST:
            return f"!{self.key}"
        if self.operator in SETS:
            return f"{self.key} {self.operator} ({','.join(self.values)})"
        return f"{self.key}{self.operator}{self.values[0]}"


def requirement(key: str, operator: str, values: Iterable[str] = ()) -> Requirement:
    """A validated requirement; ValueError says what is wrong with it."""
    values = sorted(set(values))
    problems = is_valid_label_key(key)
    if problems:
        raise _invalid("key", key, problems)
    if operator in SETS and not values:
        raise ValueError("for 'in', 'notin' operators, values set can't be empty")
    if operator in EQUALITY and len(values) != 1:
        raise ValueError("exact-match compatibility requires one single value")
    if operator in (EXISTS, DOES_NOT_EXIST) and values:
        raise ValueError("values set must be empty for exists and does not exist")
    if operator in ORDERING and (len(values) != 1 or not _INTEGER.fullmatch(values[0])):
        raise ValueError("for 'Gt', 'Lt' operators, exactly one value is required, an integer")
    for i, value in enumerate(values):
        problems = is_valid_label_value(value)
        if problems:
            raise _invalid(f"values[{i}][{key}]", value, problems)
    return Requirement(key, operator, tuple(values))


@dataclass(frozen=True)
class LabelSelector:
    """Requirements that must all hold, sorted by key; no requirements
    selects everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _selector(requirements: list[Requirement]) -> LabelSelector:
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


def matches(selector: LabelSelector, labels: Mapping[str, str] | None) -> bool:
    """Whether an object with these labels is selected."""
    return selector.matches(labels)


_SPECIAL = "=!(),<>"
_OPERATORS = ("==", "!=", "=", "!", "(", ")", ",", "<", ">")


def _lex(text: str) -> list[tuple[str, str]]:
    """Tokens as (kind, text): kind "id" for identifiers, "end" at the end,
    else the symbol itself."""
    tokens = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] in _SPECIAL:
            symbol = next(op for op in _OPERATORS if text.startswith(op, i))
            tokens.append((symbol, symbol))
            i += len(symbol)
            continue
        start = i
        while i < len(text) and not text[i].isspace() and text[i] not in _SPECIAL:
            i += 1
        tokens.append(("id", text[start:i]))
    tokens.append(("end", ""))
    return tokens


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.at = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at]

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> LabelSelector:
        found: list[Requirement] = []
        if self.peek()[0] == "end":
            return LabelSelector()
        while True:
            found.append(self.requirement())
            kind, text = self.take()
            if kind == "end":
                return _selector(found)
            if kind != ",":
                raise ValueError(f"found '{text}', expected: ',' or 'end of string'")
            kind, text = self.peek()
            if kind not in ("id", "!") or text in SETS:
                raise ValueError(f"found '{text}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        kind, text = self.take()
        if kind == "!":
            return requirement(self.key(), DOES_NOT_EXIST)
        if kind != "id" or text in SETS:
            raise ValueError(f"found '{text}', expected: !, identifier, or 'end of string'")
        key = text
        kind, text = self.peek()
        if kind in (",", "end"):
            return requirement(key, EXISTS)
        self.take()
        if kind == "id" and text in SETS:
            return requirement(key, text, self.value_set())
        if kind in EQUALITY or kind in ORDERING:
            return requirement(key, kind, [self.value()])
        raise ValueError(f"found '{text}', expected: in, notin, =, ==, !=, gt, lt")

    def key(self) -> str:
        kind, text = self.take()
        if kind != "id" or text in SETS:
            raise ValueError(f"found '{text}', expected: identifier")
        return text

    def value(self) -> str:
        kind, text = self.peek()
        if kind in (",", "end"):
            return ""
        if kind != "id":
            raise ValueError(f"found '{text}', expected: identifier")
        self.take()
        return text

    def value_set(self) -> list[str]:
        kind, text = self.take()
        if kind != "(":
            raise ValueError(f"found '{text}', expected: '('")
        values: list[str] = []
        current: str | None = None  # the value since the last comma
        while True:
            kind, text = self.take()
            if kind == "id" and current is None:
                current = text
            elif kind == ",":
                values.append(current or "")
                current = None
            elif kind == ")":
                if current is not None or values:
                    values.append(current or "")
                return values
            else:
                expected = "',' or ')'" if current is not None else "',', ')' or identifier"
                raise ValueError(f"found '{text}', expected: {expected}")


def parse_label_selector(text: str) -> LabelSelector:
    """Parse a label selector string; ValueError says what is wrong."""
    return _LabelParser(text).parse()


_EXPRESSION_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": EXISTS, "DoesNotExist": "!"}


def from_label_selector_object(obj: Mapping[str, Any]) -> LabelSelector:
    """The selector a metav1.LabelSelector dict describes. An empty one
    selects everything (a missing one, None, is the caller's to treat)."""
    if not isinstance(obj, Mapping):
        raise ValueError("a label selector must be an object")
    labels = obj.get("matchLabels") or {}
    expressions = obj.get("matchExpressions") or []
    if not isinstance(labels, Mapping) or not isinstance(expressions, list):
        raise ValueError("matchLabels must be a map and matchExpressions a list")
    found = []
    for key, value in labels.items():
        if not isinstance(value, str):
            raise ValueError(f"matchLabels[{key}]: the value must be a string")
        found.append(requirement(key, "=", [value]))
    for expression in expressions:
        if not isinstance(expression, Mapping):
            raise ValueError("each of matchExpressions must be an object")
        operator = expression.get("operator")
        if operator not in _EXPRESSION_OPERATORS:
            raise ValueError(f'"{operator}" is not a valid label selector operator')
        key, values = expression.get("key"), expression.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list) or not all(
            isinstance(v, str) for v in values
        ):
            raise ValueError("a match expression needs a string key and a list of string values")
        found.append(requirement(key, _EXPRESSION_OPERATORS[operator], values))
    return _selector(found)


def to_string(obj: Mapping[str, Any]) -> str:
    """A metav1.LabelSelector dict as the selector string Kubernetes shows,
    e.g. "app=nginx,tier in (a,b)"."""
    return str(from_label_selector_object(obj))


# --- field selectors ---------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    operator: str  # "=", "==" or "!="
    value: str

    def matches(self, get: Callable[[str], str | None]) -> bool:
        equal = (get(self.field) or "") == self.value
        return not equal if self.operator == "!=" else equal


@dataclass(frozen=True)
class FieldSelector:
    """Field requirements that must all hold; none selects everything."""

    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, get: Callable[[str], str | None]) -> bool:
        """`get(field)` gives the object's value of a field (None: absent)."""
        return all(r.matches(get) for r in self.requirements)

    def fields(self) -> set[str]:
        return {r.field for r in self.requirements}

    def required_value(self, field: str) -> str | None:
        """The value an equality requirement pins `field` to, if any."""
        return next((r.value for r in self.requirements
                     if r.field == field and r.operator != "!="), None)

    def empty(self) -> bool:
        return not self.requirements


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a field selector string; ValueError says what is wrong."""
    found = []
    for term in _split_terms(text):
        if not term:
            continue
        for i in range(len(term)):
            operator = next((op for op in ("!=", "==", "=") if term.startswith(op, i)), None)
            if operator is not None:
                value = _unescape(term[i + len(operator):])
                found.append(FieldRequirement(term[:i], operator, value))
                break
        else:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{term}'")
    return FieldSelector(tuple(found))


def _split_terms(text: str) -> list[str]:
    """Split at the commas that are not escaped by a backslash."""
    terms, start, escaped = [], 0, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _unescape(value: str) -> str:
    out = []
    escaped = False
    for c in value:
        if escaped:
            if c not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in ",=":
            raise ValueError(f"invalid field selector: unescaped character {c}")
        else:
            out.append(c)
    if escaped:
        raise ValueError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)
