"""JSONSchemaProps: the OpenAPI v3 schema dialect CustomResourceDefinitions
describe their objects in, and the rules that make such a schema
"structural" (every field typed, no array-form items, ...), which
apiextensions.k8s.io/v1 requires so that the server can validate, prune
and default custom objects.

The fields whose value may take several shapes (`items`: a schema or a
list of them; `additionalProperties`: a schema or a boolean; `default`,
`enum`, `example`: any JSON) are declared, as Kubernetes declares them, as
definitions without a type, so any value decodes; `validate_structural`
checks what matters about them.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import validation as v
from kubelite.api.meta import strings
from kubelite.api.resource import Cause, Obj
from kubelite.api.schema import (
    Schema,
    array,
    boolean,
    define,
    integer,
    map_of,
    number,
    obj,
    ref,
    string,
)

APIEXTENSIONS = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
JSON_SCHEMA_PROPS = APIEXTENSIONS + "JSONSchemaProps"
TYPES = ("array", "boolean", "integer", "number", "object", "string")
LIST_TYPES = ("atomic", "map", "set")
MAP_TYPES = ("atomic", "granular")
RULE_REASONS = ("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                "FieldValueRequired")
# Parts of JSON Schema that v1 CustomResourceDefinitions may not use.
UNSUPPORTED = ("id", "$schema", "$ref", "definitions", "dependencies", "additionalItems",
               "patternProperties")


def _any(name: str, description: str) -> str:
    define(APIEXTENSIONS + name, {"description": description})
    return APIEXTENSIONS + name


JSON = _any("JSON", "Any JSON value: object, array, string, number, boolean or null.")
OR_ARRAY = _any("JSONSchemaPropsOrArray", "A schema, or a list of schemas.")
OR_BOOL = _any("JSONSchemaPropsOrBool", "A schema, or a boolean (true allows anything, "
                                        "false nothing).")
OR_STRING_ARRAY = _any("JSONSchemaPropsOrStringArray", "A schema, or a list of property "
                                                       "names.")


def _schema(description: str) -> Schema:
    return ref(JSON_SCHEMA_PROPS, description)


def _schemas(description: str) -> Schema:
    return array(_schema(""), description, list_type="atomic")


define(APIEXTENSIONS + "ExternalDocumentation", obj(
    "A link to more documentation.",
    {"description": string("What the link is about."), "url": string("The link.")},
))

define(APIEXTENSIONS + "ValidationRule", obj(
    "A CEL expression a value must satisfy (self is the value, oldSelf the "
    "previous one on update).",
    {
        "rule": string("The CEL expression, e.g. \"self.minReplicas <= "
                       "self.replicas\"."),
        "message": string("The error shown when the rule fails."),
        "messageExpression": string("A CEL expression giving the error message."),
        "reason": string("The cause reason reported when the rule fails; "
                         "FieldValueInvalid by default.", enum=list(RULE_REASONS)),
        "fieldPath": string("The field the failure is reported on, relative to this "
                            "value, e.g. .spec.replicas."),
        "optionalOldSelf": boolean("Evaluate the rule on create too, with oldSelf "
                                   "absent."),
    },
    required=("rule",),
))

define(JSON_SCHEMA_PROPS, obj(
    "A JSON Schema (OpenAPI v3 flavour) with Kubernetes' extensions.",
    {
        "id": string("Not supported in CustomResourceDefinitions."),
        "$schema": string("Not supported in CustomResourceDefinitions."),
        "$ref": string("Not supported in CustomResourceDefinitions."),
        "description": string("What the value means."),
        "type": string("object, array, string, integer, number or boolean.",
                       enum=list(TYPES)),
        "format": string("A refinement of the type: int32, int64, float, double, byte, "
                         "date, date-time, password, uri, email, ..."),
        "title": string("A short title."),
        "default": ref(JSON, "The value used when the field is missing (structural "
                             "schemas only)."),
        "maximum": number("The largest number allowed."),
        "exclusiveMaximum": boolean("Whether maximum itself is excluded."),
        "minimum": number("The smallest number allowed."),
        "exclusiveMinimum": boolean("Whether minimum itself is excluded."),
        "maxLength": integer("The longest string allowed.", format="int64"),
        "minLength": integer("The shortest string allowed.", format="int64"),
        "pattern": string("A regular expression strings must match."),
        "maxItems": integer("The most items an array may have.", format="int64"),
        "minItems": integer("The fewest items an array may have.", format="int64"),
        "uniqueItems": boolean("Not supported: use x-kubernetes-list-type set or map."),
        "multipleOf": number("Numbers must be a multiple of this."),
        "enum": array(ref(JSON), "The values allowed.", list_type="atomic"),
        "maxProperties": integer("The most properties an object may have.",
                                 format="int64"),
        "minProperties": integer("The fewest properties an object may have.",
                                 format="int64"),
        "required": strings("Properties that must be present."),
        "items": ref(OR_ARRAY, "The schema of the items of an array."),
        "allOf": _schemas("Schemas the value must all satisfy."),
        "oneOf": _schemas("Schemas exactly one of which the value must satisfy."),
        "anyOf": _schemas("Schemas at least one of which the value must satisfy."),
        "not": _schema("A schema the value must not satisfy."),
        "properties": map_of(_schema(""), "The schemas of an object's known fields."),
        "additionalProperties": ref(OR_BOOL, "The schema of an object's other fields "
                                             "(a map's values)."),
        "patternProperties": map_of(_schema(""), "Not supported in "
                                                 "CustomResourceDefinitions."),
        "dependencies": map_of(ref(OR_STRING_ARRAY), "Not supported in "
                                                     "CustomResourceDefinitions."),
        "additionalItems": ref(OR_BOOL, "Not supported in CustomResourceDefinitions."),
        "definitions": map_of(_schema(""), "Not supported in CustomResourceDefinitions."),
        "externalDocs": ref(APIEXTENSIONS + "ExternalDocumentation",
                            "Where to read more."),
        "example": ref(JSON, "An example value."),
        "nullable": boolean("Whether null is allowed (and kept rather than pruned)."),
        "x-kubernetes-preserve-unknown-fields": boolean(
            "Keep fields the schema does not declare instead of pruning them."),
        "x-kubernetes-embedded-resource": boolean(
            "The value is a whole object with apiVersion, kind and metadata."),
        "x-kubernetes-int-or-string": boolean("The value is an integer or a string."),
        "x-kubernetes-list-map-keys": strings("With list type map, the fields that "
                                              "identify an item."),
        "x-kubernetes-list-type": string(
            "How apply merges the list: atomic (replaced whole), set (unique scalars) or "
            "map (items identified by x-kubernetes-list-map-keys).",
            enum=list(LIST_TYPES)),
        "x-kubernetes-map-type": string("How apply merges the object: granular (field by "
                                        "field) or atomic (replaced whole).",
                                        enum=list(MAP_TYPES)),
        "x-kubernetes-validations": array(
            ref(APIEXTENSIONS + "ValidationRule"), "CEL rules the value must satisfy.",
            merge_key="rule", strategy="merge", list_type="map", map_keys=("rule",)),
    },
))


def _kubernetes_typed(schema: Obj) -> bool:
    """A value whose type the Kubernetes extensions fix without `type`."""
    return bool(schema.get("x-kubernetes-int-or-string")
                or schema.get("x-kubernetes-preserve-unknown-fields"))


def _check_list_type(schema: Obj, path: str) -> list[Cause]:
    list_type = schema.get("x-kubernetes-list-type")
    keys = schema.get("x-kubernetes-list-map-keys") or []
    causes: list[Cause] = []
    if list_type is not None:
        at = f"{path}.x-kubernetes-list-type"
        if list_type not in LIST_TYPES:
            causes.append(v.not_supported(at, list_type, LIST_TYPES))
        elif schema.get("type") != "array":
            causes.append(v.invalid(at, list_type, "must only be used on type=array"))
        if list_type == "map" and not keys:
            causes.append(v.required(f"{path}.x-kubernetes-list-map-keys",
                                     "must not be empty if x-kubernetes-list-type is map"))
    if keys and list_type != "map":
        causes.append(v.forbidden(f"{path}.x-kubernetes-list-map-keys",
                                  "must be empty if x-kubernetes-list-type is not map"))
    map_type = schema.get("x-kubernetes-map-type")
    if map_type is not None and map_type not in MAP_TYPES:
        causes.append(v.not_supported(f"{path}.x-kubernetes-map-type", map_type, MAP_TYPES))
    return causes


def _check_node(schema: Obj, path: str) -> list[Cause]:
    """The rules on one schema node, whatever its place."""
    causes = [v.forbidden(f"{path}.{key}", f"{key} is not supported")
              for key in UNSUPPORTED if schema.get(key)]
    kind = schema.get("type")
    if kind and kind not in TYPES:
        causes.append(v.not_supported(f"{path}.type", kind, TYPES))
    if schema.get("uniqueItems") is True:
        causes.append(v.forbidden(f"{path}.uniqueItems", "uniqueItems cannot be set to true "
                                  "since the runtime complexity becomes quadratic"))
    if schema.get("x-kubernetes-preserve-unknown-fields") is False:
        causes.append(v.invalid(f"{path}.x-kubernetes-preserve-unknown-fields", False,
                                "must be true or undefined"))
    if "properties" in schema and schema.get("additionalProperties") not in (None, True):
        causes.append(v.forbidden(f"{path}.additionalProperties",
                                  "additionalProperties and properties are mutual exclusive"))
    if isinstance(schema.get("items"), list):
        causes.append(v.forbidden(f"{path}.items",
                                  "items must be a schema object and not an array"))
    if kind == "array" and schema.get("items") is None:
        causes.append(v.required(f"{path}.items", "must be specified"))
    for i, rule in enumerate(schema.get("x-kubernetes-validations") or []):
        if not (rule or {}).get("rule"):
            causes.append(v.required(f"{path}.x-kubernetes-validations[{i}].rule"))
    return causes + _check_list_type(schema, path)


def _children(schema: Obj, path: str) -> list[tuple[Any, str, str]]:
    """(child schema, its path, what it is) for every nested schema."""
    out: list[tuple[Any, str, str]] = [
        (sub, f"{path}.properties[{name}]", "object fields")
        for name, sub in (schema.get("properties") or {}).items()
    ]
    if schema.get("items") is not None and not isinstance(schema["items"], list):
        out.append((schema["items"], f"{path}.items", "array items"))
    if isinstance(schema.get("additionalProperties"), dict):
        out.append((schema["additionalProperties"], f"{path}.additionalProperties",
                    "object fields"))
    for key in ("allOf", "anyOf", "oneOf"):
        out += [(sub, f"{path}.{key}[{i}]", "") for i, sub in enumerate(schema.get(key) or [])]
    if isinstance(schema.get("not"), dict):
        out.append((schema["not"], f"{path}.not", ""))
    return out


def _walk(schema: Any, path: str, specified: str) -> list[Cause]:
    if not isinstance(schema, dict):
        return [v.invalid(path, schema, "must be a schema object")]
    causes = _check_node(schema, path)
    if specified and not schema.get("type") and not _kubernetes_typed(schema):
        causes.append(v.required(f"{path}.type", f"must not be empty for specified "
                                                 f"{specified}"))
    for sub, sub_path, what in _children(schema, path):
        causes += _walk(sub, sub_path, what)
    return causes


def validate_structural(schema: Obj, path: str) -> list[Cause]:
    """Whether a CustomResourceDefinition version's openAPIV3Schema is
    structural: an object at the root, a type on every field, items a
    single schema, and none of the JSON Schema parts Kubernetes refuses."""
    causes = _walk(schema, path, "")
    kind = schema.get("type")
    if not kind:
        causes.append(v.required(f"{path}.type", "must not be empty at the root"))
    elif kind != "object":
        causes.append(v.invalid(f"{path}.type", kind, "must be object at the root"))
    return causes
