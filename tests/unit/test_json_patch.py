"""JSON patch (RFC 6902): the appendix A situations with our own data, plus
pointer and index rules, error codes and non-mutation."""

from __future__ import annotations

import copy

import pytest

from kubelite.apiserver.patch import PatchError
from kubelite.apiserver.patch.json_patch import apply


def fails(doc, ops, code=422) -> str:
    with pytest.raises(PatchError) as caught:
        apply(doc, ops)
    assert caught.value.code == code
    return caught.value.message


# --- appendix A, in our own words ---------------------------------------------


def test_add_object_member():
    assert apply({"kind": "Pod"}, [{"op": "add", "path": "/apiVersion", "value": "v1"}]) == {
        "kind": "Pod",
        "apiVersion": "v1",
    }


def test_add_array_element_shifts_the_rest():
    doc = {"args": ["--a", "--c"]}
    out = apply(doc, [{"op": "add", "path": "/args/1", "value": "--b"}])
    assert out == {"args": ["--a", "--b", "--c"]}


def test_remove_object_member():
    doc = {"metadata": {"name": "x", "uid": "u"}}
    assert apply(doc, [{"op": "remove", "path": "/metadata/uid"}]) == {"metadata": {"name": "x"}}


def test_remove_array_element():
    doc = {"finalizers": ["a", "b", "c"]}
    assert apply(doc, [{"op": "remove", "path": "/finalizers/1"}]) == {"finalizers": ["a", "c"]}


def test_replace_value():
    doc = {"spec": {"replicas": 1}}
    out = apply(doc, [{"op": "replace", "path": "/spec/replicas", "value": 5}])
    assert out == {"spec": {"replicas": 5}}


def test_move_value_between_objects():
    doc = {"a": {"left": "v", "keep": 1}, "b": {}}
    out = apply(doc, [{"op": "move", "from": "/a/left", "path": "/b/right"}])
    assert out == {"a": {"keep": 1}, "b": {"right": "v"}}


def test_move_array_element():
    doc = {"l": ["p", "q", "r", "s"]}
    out = apply(doc, [{"op": "move", "from": "/l/1", "path": "/l/3"}])
    assert out == {"l": ["p", "r", "s", "q"]}


def test_test_success_then_more_ops():
    doc = {"n": 3, "tags": ["x", "y"]}
    ops = [
        {"op": "test", "path": "/n", "value": 3},
        {"op": "test", "path": "/tags", "value": ["x", "y"]},
        {"op": "replace", "path": "/n", "value": 4},
    ]
    assert apply(doc, ops) == {"n": 4, "tags": ["x", "y"]}


def test_test_failure_applies_nothing():
    doc = {"n": 3, "m": 1}
    ops = [{"op": "replace", "path": "/m", "value": 2}, {"op": "test", "path": "/n", "value": 9}]
    assert fails(doc, ops) == 'testing value "/n" failed: test failed'
    assert doc == {"n": 3, "m": 1}


def test_add_nested_member_object():
    out = apply({"spec": {}}, [{"op": "add", "path": "/spec/template", "value": {"x": {"y": 1}}}])
    assert out == {"spec": {"template": {"x": {"y": 1}}}}


def test_unrecognized_members_are_ignored():
    out = apply({}, [{"op": "add", "path": "/a", "value": 1, "comment": "ignored", "xyz": [1]}])
    assert out == {"a": 1}


def test_add_to_missing_parent_fails():
    msg = fails({"a": {}}, [{"op": "add", "path": "/missing/child", "value": 1}])
    assert msg == (
        'add operation does not apply: doc is missing path: "/missing/child": missing value'
    )


def test_escaped_tilde_and_slash():
    doc = {"a/b": 1, "m~n": 2, "~1": 3}
    ops = [
        {"op": "test", "path": "/a~1b", "value": 1},
        {"op": "test", "path": "/m~0n", "value": 2},
        # "~01" is "~" + "1", not "/": unescape ~1 before ~0.
        {"op": "replace", "path": "/~01", "value": 30},
    ]
    assert apply(doc, ops) == {"a/b": 1, "m~n": 2, "~1": 30}


def test_string_and_number_are_different():
    fails({"v": 10}, [{"op": "test", "path": "/v", "value": "10"}])


def test_add_array_value():
    out = apply({"a": [1]}, [{"op": "add", "path": "/a/1", "value": ["x", "y"]}])
    assert out == {"a": [1, ["x", "y"]]}


# --- pointers, indices, the root ---------------------------------------------


def test_dash_appends():
    assert apply({"l": [1]}, [{"op": "add", "path": "/l/-", "value": 2}]) == {"l": [1, 2]}


def test_add_at_length_appends_past_it_fails():
    assert apply({"l": [1]}, [{"op": "add", "path": "/l/1", "value": 2}]) == {"l": [1, 2]}
    msg = fails({"l": [1]}, [{"op": "add", "path": "/l/3", "value": 2}])
    assert "invalid index: 3" in msg


@pytest.mark.parametrize("index", ["01", "-1", "x", "1.0", "-"])
def test_bad_indices_for_replace(index):
    fails({"l": [1, 2]}, [{"op": "replace", "path": f"/l/{index}", "value": 0}])


def test_remove_past_end_fails():
    fails({"l": [1]}, [{"op": "remove", "path": "/l/1"}])


def test_numeric_keys_on_objects_are_names():
    assert apply({"o": {}}, [{"op": "add", "path": "/o/0", "value": 1}]) == {"o": {"0": 1}}


def test_empty_key_is_a_member():
    assert apply({"": 1}, [{"op": "replace", "path": "/", "value": 2}]) == {"": 2}


def test_root_add_and_replace_swap_the_document():
    assert apply({"a": 1}, [{"op": "add", "path": "", "value": {"b": 2}}]) == {"b": 2}
    assert apply({"a": 1}, [{"op": "replace", "path": "", "value": [1]}]) == [1]
    assert apply({"a": 1}, [{"op": "test", "path": "", "value": {"a": 1}}]) == {"a": 1}


def test_remove_root_fails():
    fails({"a": 1}, [{"op": "remove", "path": ""}])


def test_replace_and_remove_need_the_target():
    assert "doc is missing path" in fails({}, [{"op": "replace", "path": "/a", "value": 1}])
    assert "doc is missing path" in fails({}, [{"op": "remove", "path": "/a"}])


def test_path_through_a_scalar_fails():
    fails({"a": 1}, [{"op": "add", "path": "/a/b", "value": 1}])


def test_move_into_own_child_fails():
    msg = fails({"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}])
    assert "children" in msg


def test_move_onto_itself_is_a_no_op():
    assert apply({"a": [1, 2]}, [{"op": "move", "from": "/a/1", "path": "/a/1"}]) == {"a": [1, 2]}


def test_move_from_missing_fails():
    msg = fails({}, [{"op": "move", "from": "/x", "path": "/y"}])
    assert "missing from path" in msg


def test_copy_is_deep():
    out = apply({"a": {"n": [1]}}, [
        {"op": "copy", "from": "/a", "path": "/b"},
        {"op": "add", "path": "/b/n/-", "value": 2},
    ])
    assert out == {"a": {"n": [1]}, "b": {"n": [1, 2]}}


def test_test_compares_json_values():
    apply({"v": 1}, [{"op": "test", "path": "/v", "value": 1.0}])
    nested = {"a": [1, {"b": None}]}
    apply({"v": nested}, [{"op": "test", "path": "/v", "value": copy.deepcopy(nested)}])
    fails({"v": True}, [{"op": "test", "path": "/v", "value": 1}])
    fails({"v": 0}, [{"op": "test", "path": "/v", "value": False}])
    fails({"v": None}, [{"op": "test", "path": "/v", "value": {}}])
    fails({"v": [1, 2]}, [{"op": "test", "path": "/v", "value": [2, 1]}])


def test_value_null_is_a_value():
    assert apply({}, [{"op": "add", "path": "/a", "value": None}]) == {"a": None}


# --- errors and codes --------------------------------------------------------


@pytest.mark.parametrize("ops", [{"op": "add"}, "[]", [1], [{"op": "add"}, []], None])
def test_malformed_documents_are_400(ops):
    fails({}, ops, code=400)


@pytest.mark.parametrize(
    "op",
    [
        {"op": "frobnicate", "path": "/a"},
        {"path": "/a", "value": 1},
        {"op": ["add"], "path": "/a", "value": 1},
        {"op": "add", "value": 1},
        {"op": "add", "path": "/a"},
        {"op": "test", "path": "/a"},
        {"op": "copy", "path": "/a"},
        {"op": "add", "path": "a", "value": 1},
        {"op": "add", "path": "/a~2", "value": 1},
        {"op": "add", "path": "/a~", "value": 1},
    ],
)
def test_unusable_operations_are_422(op):
    fails({"a": 0}, [op], code=422)


def test_inputs_are_not_mutated():
    doc = {"a": {"b": [1, 2]}, "c": 1}
    ops = [
        {"op": "add", "path": "/a/b/-", "value": {"x": 1}},
        {"op": "remove", "path": "/c"},
        {"op": "move", "from": "/a/b/0", "path": "/z"},
    ]
    snapshot_doc, snapshot_ops = copy.deepcopy(doc), copy.deepcopy(ops)
    out = apply(doc, ops)
    assert out == {"a": {"b": [2, {"x": 1}]}, "z": 1}
    assert doc == snapshot_doc and ops == snapshot_ops
    out["a"]["b"][1]["x"] = 99
    assert ops[0]["value"] == {"x": 1}


def test_empty_patch_returns_an_equal_copy():
    doc = {"a": [1]}
    out = apply(doc, [])
    assert out == doc and out is not doc and out["a"] is not doc["a"]
