"""Decoding an object against its schema, as the API server's decoder does.

`check(obj, schema)` walks a JSON object along its OpenAPI schema and
returns a copy without the fields the schema does not declare, the paths of
those unknown fields, and the type errors found. The caller decides by the
request's fieldValidation: Strict refuses unknown fields, Warn (the
default) reports them in Warning headers, Ignore drops them silently;
type errors are always refused, as decoding into typed structs would fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.api.schema import Schema, resolve

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "bool",
    int: "number",
    float: "number",
    type(None): "null",
}


@dataclass
class Decoded:
    obj: Any
    unknown: list[str] = field(default_factory=list)
    type_errors: list[str] = field(default_factory=list)


def check(obj: Any, schema: Schema) -> Decoded:
    out = Decoded(None)
    out.obj = _walk(obj, schema, "", out)
    return out


def _type_error(out: Decoded, path: str, value: Any, want: str) -> None:
    got = _JSON_TYPES.get(type(value), type(value).__name__)
    out.type_errors.append(f"{path or '.'}: expected {want}, got {got}")


def _walk(value: Any, schema: Schema, path: str, out: Decoded) -> Any:
    schema = resolve(schema)
    if value is None:
        return None  # null reads as "unset" for every field, as in the typed decoder
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            _type_error(out, path, value, "integer or string")
        return value
    kind = schema.get("type")
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        if not isinstance(value, dict):
            _type_error(out, path, value, "object")
            return value
        return _walk_object(value, schema, path, out)
    if kind == "array":
        if not isinstance(value, list):
            _type_error(out, path, value, "array")
            return value
        items = schema.get("items", {})
        return [_walk(v, items, f"{path}[{i}]", out) for i, v in enumerate(value)]
    if kind == "string":
        if not isinstance(value, str):
            _type_error(out, path, value, "string")
    elif kind == "integer":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            _type_error(out, path, value, "integer")
        elif isinstance(value, float):
            return int(value)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            _type_error(out, path, value, "number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            _type_error(out, path, value, "boolean")
    return value


def _walk_object(value: dict, schema: Schema, path: str, out: Decoded) -> dict:
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return value
    props = schema.get("properties")
    extra = schema.get("additionalProperties")
    result: dict[str, Any] = {}
    for key, sub in value.items():
        sub_path = f"{path}.{key}" if path else key
        if props is not None and key in props:
            result[key] = _walk(sub, props[key], sub_path, out)
        elif isinstance(extra, dict):
            result[key] = _walk(sub, extra, sub_path, out)
        elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
            result[key] = sub
        elif props is None and extra is None:
            result[key] = sub  # an object the schema leaves open
        else:
            out.unknown.append(sub_path)
    return result
