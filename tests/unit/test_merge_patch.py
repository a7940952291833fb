"""JSON merge patch (RFC 7386): the appendix's situations with our own data,
the Kubernetes uses (labels, replicas, lists replaced whole), non-mutation."""

from __future__ import annotations

import copy

import pytest

from kubelite.apiserver.patch.merge_patch import apply


@pytest.mark.parametrize(
    ("doc", "patch", "expected"),
    [
        ({"x": "1"}, {"x": "2"}, {"x": "2"}),
        ({"x": "1"}, {"y": "2"}, {"x": "1", "y": "2"}),
        ({"x": "1"}, {"x": None}, {}),
        ({"x": "1", "y": "2"}, {"x": None}, {"y": "2"}),
        ({"x": ["1"]}, {"x": "2"}, {"x": "2"}),
        ({"x": "2"}, {"x": ["1"]}, {"x": ["1"]}),
        ({"x": {"y": "1"}}, {"x": {"y": "3", "z": None}}, {"x": {"y": "3"}}),
        ({"x": [{"y": "1"}]}, {"x": [7]}, {"x": [7]}),
        (["p", "q"], ["r", "s"], ["r", "s"]),
        ({"x": "1"}, ["r"], ["r"]),
        ({"x": "v"}, None, None),
        ({"x": "v"}, "w", "w"),
        ({"n": None}, {"x": 1}, {"n": None, "x": 1}),
        ([1, 2], {"x": "y", "z": None}, {"x": "y"}),
        ({}, {"p": {"q": {"r": None}}}, {"p": {"q": {}}}),
    ],
)
def test_rfc7386_appendix_situations(doc, patch, expected):
    assert apply(doc, patch) == expected


def test_delete_a_label_and_set_another():
    doc = {"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}}}
    out = apply(doc, {"metadata": {"labels": {"tier": None, "track": "stable"}}})
    assert out == {"metadata": {"name": "web", "labels": {"app": "web", "track": "stable"}}}


def test_lists_are_replaced_whole():
    doc = {"spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}
    out = apply(doc, {"spec": {"containers": [{"name": "a", "image": "a:2"}]}})
    assert out == {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}


def test_nulls_inside_a_replacing_list_are_kept():
    # Only object members are interpreted; list contents are taken as given.
    assert apply({}, {"l": [None, {"a": None}]}) == {"l": [None, {"a": None}]}


def test_deleting_a_missing_member_is_fine():
    assert apply({"a": 1}, {"b": None}) == {"a": 1}


def test_patch_object_onto_scalar_builds_an_object():
    assert apply({"a": 5}, {"a": {"b": 1, "c": None}}) == {"a": {"b": 1}}


def test_inputs_are_not_mutated_and_results_share_nothing():
    doc = {"a": {"b": [1]}, "c": {"d": 1}}
    patch = {"a": {"e": {"f": [2]}}, "c": None}
    before_doc, before_patch = copy.deepcopy(doc), copy.deepcopy(patch)
    out = apply(doc, patch)
    assert out == {"a": {"b": [1], "e": {"f": [2]}}}
    assert doc == before_doc and patch == before_patch
    out["a"]["b"].append(9)
    out["a"]["e"]["f"].append(9)
    assert doc == before_doc and patch == before_patch
