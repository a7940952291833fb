"""The Swagger 2.0 document in gnostic's openapi.v2 protobuf form.

kubectl (1.27 and older code paths of later ones) asks for /openapi/v2 as
`application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and parses the
answer with gnostic's messages: to learn whether a kind's PATCH operation
takes the `fieldValidation` query parameter (server-side validation), to
explain fields, and to find the strategic-merge keys for `kubectl apply`.
`encode` turns the JSON-shaped document that `openapi.OpenAPI.v2_document`
builds into those bytes.

Maps become repeated name/value pairs in document order, and every "x-..."
key becomes a NamedAny holding its value as YAML text, as gnostic keeps
vendor extensions. Schemas are reduced to what Swagger 2.0 can say, the way
Kubernetes' own v2 document says it: a `$ref` wrapped in a one-element
`allOf` (how OpenAPI v3 gives a reference a description) becomes a plain
`$ref` beside the description; anyOf/oneOf, which Swagger 2.0 lacks, are
dropped, an int-or-string becoming `type: string, format: int-or-string`
and any other choice of primitive types taking the first type.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
import yaml
from google.protobuf.message import Message

from kubelite.apiserver.openapiv2pb import OpenAPIv2_pb2 as pb

Obj = dict[str, Any]

# kubectl asks for "...spec.v2@v1.0+protobuf"; the answer is labelled with the
# form Go's media-type parser accepts (no "@"), as Kubernetes labels it.
ACCEPT_PREFIX = "application/com.github.proto-openapi.spec.v2"
CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_NON_BODY = {
    "query": "query_parameter_sub_schema",
    "path": "path_parameter_sub_schema",
    "header": "header_parameter_sub_schema",
}
_PRIMITIVES = {"string", "integer", "number", "boolean"}


def encode(doc: Obj) -> bytes:
    """The serialized openapi.v2.Document for a Swagger 2.0 document."""
    return document(doc).SerializeToString()


@functools.lru_cache(maxsize=1)
def encode_json(data: bytes) -> bytes:
    """`encode` of a document given as JSON bytes, remembered for the last
    document (the API server hands in the same cached bytes every time)."""
    return encode(orjson.loads(data))


def document(doc: Obj) -> pb.Document:
    out = pb.Document()
    _scalars(out, doc)
    if "info" in doc:
        _scalars(out.info, doc["info"])
        out.info.vendor_extension.extend(_extensions(doc["info"]))
    for path, item in doc.get("paths", {}).items():
        if path.startswith("x-"):
            out.paths.vendor_extension.append(_named_any(path, item))
        else:
            out.paths.path.append(pb.NamedPathItem(name=path, value=_path_item(item)))
    for name, schema in doc.get("definitions", {}).items():
        out.definitions.additional_properties.append(
            pb.NamedSchema(name=name, value=_schema(schema))
        )
    out.vendor_extension.extend(_extensions(doc))
    return out


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key).replace("$", "_")


def _scalars(msg: Message, obj: Obj) -> None:
    """Copies the keys of `obj` that name a scalar (or repeated scalar) field
    of `msg`, camelCase keys matching snake_case fields ($ref -> _ref)."""
    fields = msg.DESCRIPTOR.fields_by_name
    for key, value in obj.items():
        field = fields.get(_snake(key))
        if field is None or field.message_type is not None:
            continue
        if field.is_repeated:
            getattr(msg, field.name).extend(value)
        else:
            setattr(msg, field.name, value)


def _yaml(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, allow_unicode=True)
    return text.removesuffix("...\n")


def _any(value: Any) -> pb.Any:
    return pb.Any(yaml=_yaml(value))


def _named_any(name: str, value: Any) -> pb.NamedAny:
    return pb.NamedAny(name=name, value=_any(value))


def _extensions(obj: Obj) -> list[pb.NamedAny]:
    return [_named_any(k, v) for k, v in obj.items() if k.startswith("x-")]


def _path_item(item: Obj) -> pb.PathItem:
    out = pb.PathItem()
    _scalars(out, item)
    for method in _METHODS:
        if method in item:
            getattr(out, method).CopyFrom(_operation(item[method]))
    out.parameters.extend(_parameter(p) for p in item.get("parameters", ()))
    out.vendor_extension.extend(_extensions(item))
    return out


def _operation(op: Obj) -> pb.Operation:
    out = pb.Operation()
    _scalars(out, op)
    out.parameters.extend(_parameter(p) for p in op.get("parameters", ()))
    for code, response in op.get("responses", {}).items():
        if code.startswith("x-"):
            out.responses.vendor_extension.append(_named_any(code, response))
        else:
            out.responses.response_code.append(
                pb.NamedResponseValue(name=str(code), value=_response(response))
            )
    out.vendor_extension.extend(_extensions(op))
    return out


def _reference(obj: Obj) -> pb.JsonReference:
    return pb.JsonReference(_ref=obj["$ref"], description=obj.get("description", ""))


def _response(response: Obj) -> pb.ResponseValue:
    if "$ref" in response:
        return pb.ResponseValue(json_reference=_reference(response))
    out = pb.Response(description=response.get("description", ""))
    if "schema" in response:
        out.schema.schema.CopyFrom(_schema(response["schema"]))
    out.vendor_extension.extend(_extensions(response))
    return pb.ResponseValue(response=out)


def _parameter(param: Obj) -> pb.ParametersItem:
    if "$ref" in param:
        return pb.ParametersItem(json_reference=_reference(param))
    where = param.get("in")
    if where == "body":
        body = pb.BodyParameter()
        _scalars(body, param)
        body.schema.CopyFrom(_schema(param.get("schema", {})))
        body.vendor_extension.extend(_extensions(param))
        return pb.ParametersItem(parameter=pb.Parameter(body_parameter=body))
    if where not in _NON_BODY:
        raise ValueError(f"parameter {param.get('name')!r}: unsupported location {where!r}")
    non_body = pb.NonBodyParameter()
    sub = getattr(non_body, _NON_BODY[where])
    _scalars(sub, param)
    if "default" in param:
        sub.default.CopyFrom(_any(param["default"]))
    sub.enum.extend(_any(v) for v in param.get("enum", ()))
    sub.vendor_extension.extend(_extensions(param))
    return pb.ParametersItem(parameter=pb.Parameter(non_body_parameter=non_body))


def _swagger2(schema: Obj) -> Obj:
    """The schema restated in what Swagger 2.0 (and kubectl) understands."""
    out = dict(schema)
    all_of = out.get("allOf")
    if "$ref" not in out and isinstance(all_of, list) and len(all_of) == 1 \
            and set(all_of[0]) == {"$ref"}:
        del out["allOf"]
        out["$ref"] = all_of[0]["$ref"]
    choices = out.pop("anyOf", None) or out.pop("oneOf", None)
    if choices and "type" not in out and "$ref" not in out:
        if out.get("x-kubernetes-int-or-string"):
            out["type"], out["format"] = "string", "int-or-string"
        else:
            types = [c.get("type") for c in choices]
            if all(t in _PRIMITIVES for t in types):
                out["type"] = types[0]
    return out


def _schema(schema: Obj) -> pb.Schema:
    schema = _swagger2(schema)
    out = pb.Schema()
    _scalars(out, schema)
    kind = schema.get("type")
    if kind:
        out.type.value.extend([kind] if isinstance(kind, str) else kind)
    items = schema.get("items")
    if isinstance(items, dict):
        out.items.schema.append(_schema(items))
    elif isinstance(items, list):
        out.items.schema.extend(_schema(s) for s in items)
    extra = schema.get("additionalProperties")
    if isinstance(extra, bool):
        out.additional_properties.boolean = extra
    elif isinstance(extra, dict):
        out.additional_properties.schema.CopyFrom(_schema(extra))
    out.all_of.extend(_schema(s) for s in schema.get("allOf", ()))
    if "properties" in schema:
        out.properties.SetInParent()
        out.properties.additional_properties.extend(
            pb.NamedSchema(name=name, value=_schema(s))
            for name, s in schema["properties"].items()
        )
    out.enum.extend(_any(v) for v in schema.get("enum", ()))
    for key in ("default", "example"):
        if key in schema:
            getattr(out, key).CopyFrom(_any(schema[key]))
    out.vendor_extension.extend(_extensions(schema))
    return out
