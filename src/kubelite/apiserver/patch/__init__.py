"""Applying the three patch formats the API server accepts: JSON patch
(RFC 6902, `json_patch`), JSON merge patch (RFC 7386, `merge_patch`) and
Kubernetes strategic merge patch (`strategic`).

All three are pure functions of plain JSON values that never mutate their
inputs. A patch that is malformed or cannot be applied raises `PatchError`,
whose `code` is the HTTP status the API server answers with: 400 for a
malformed patch document, 422 for a well-formed patch that does not apply
to the object.
"""

from __future__ import annotations

import json
from typing import Any


class PatchError(Exception):
    def __init__(self, message: str, code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: numbers compare by value, but booleans are
    not numbers (Python's True == 1 must not leak through)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def identity(value: Any) -> str:
    """A hashable stand-in for a JSON value, equal for values that are
    `json_equal` (integral floats are written as integers)."""
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def describe(value: Any) -> str:
    """A value as it appears in error messages: compact JSON."""
    return json.dumps(value, separators=(",", ":"), default=str)
