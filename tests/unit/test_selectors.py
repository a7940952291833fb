"""Label selectors (string syntax and metav1.LabelSelector objects) and
field selectors: parsing, matching, rendering and the errors for bad input."""

from __future__ import annotations

import pytest

from kubelite.api.selectors import (
    FieldRequirement,
    LabelSelector,
    Requirement,
    from_label_selector_object,
    matches,
    parse_field_selector,
    parse_label_selector,
    to_string,
)

# --- label selector strings --------------------------------------------------


def test_empty_selects_everything():
    for text in ("", "   "):
        sel = parse_label_selector(text)
        assert sel.empty() and sel == LabelSelector()
        assert matches(sel, {}) and matches(sel, None) and matches(sel, {"a": "b"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app=web", [Requirement("app", "=", ("web",))]),
        ("app==web", [Requirement("app", "==", ("web",))]),
        ("app!=web", [Requirement("app", "!=", ("web",))]),
        ("app", [Requirement("app", "exists")]),
        ("!app", [Requirement("app", "!")]),
        ("app in (b,a,b)", [Requirement("app", "in", ("a", "b"))]),
        ("app notin (x)", [Requirement("app", "notin", ("x",))]),
        ("app=", [Requirement("app", "=", ("",))]),
        ("app in (a,)", [Requirement("app", "in", ("", "a"))]),
        ("app in (,)", [Requirement("app", "in", ("",))]),
        ("n>3", [Requirement("n", ">", ("3",))]),
        ("n<10", [Requirement("n", "<", ("10",))]),
        ("example.com/app-name_x.y=V1.0-a_b", [
            Requirement("example.com/app-name_x.y", "=", ("V1.0-a_b",))]),
        ("tier in (in,notin)", [Requirement("tier", "in", ("in", "notin"))]),
    ],
)
def test_parse_single_requirements(text, expected):
    assert list(parse_label_selector(text).requirements) == expected


def test_requirements_are_sorted_by_key_and_whitespace_is_ignored():
    sel = parse_label_selector(" z = 1 , !b,a in( x , y ),  m ")
    assert [r.key for r in sel.requirements] == ["a", "b", "m", "z"]
    assert str(sel) == "a in (x,y),!b,m,z=1"


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app=web", {"app": "db"}, False),
        ("app=web", {}, False),
        ("app==web", {"app": "web"}, True),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app!=web", {"app": "web"}, False),
        ("app in (web,db)", {"app": "db"}, True),
        ("app in (web,db)", {"app": "cache"}, False),
        ("app in (web,db)", {}, False),
        ("app notin (web,db)", {}, True),
        ("app notin (web,db)", {"app": "cache"}, True),
        ("app notin (web,db)", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("app", {"other": "x"}, False),
        ("!app", {"other": "x"}, True),
        ("!app", {"app": "x"}, False),
        ("app=", {"app": ""}, True),
        ("app=", {}, False),
        ("app=web,tier=fe", {"app": "web", "tier": "fe"}, True),
        ("app=web,tier=fe", {"app": "web", "tier": "be"}, False),
        ("app=web,app!=db", {"app": "web"}, True),
        ("n>3", {"n": "4"}, True),
        ("n>3", {"n": "3"}, False),
        ("n>3", {"n": "x"}, False),
        ("n>3", {}, False),
        ("n<3", {"n": "-7"}, True),
    ],
)
def test_matching(text, labels, expected):
    assert matches(parse_label_selector(text), labels) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("app=web,", "found '', expected: identifier after ','"),
        (",app", "found ',', expected: !, identifier, or 'end of string'"),
        ("app=web extra", "found 'extra', expected: ',' or 'end of string'"),
        ("app in", "found '', expected: '('"),
        ("app in (a", "found '', expected: ',' or ')'"),
        ("app in (a b)", "found 'b', expected: ',' or ')'"),
        ("app in (=)", "found '=', expected: ',', ')' or identifier"),
        ("app in ()", "for 'in', 'notin' operators, values set can't be empty"),
        ("app notin ()", "for 'in', 'notin' operators, values set can't be empty"),
        ("app=(x)", "found '(', expected: identifier"),
        ("app===x", "found '=', expected: identifier"),
        ("app!", "found '!', expected: in, notin, =, ==, !=, gt, lt"),
        ("app x", "found 'x', expected: in, notin, =, ==, !=, gt, lt"),
        ("!", "found '', expected: identifier"),
        ("!app=x", "found '=', expected: ',' or 'end of string'"),
        ("in=x", "found 'in', expected: !, identifier, or 'end of string'"),
        ("n>x", "for 'Gt', 'Lt' operators, exactly one value is required, an integer"),
    ],
)
def test_syntax_errors(text, message):
    with pytest.raises(ValueError) as caught:
        parse_label_selector(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-app=x", 'key: Invalid value: "-app": name part must consist of'),
        ("a" * 64 + "=x", "name part must be no more than 63 characters"),
        ("Example.com/app=x", "prefix part a lowercase RFC 1123 subdomain"),
        ("/app=x", "prefix part must be non-empty"),
        ("example.com/=x", "name part must be non-empty"),
        ("a/b/c=x", "a qualified name must consist of"),
        ("app=" + "v" * 64, 'values[0][app]: Invalid value: "' + "v" * 64),
        ("app=-v", "a valid label must be an empty string or consist of"),
        ("app in (ok,bad!)", "found '!', expected: ',' or ')'"),
        ("app in (ok,b@d)", 'values[0][app]: Invalid value: "b@d"'),
    ],
)
def test_validation_errors(text, fragment):
    with pytest.raises(ValueError) as caught:
        parse_label_selector(text)
    assert fragment in str(caught.value)


def test_rendering_round_trips():
    for text in ["a=1", "a==1", "a!=1", "a in (x,y)", "a notin (x)", "a", "!a", "a>5", "a="]:
        assert str(parse_label_selector(text)) == text
        assert parse_label_selector(str(parse_label_selector(text))) == parse_label_selector(text)


# --- metav1.LabelSelector objects --------------------------------------------


def test_object_to_string_for_the_scale_subresource():
    obj = {
        "matchLabels": {"app": "nginx"},
        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}],
    }
    assert to_string(obj) == "app=nginx,tier in (a,b)"


def test_object_with_every_operator():
    obj = {
        "matchLabels": {"z": "1"},
        "matchExpressions": [
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "gpu", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist", "values": []},
        ],
    }
    sel = from_label_selector_object(obj)
    assert str(sel) == "env notin (dev),gpu,!legacy,z=1"
    assert sel.matches({"z": "1", "gpu": "", "env": "prod"})
    assert not sel.matches({"z": "1", "gpu": "", "legacy": "y"})
    assert not sel.matches({"z": "1", "gpu": "", "env": "dev"})
    assert not sel.matches({"z": "1"})


def test_empty_object_selects_everything():
    assert to_string({}) == ""
    assert from_label_selector_object({"matchLabels": None}).matches({"a": "b"})


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
         '"Equals" is not a valid label selector operator'),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
         "values set can't be empty"),
        ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
         "values set must be empty for exists and does not exist"),
        ({"matchExpressions": [{"key": "a b", "operator": "Exists"}]}, 'key: Invalid value: "a b"'),
        ({"matchLabels": {"app": "bad value"}}, 'values[0][app]: Invalid value: "bad value"'),
        ({"matchLabels": {"app": 3}}, "must be a string"),
        ({"matchLabels": ["app"]}, "matchLabels must be a map"),
        ({"matchExpressions": ["app"]}, "must be an object"),
        ({"matchExpressions": [{"operator": "Exists"}]}, "string key"),
        ("app=x", "a label selector must be an object"),
    ],
)
def test_object_errors(obj, fragment):
    with pytest.raises(ValueError) as caught:
        from_label_selector_object(obj)
    assert fragment in str(caught.value)


# --- field selectors ---------------------------------------------------------


def getter(values: dict[str, str]):
    return values.get


def test_field_selector_parse_and_fields():
    sel = parse_field_selector("metadata.name=web,spec.nodeName!=n1,status.phase==Running")
    assert sel.requirements == (
        FieldRequirement("metadata.name", "=", "web"),
        FieldRequirement("spec.nodeName", "!=", "n1"),
        FieldRequirement("status.phase", "==", "Running"),
    )
    assert sel.fields() == {"metadata.name", "spec.nodeName", "status.phase"}


def test_empty_field_selector_and_empty_terms():
    assert parse_field_selector("").empty()
    assert parse_field_selector(",a=b,").requirements == (FieldRequirement("a", "=", "b"),)
    assert parse_field_selector("").matches(getter({}))


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("metadata.name=web", {"metadata.name": "web"}, True),
        ("metadata.name=web", {"metadata.name": "db"}, False),
        ("metadata.name==web", {"metadata.name": "web"}, True),
        ("spec.nodeName!=n1", {"spec.nodeName": "n2"}, True),
        ("spec.nodeName!=n1", {"spec.nodeName": "n1"}, False),
        ("spec.nodeName=", {}, True),  # an unscheduled pod
        ("spec.nodeName!=", {}, False),
        ("spec.nodeName!=", {"spec.nodeName": "n1"}, True),
        ("a=1,b=2", {"a": "1", "b": "2"}, True),
        ("a=1,b=2", {"a": "1", "b": "3"}, False),
    ],
)
def test_field_matching(text, values, expected):
    assert parse_field_selector(text).matches(getter(values)) is expected


def test_field_values_unescape():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d,x=y")
    assert sel.requirements == (
        FieldRequirement("metadata.name", "=", "a,b=c\\d"),
        FieldRequirement("x", "=", "y"),
    )


def test_operator_is_the_first_one_found():
    assert parse_field_selector("a!=b").requirements == (FieldRequirement("a", "!=", "b"),)
    assert parse_field_selector("a==b").requirements == (FieldRequirement("a", "==", "b"),)
    assert parse_field_selector("a=!b").requirements == (FieldRequirement("a", "=", "!b"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
        ("a=b=c", "invalid field selector: unescaped character ="),
        (r"a=b\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_field_selector_errors(text, message):
    with pytest.raises(ValueError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message
