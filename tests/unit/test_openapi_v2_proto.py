"""The v2 document as gnostic protobuf: encoded, parsed back with the
generated classes, and checked for what kubectl reads from it."""

from __future__ import annotations

import orjson
import pytest
import yaml

import kubelite.api.all  # noqa: F401  (fills the registry and the definitions)
from kubelite.api.resource import REGISTRY
from kubelite.apiserver import openapi_v2_proto
from kubelite.apiserver.openapi import OpenAPI
from kubelite.apiserver.openapiv2pb import OpenAPIv2_pb2 as pb

PRIMITIVES = {"string", "integer", "number", "boolean"}


@pytest.fixture(scope="module")
def document() -> bytes:
    return OpenAPI(REGISTRY.values()).v2_document()


@pytest.fixture(scope="module")
def parsed(document: bytes) -> pb.Document:
    return pb.Document.FromString(openapi_v2_proto.encode_json(document))


def extensions(named: list[pb.NamedAny]) -> dict:
    return {n.name: yaml.safe_load(n.value.yaml) for n in named}


def path_item(doc: pb.Document, name: str) -> pb.PathItem:
    [item] = [p.value for p in doc.paths.path if p.name == name]
    return item


def definition(doc: pb.Document, name: str) -> pb.Schema:
    [schema] = [d.value for d in doc.definitions.additional_properties if d.name == name]
    return schema


def prop(schema: pb.Schema, name: str) -> pb.Schema:
    [value] = [p.value for p in schema.properties.additional_properties if p.name == name]
    return value


def test_paths_and_definitions_keep_their_order(document, parsed):
    doc = orjson.loads(document)
    assert [p.name for p in parsed.paths.path] == list(doc["paths"])
    assert [d.name for d in parsed.definitions.additional_properties] == list(doc["definitions"])


def test_patch_operation_advertises_field_validation(parsed):
    patch = path_item(parsed, "/api/v1/namespaces/{namespace}/configmaps/{name}").patch
    ext = extensions(patch.vendor_extension)
    assert ext["x-kubernetes-group-version-kind"] == {
        "group": "", "version": "v1", "kind": "ConfigMap"}
    assert ext["x-kubernetes-action"] == "patch"
    query = [p.parameter.non_body_parameter.query_parameter_sub_schema
             for p in patch.parameters if p.parameter.HasField("non_body_parameter")]
    [field_validation] = [q for q in query if q.name == "fieldValidation"]
    assert getattr(field_validation, "in") == "query"
    assert field_validation.type == "string"
    [body] = [p.parameter.body_parameter for p in patch.parameters
              if p.parameter.HasField("body_parameter")]
    assert body.required and list(body.schema.type.value) == ["object"]


def test_path_parameters_and_responses(parsed):
    item = path_item(parsed, "/api/v1/namespaces/{namespace}/configmaps/{name}")
    params = [p.parameter.non_body_parameter.path_parameter_sub_schema for p in item.parameters]
    assert [(p.name, p.required, p.type) for p in params] == [
        ("namespace", True, "string"), ("name", True, "string")]
    [ok] = item.get.responses.response_code
    assert ok.name == "200"
    assert ok.value.response.schema.schema._ref == "#/definitions/io.k8s.api.core.v1.ConfigMap"


def test_definitions_keep_merge_keys_and_kinds(parsed):
    spec = definition(parsed, "io.k8s.api.core.v1.PodSpec")
    containers = prop(spec, "containers")
    assert list(containers.type.value) == ["array"]
    assert extensions(containers.vendor_extension)["x-kubernetes-patch-merge-key"] == "name"
    assert extensions(containers.vendor_extension)["x-kubernetes-patch-strategy"] == "merge"
    assert containers.items.schema[0]._ref == "#/definitions/io.k8s.api.core.v1.Container"
    configmap = definition(parsed, "io.k8s.api.core.v1.ConfigMap")
    assert extensions(configmap.vendor_extension)["x-kubernetes-group-version-kind"] == [
        {"group": "", "version": "v1", "kind": "ConfigMap"}]
    data = prop(configmap, "data")
    assert list(data.additional_properties.schema.type.value) == ["string"]


def test_v3_only_shapes_become_swagger2(parsed):
    metadata = prop(definition(parsed, "io.k8s.api.core.v1.ConfigMap"), "metadata")
    assert metadata._ref == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert metadata.description and not metadata.all_of
    int_or_string = definition(parsed, "io.k8s.apimachinery.pkg.util.intstr.IntOrString")
    assert list(int_or_string.type.value) == ["string"]
    assert int_or_string.format == "int-or-string"
    quantity = definition(parsed, "io.k8s.apimachinery.pkg.api.resource.Quantity")
    assert list(quantity.type.value) == ["string"]


def test_every_definition_is_one_kubectl_can_walk(parsed):
    """The shapes kubectl's OpenAPI v2 model parser accepts: a reference has
    no type or properties of its own and names a definition; an array has one
    items schema; at most one type, a known one."""
    names = {d.name for d in parsed.definitions.additional_properties}

    def walk(schema: pb.Schema, where: str) -> None:
        types = list(schema.type.value)
        assert len(types) <= 1, where
        if schema._ref:
            assert not types and not schema.properties.additional_properties, where
            assert schema._ref.removeprefix("#/definitions/") in names, where
            return
        if types == ["array"]:
            assert len(schema.items.schema) == 1, where
            walk(schema.items.schema[0], where + "[]")
        elif types and types != ["object"]:
            assert types[0] in PRIMITIVES, where
        for named in schema.properties.additional_properties:
            walk(named.value, f"{where}.{named.name}")
        if schema.additional_properties.HasField("schema"):
            walk(schema.additional_properties.schema, where + "{}")

    for d in parsed.definitions.additional_properties:
        walk(d.value, d.name)


def test_small_document_round_trip():
    doc = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "v9"},
        "paths": {"/x/{id}": {
            "parameters": [{"$ref": "#/parameters/id"}],
            "delete": {"operationId": "deleteX", "deprecated": True,
                       "parameters": [{"name": "h", "in": "header", "type": "string"}],
                       "responses": {"404": {"$ref": "#/responses/missing"}},
                       "x-kubernetes-action": "delete"},
        }},
        "definitions": {"X": {
            "type": "object",
            "required": ["mode"],
            "properties": {
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "extra": {"type": "object", "additionalProperties": False},
                "size": {"type": "integer", "minimum": 1, "maxLength": 3},
                "empty": {"type": "object", "properties": {}},
            },
        }},
    }
    parsed = pb.Document.FromString(openapi_v2_proto.encode(doc))
    assert (parsed.swagger, parsed.info.title, parsed.info.version) == ("2.0", "t", "v9")
    item = path_item(parsed, "/x/{id}")
    assert item.parameters[0].json_reference._ref == "#/parameters/id"
    assert item.delete.operation_id == "deleteX" and item.delete.deprecated
    header = item.delete.parameters[0].parameter.non_body_parameter.header_parameter_sub_schema
    assert header.name == "h"
    [missing] = item.delete.responses.response_code
    assert missing.value.json_reference._ref == "#/responses/missing"
    x = definition(parsed, "X")
    assert list(x.required) == ["mode"]
    mode = prop(x, "mode")
    assert [yaml.safe_load(v.yaml) for v in mode.enum] == ["a", "b"]
    assert yaml.safe_load(mode.default.yaml) == "a"
    extra = prop(x, "extra").additional_properties
    assert extra.HasField("boolean") and extra.boolean is False
    size = prop(x, "size")
    assert (size.minimum, size.max_length) == (1, 3)
    assert prop(x, "empty").HasField("properties")


def test_unknown_parameter_location_is_refused():
    doc = {"paths": {"/x": {"post": {"parameters": [{"name": "f", "in": "formData"}]}}}}
    with pytest.raises(ValueError, match="formData"):
        openapi_v2_proto.encode(doc)


def test_encode_json_matches_encode():
    data = orjson.dumps({"swagger": "2.0", "info": {"title": "t", "version": "v"}})
    assert openapi_v2_proto.encode_json(data) == openapi_v2_proto.encode(orjson.loads(data))
