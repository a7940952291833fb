"""JSON patch (RFC 6902): a list of operations (add, remove, replace, move,
copy, test) addressed by JSON pointers (RFC 6901), applied in order to a
copy of the document; either every operation applies or the patch fails.

A patch that is not a list of objects is malformed (PatchError code 400).
Anything that goes wrong while applying it, including an unknown or
incomplete operation, is code 422, as Kubernetes answers: it only checks the
document's shape before applying it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from kubelite.apiserver.patch import PatchError, describe, json_equal

_BAD_ESCAPE = re.compile(r"~(?![01])")
_INDEX = re.compile(r"0|[1-9][0-9]*")


def apply(doc: Any, ops: Any) -> Any:
    """The document with every operation of `ops` applied, in order."""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise PatchError(
            "json: cannot unmarshal the patch: a JSON patch must be a list of operation objects",
            400,
        )
    doc = copy.deepcopy(doc)
    for op in ops:
        doc = _apply_one(doc, op)
    return doc


def _apply_one(doc: Any, op: dict[str, Any]) -> Any:
    kind = op.get("op")
    if kind not in ("add", "remove", "replace", "move", "copy", "test"):
        raise PatchError(f"unexpected kind: {describe(kind)}")
    path = _pointer(op, "path", kind)
    if kind == "remove":
        _take(doc, path)
        return doc
    if kind in ("move", "copy"):
        source = _pointer(op, "from", kind)
        return _move(doc, path, source) if kind == "move" else _copy(doc, path, source)
    if "value" not in op:
        raise PatchError(f"{kind} operation, missing value field")
    value = copy.deepcopy(op["value"])
    if kind == "add":
        return _add(doc, path, value)
    if kind == "replace":
        return _replace(doc, path, value)
    return _test(doc, path, value)


class _Pointer:
    """A parsed JSON pointer: its text (for messages) and its tokens."""

    def __init__(self, text: str, tokens: list[str], op: str) -> None:
        self.text = text
        self.tokens = tokens
        self.op = op

    def missing(self, what: str = "path") -> PatchError:
        return PatchError(
            f'{self.op} operation does not apply: doc is missing {what}: "{self.text}": '
            "missing value"
        )

    def bad_index(self, token: str) -> PatchError:
        return PatchError(
            f'{self.op} operation does not apply: unable to access invalid index: {token} '
            f'in path "{self.text}"'
        )


def _pointer(op: dict[str, Any], member: str, kind: str) -> _Pointer:
    text = op.get(member)
    if not isinstance(text, str):
        raise PatchError(f"{kind} operation failed to decode {member}")
    if text == "":
        return _Pointer(text, [], kind)
    if not text.startswith("/") or _BAD_ESCAPE.search(text):
        raise PatchError(f'{kind} operation has an invalid JSON pointer in "{member}": "{text}"')
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]
    return _Pointer(text, tokens, kind)


def _index(ptr: _Pointer, token: str, size: int, *, append: bool) -> int:
    """The list position `token` names; `append` allows "-" and `size`."""
    if append and token == "-":
        return size
    if not _INDEX.fullmatch(token):
        raise ptr.bad_index(token)
    i = int(token)
    if i > size or (i == size and not append):
        raise ptr.bad_index(token)
    return i


def _resolve(doc: Any, ptr: _Pointer, tokens: list[str], what: str = "path") -> Any:
    """The value at `tokens` (a prefix of the pointer's tokens)."""
    node = doc
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise ptr.missing(what)
            node = node[token]
        elif isinstance(node, list):
            if not _INDEX.fullmatch(token) or int(token) >= len(node):
                raise ptr.missing(what)
            node = node[int(token)]
        else:
            raise ptr.missing(what)
    return node


def _parent(doc: Any, ptr: _Pointer, what: str = "path") -> tuple[dict | list, str]:
    parent = _resolve(doc, ptr, ptr.tokens[:-1], what)
    if not isinstance(parent, dict | list):
        raise ptr.missing(what)
    return parent, ptr.tokens[-1]


def _add(doc: Any, ptr: _Pointer, value: Any) -> Any:
    if not ptr.tokens:
        return value
    parent, key = _parent(doc, ptr)
    if isinstance(parent, dict):
        parent[key] = value
    else:
        parent.insert(_index(ptr, key, len(parent), append=True), value)
    return doc


def _take(doc: Any, ptr: _Pointer, what: str = "path") -> Any:
    """Remove the value `ptr` names and return it."""
    if not ptr.tokens:
        raise PatchError(f"{ptr.op} operation does not apply: cannot remove the whole document")
    parent, key = _parent(doc, ptr, what)
    if isinstance(parent, dict):
        if key not in parent:
            raise ptr.missing(what)
        return parent.pop(key)
    return parent.pop(_index(ptr, key, len(parent), append=False))


def _replace(doc: Any, ptr: _Pointer, value: Any) -> Any:
    if not ptr.tokens:
        return value
    parent, key = _parent(doc, ptr)
    if isinstance(parent, dict):
        if key not in parent:
            raise ptr.missing()
        parent[key] = value
    else:
        parent[_index(ptr, key, len(parent), append=False)] = value
    return doc


def _move(doc: Any, ptr: _Pointer, source: _Pointer) -> Any:
    if ptr.tokens[: len(source.tokens)] == source.tokens and len(ptr.tokens) > len(
        source.tokens
    ):
        raise PatchError(
            f'move operation does not apply: "{source.text}" cannot be moved into one of '
            f'its children ("{ptr.text}")'
        )
    value = _take(doc, source, "from path")
    return _add(doc, ptr, value)


def _copy(doc: Any, ptr: _Pointer, source: _Pointer) -> Any:
    value = _resolve(doc, source, source.tokens, "from path")
    return _add(doc, ptr, copy.deepcopy(value))


def _test(doc: Any, ptr: _Pointer, value: Any) -> Any:
    if not json_equal(_resolve(doc, ptr, ptr.tokens), value):
        raise PatchError(f'testing value "{ptr.text}" failed: test failed')
    return doc

