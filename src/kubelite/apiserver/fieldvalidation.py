"""Decoding an object against its schema, as the API server's decoder does.

`check(obj, schema)` walks a JSON object along its OpenAPI schema and
returns a copy without the fields the schema does not declare, the paths of
those unknown fields, and the type errors found. The caller decides by the
request's fieldValidation: Strict refuses unknown fields, Warn (the
default) reports them in Warning headers, Ignore drops them silently;
type errors are always refused, as decoding into typed structs would fail.

Timestamps (meta/v1 Time and MicroTime) are decoded as Go decodes them and
kept in the one form Kubernetes writes them: UTC with a "Z", to the second
for Time and to the microsecond for MicroTime, which must be given with
exactly six fraction digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from kubelite.api.meta import MICRO_TIME, TIME
from kubelite.api.schema import REF_PREFIX, Schema, resolve

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


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))")
_LAYOUTS = {TIME: "2006-01-02T15:04:05Z07:00", MICRO_TIME: "2006-01-02T15:04:05.000000Z07:00"}


def canonical_time(text: str, micro: bool) -> str | None:
    """`text` as Kubernetes writes a Time (micro=False) or a MicroTime, or
    None where Go's parser refuses it."""
    m = _RFC3339.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone, sign, zh, zm = m.groups()
    if micro and (fraction is None or len(fraction) != 6):
        return None
    offset = timedelta(0) if zone == "Z" else (
        (1 if sign == "+" else -1) * timedelta(hours=int(zh), minutes=int(zm)))
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second), int((fraction or "0")[:6].ljust(6, "0")),
                          tzinfo=timezone(offset)).astimezone(UTC)
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def _time_kind(schema: Schema) -> str | None:
    """TIME or MICRO_TIME when the field's schema names one of them."""
    target = schema.get("$ref")
    if target is None and len(schema.get("allOf", ())) == 1:
        target = schema["allOf"][0].get("$ref")
    name = (target or "").removeprefix(REF_PREFIX)
    return name if name in _LAYOUTS else None


def _walk(value: Any, schema: Schema, path: str, out: Decoded) -> Any:
    if value is None:
        return None  # null reads as "unset" for every field, as in the typed decoder
    kind_of_time = _time_kind(schema)
    if kind_of_time is not None:
        return _walk_time(value, kind_of_time, path, out)
    schema = resolve(schema)
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


def _walk_time(value: Any, kind: str, path: str, out: Decoded) -> Any:
    if not isinstance(value, str):
        _type_error(out, path, value, "string")
        return value
    canonical = canonical_time(value, micro=kind == MICRO_TIME)
    if canonical is None:
        out.type_errors.append(f'{path or "."}: parsing time "{value}" as "{_LAYOUTS[kind]}"')
        return value
    return canonical


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
