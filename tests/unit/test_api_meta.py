"""Metadata validation and the validation building blocks: the checks and
the exact messages Kubernetes reports."""

from fractions import Fraction

import pytest

from kubelite.api import validation as v
from kubelite.api.meta import validate_annotations, validate_meta_update, validate_object_meta
from kubelite.api.resource import Cause

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def messages(causes: list[Cause]) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in causes]


def test_cause_builders_word_messages_as_kubernetes():
    assert v.required("spec.x") == Cause("FieldValueRequired", "Required value", "spec.x")
    assert v.required("a", "why").message == "Required value: why"
    assert v.invalid("a", "X", "bad").message == 'Invalid value: "X": bad'
    assert v.invalid("a", 70000, "bad").message == "Invalid value: 70000: bad"
    assert v.not_supported("a", "X", ["A", "B"]).message == (
        'Unsupported value: "X": supported values: "A", "B"')
    assert v.duplicate("a", "x") == Cause("FieldValueDuplicate", 'Duplicate value: "x"', "a")
    assert v.not_found("a", "x").message == 'Not found: "x"'
    assert v.forbidden("a", "no").message == "Forbidden: no"
    assert v.too_long("a", 262144).message == "Too long: may not be more than 262144 bytes"
    assert v.immutable("a", "y") == Cause(
        "FieldValueInvalid", 'Invalid value: "y": field is immutable', "a")
    assert v.unchanged("a", 1, 1) == []


def test_dns_names():
    assert v.is_dns1123_label("my-name") == []
    assert v.is_dns1123_label("My_Name") == [LABEL_MSG]
    assert v.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]
    assert v.is_dns1123_subdomain("a.b-c.d") == []
    assert v.is_dns1123_subdomain("a..b") == [SUBDOMAIN_MSG]
    assert v.is_dns1035_label("1abc")[0].startswith("a DNS-1035 label must consist")
    assert v.is_dns1035_label("abc-1") == []
    # a generateName prefix may end in a dash
    assert v.name_is_dns_subdomain("web-", True) == []
    assert v.name_is_dns_subdomain("web-", False) == [SUBDOMAIN_MSG]


def test_qualified_names_and_label_values():
    assert v.is_qualified_name("app") == []
    assert v.is_qualified_name("example.com/App_1") == []
    assert v.is_qualified_name("/app") == ["prefix part must be non-empty"]
    assert v.is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert v.is_qualified_name("-x") == [
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ]
    assert v.is_valid_label_value("") == []
    assert v.is_valid_label_value("v1.2_x") == []
    assert len(v.is_valid_label_value("bad value")) == 1


def test_other_formats():
    assert v.is_config_map_key("app.properties") == []
    assert v.is_config_map_key("..x") == ["must not start with '..'"]
    assert v.is_config_map_key("a b")[0].startswith("a valid config key must consist")
    assert v.is_env_var_name("MY.VAR-1 x") == []
    assert v.is_env_var_name("A=B") == [
        "a valid environment variable name must consist only of printable ASCII characters "
        "other than '='"]
    assert v.is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]
    assert v.is_valid_port_num(65535) == []
    assert v.is_valid_port_name("http") == []
    assert v.is_valid_port_name("80") == ["must contain at least one letter (a-z)"]
    assert v.is_valid_port_name("a--b") == ["must not contain consecutive hyphens"]
    assert v.is_valid_ip("10.0.0.1") == [] and v.is_valid_ip("::1") == []
    assert v.is_valid_ip("10.0.0.300") != []


@pytest.mark.parametrize("text,value", [
    ("100m", Fraction(1, 10)), ("1", 1), ("2Gi", 2 * 2**30), ("1.5", Fraction(3, 2)),
    ("1e3", 1000), ("128Mi", 128 * 2**20), (2, 2), ("1k", 1000), ("abc", None), ("1Q", None),
])
def test_parse_quantity(text, value):
    assert v.parse_quantity(text) == value


def test_object_meta_name_and_namespace_rules():
    assert messages(validate_object_meta({"metadata": {}}, True)) == [
        ("metadata.name", "Required value: name or generateName is required"),
        ("metadata.namespace", "Required value"),
    ]
    assert messages(validate_object_meta({"metadata": {"name": "Web"}}, False)) == [
        ("metadata.name", f'Invalid value: "Web": {SUBDOMAIN_MSG}')]
    assert messages(validate_object_meta({"metadata": {"name": "a.b"}}, False,
                                         name_validator=v.name_is_dns_label)) == [
        ("metadata.name", f'Invalid value: "a.b": {LABEL_MSG}')]
    assert messages(validate_object_meta({"metadata": {"name": "x", "namespace": "d"}},
                                         False)) == [
        ("metadata.namespace", "Forbidden: not allowed on this type")]
    ok = {"metadata": {"name": "web.1", "namespace": "default", "generateName": "web-"}}
    assert validate_object_meta(ok, True) == []


def test_object_meta_labels_annotations_owners_finalizers():
    meta = {
        "name": "x",
        "labels": {"app": "web", "bad key!": "v", "tier": "not ok"},
        "annotations": {"example.com/note": "fine"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs"}],
        "finalizers": ["example.com/cleanup", "kubernetes", "custom"],
    }
    got = messages(validate_object_meta({"metadata": meta}, False))
    assert [f for f, _ in got] == [
        "metadata.labels", "metadata.labels", "metadata.ownerReferences.uid",
        "metadata.finalizers[2]"]
    assert got[2][1] == 'Invalid value: "": uid must not be empty'
    assert got[3][1] == ('Invalid value: "custom": name is neither a standard finalizer name '
                         "nor is it fully qualified")
    assert messages(validate_annotations({"a": "x" * (256 * 1024)}, "metadata.annotations")) == [
        ("metadata.annotations", "Too long: may not be more than 262144 bytes")]


def test_meta_update_keeps_identity():
    old = {"metadata": {"name": "a", "namespace": "d", "uid": "1",
                        "creationTimestamp": "2024-01-01T00:00:00Z"}}
    new = {"metadata": {**old["metadata"], "name": "b", "uid": "2"}}
    assert messages(validate_meta_update(new, old)) == [
        ("metadata.name", 'Invalid value: "b": field is immutable'),
        ("metadata.uid", 'Invalid value: "2": field is immutable'),
    ]
    deleting = {"metadata": {**old["metadata"], "deletionTimestamp": "2024-01-02T00:00:00Z"}}
    grown = {"metadata": {**deleting["metadata"], "finalizers": ["example.com/x"]}}
    assert messages(validate_meta_update(grown, deleting)) == [
        ("metadata.finalizers", "Forbidden: no new finalizers can be added if the object is "
                                'being deleted, found new finalizers []string{"example.com/x"}')]
