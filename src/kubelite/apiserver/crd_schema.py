"""Custom resources' schemas at work: validation against a CRD version's
openAPIV3Schema, defaulting from its `default` values, and the JSONPath
subset additionalPrinterColumns use. Pure functions over plain dicts."""

from __future__ import annotations

import copy
import re
from typing import Any

from kubelite.api.resource import Cause

Obj = dict[str, Any]

_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
              dict: "object", type(None): "null"}


def _type_of(value: Any) -> str:
    return _JSON_TYPE.get(type(value), "unknown")


def _render(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_ok(value: Any, want: str) -> bool:
    got = _type_of(value)
    if want == "number":
        return got in ("number", "integer")
    if want == "integer" and isinstance(value, float):
        return value.is_integer()
    return got == want


def validate(value: Any, schema: Obj, path: str = "") -> list[Cause]:
    """Causes why `value` does not satisfy an OpenAPI v3 structural schema,
    worded as Kubernetes words them for custom resources."""
    causes: list[Cause] = []
    _validate(value, schema, path, causes)
    return causes


def _validate(value: Any, schema: Obj, path: str, causes: list[Cause]) -> None:
    where = path or "<root>"
    if value is None:
        if not schema.get("nullable") and schema.get("type"):
            causes.append(Cause("FieldValueInvalid",
                                f"Invalid value: \"null\": {where} in body must be of type "
                                f"{schema['type']}: \"null\"", where))
        return
    if schema.get("x-kubernetes-int-or-string"):
        if _type_of(value) not in ("integer", "string"):
            causes.append(Cause("FieldValueInvalid",
                                f"Invalid value: \"{_type_of(value)}\": {where} in body must be "
                                "of type integer,string: " + _render(_type_of(value)), where))
        return
    want = schema.get("type")
    if want and not _type_ok(value, want):
        causes.append(Cause("FieldValueInvalid",
                            f"Invalid value: \"{_type_of(value)}\": {where} in body must be of "
                            f"type {want}: \"{_type_of(value)}\"", where))
        return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(_render(v) for v in schema["enum"])
        causes.append(Cause("FieldValueNotSupported",
                            f"Unsupported value: {_render(value)}: supported values: {allowed}",
                            where))
    if isinstance(value, int | float) and not isinstance(value, bool):
        _bounds(value, schema, where, causes)
    if isinstance(value, str):
        _string(value, schema, where, causes)
    if isinstance(value, list):
        _array(value, schema, path, causes)
    if isinstance(value, dict):
        _object(value, schema, path, causes)
    for sub in schema.get("allOf", []):
        _validate(value, sub, path, causes)


def _bounds(value: float, schema: Obj, where: str, causes: list[Cause]) -> None:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None:
        if schema.get("exclusiveMinimum") and value <= low:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} "
                                f"in body should be greater than {_render(low)}", where))
        elif value < low:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} "
                                f"in body should be greater than or equal to {_render(low)}",
                                where))
    if high is not None:
        if schema.get("exclusiveMaximum") and value >= high:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} "
                                f"in body should be less than {_render(high)}", where))
        elif value > high:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} "
                                f"in body should be less than or equal to {_render(high)}",
                                where))


def _string(value: str, schema: Obj, where: str, causes: list[Cause]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} in "
                            f"body should be at least {schema['minLength']} chars long", where))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        causes.append(Cause("FieldValueTooLong", f"Too long: may not be more than "
                            f"{schema['maxLength']} bytes", where))
    pattern = schema.get("pattern")
    if pattern and not re.search(pattern, value):
        causes.append(Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {where} in "
                            f"body should match '{pattern}'", where))


def _array(value: list, schema: Obj, path: str, causes: list[Cause]) -> None:
    where = path or "<root>"
    if "minItems" in schema and len(value) < schema["minItems"]:
        causes.append(Cause("FieldValueInvalid", f"Invalid value: {len(value)}: {where} in body "
                            f"should have at least {schema['minItems']} items", where))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        causes.append(Cause("FieldValueTooMany", f"Too many: {len(value)}: must have at most "
                            f"{schema['maxItems']} items", where))
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _validate(item, items, f"{path}[{i}]", causes)


def _object(value: Obj, schema: Obj, path: str, causes: list[Cause]) -> None:
    props = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in value:
            causes.append(Cause("FieldValueRequired", "Required value",
                                f"{path}.{name}" if path else name))
    for key, sub in value.items():
        child = f"{path}.{key}" if path else key
        if key in props:
            _validate(sub, props[key], child, causes)
        elif isinstance(schema.get("additionalProperties"), dict):
            _validate(sub, schema["additionalProperties"], child, causes)


def apply_defaults(value: Any, schema: Obj) -> Any:
    """`value` with the schema's `default`s filled in where fields are
    missing, recursively (a structural schema's defaulting)."""
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = apply_defaults(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in props:
                    value[key] = apply_defaults(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(v, schema["items"]) for v in value]
    return value


_STEP = re.compile(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\['([^']*)'\]")


def json_path(obj: Any, path: str) -> Any:
    """Evaluate the simple JSONPath printer columns use: `.spec.a.b`,
    `.status.items[0].name`, `.metadata.labels['app']`. None if absent."""
    expr = path.strip()
    if expr.startswith("{") and expr.endswith("}"):
        expr = expr[1:-1]
    expr = expr.removeprefix("$")
    value = obj
    pos = 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if m is None:
            return None
        key, index, quoted = m.groups()
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                return None
            value = value[int(index)]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(key if key is not None else quoted)
        if value is None:
            return None
        pos = m.end()
    return value
