"""A small vocabulary for declaring object schemas as OpenAPI v3 dicts.

Every named schema ("definition") is registered under the name Kubernetes
gives it (e.g. "io.k8s.api.core.v1.Pod"), because clients such as kubectl
look definitions up by that name and by the group/version/kind extension.
References between definitions use `ref(name)`; `resolve` follows them.

The helpers return plain dicts in OpenAPI v3 form; `openapi` in the API
server turns the registry into the v3 and v2 documents it serves. List
fields carry the strategic-merge-patch facts Kubernetes declares
(`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`) and the
list-type facts (`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

REF_PREFIX = "#/components/schemas/"

# name -> schema; filled by the declaration modules as they are imported.
DEFINITIONS: dict[str, Schema] = {}


def define(
    name: str,
    schema: Schema,
    *,
    gvk: tuple[str, str, str] | list[tuple[str, str, str]] | None = None,
) -> Schema:
    """Register a named schema. `gvk` (group, version, kind), one or several,
    marks a top-level kind, as the x-kubernetes-group-version-kind extension
    does."""
    if name in DEFINITIONS:
        raise ValueError(f"schema {name} is defined twice")
    if gvk is not None:
        kinds = [gvk] if isinstance(gvk, tuple) else gvk
        schema["x-kubernetes-group-version-kind"] = [
            {"group": g, "version": v, "kind": k} for g, v, k in kinds
        ]
    DEFINITIONS[name] = schema
    return schema


def _describe(schema: Schema, description: str) -> Schema:
    if description:
        schema["description"] = description
    return schema


def string(description: str = "", *, enum: list[str] | None = None, format: str = "") -> Schema:
    s: Schema = {"type": "string"}
    if enum:
        s["enum"] = list(enum)
    if format:
        s["format"] = format
    return _describe(s, description)


def integer(description: str = "", *, format: str = "int32") -> Schema:
    return _describe({"type": "integer", "format": format}, description)


def number(description: str = "", *, format: str = "double") -> Schema:
    return _describe({"type": "number", "format": format}, description)


def boolean(description: str = "") -> Schema:
    return _describe({"type": "boolean"}, description)


def ref(name: str, description: str = "") -> Schema:
    """A field whose value is the named definition. With a description the
    reference is wrapped in allOf, as OpenAPI v3 requires for siblings."""
    if description:
        return {"allOf": [{"$ref": REF_PREFIX + name}], "description": description}
    return {"$ref": REF_PREFIX + name}


def array(
    items: Schema,
    description: str = "",
    *,
    merge_key: str = "",
    strategy: str = "",
    list_type: str = "",
    map_keys: tuple[str, ...] = (),
) -> Schema:
    """A list. `merge_key`/`strategy` are the strategic-merge-patch facts
    ("merge", "replace", "retainKeys", "merge,retainKeys"); `list_type` is
    "atomic", "set" or "map" (with `map_keys`)."""
    s: Schema = {"type": "array", "items": items}
    if merge_key:
        s["x-kubernetes-patch-merge-key"] = merge_key
    if strategy:
        s["x-kubernetes-patch-strategy"] = strategy
    if list_type:
        s["x-kubernetes-list-type"] = list_type
    if map_keys:
        s["x-kubernetes-list-map-keys"] = list(map_keys)
    return _describe(s, description)


def map_of(values: Schema, description: str = "") -> Schema:
    return _describe({"type": "object", "additionalProperties": values}, description)


def obj(
    description: str,
    properties: dict[str, Schema],
    *,
    required: tuple[str, ...] = (),
    strategy: str = "",
) -> Schema:
    """An object with exactly these fields (strict validation refuses others)."""
    s: Schema = {"type": "object", "properties": properties}
    if required:
        s["required"] = list(required)
    if strategy:
        s["x-kubernetes-patch-strategy"] = strategy
    return _describe(s, description)


def int_or_string(description: str = "") -> Schema:
    return _describe(
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        description,
    )


def free_form(description: str = "") -> Schema:
    """Any JSON object, kept as given (x-kubernetes-preserve-unknown-fields)."""
    return _describe({"type": "object", "x-kubernetes-preserve-unknown-fields": True}, description)


def resolve(schema: Schema) -> Schema:
    """The schema itself, or the definition a $ref (or allOf of one) names."""
    while True:
        target = schema.get("$ref")
        if target is None and len(schema.get("allOf", ())) == 1:
            target = schema["allOf"][0].get("$ref")
        if target is None:
            return schema
        schema = DEFINITIONS[target.removeprefix(REF_PREFIX)]


def field(schema: Schema, name: str) -> Schema | None:
    """The schema of field `name` of an object schema, resolved; None if the
    object has no such field (or accepts any field)."""
    props = resolve(schema).get("properties")
    if props is None or name not in props:
        return None
    return props[name]
