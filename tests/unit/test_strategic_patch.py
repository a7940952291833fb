"""Strategic merge patch, driven by small schemas written with the
kubelite.api.schema vocabulary; the patches are shaped the way kubectl
apply / edit / label / annotate / scale / patch send them."""

from __future__ import annotations

import copy

import pytest

from kubelite.api import schema as s
from kubelite.apiserver.patch import PatchError
from kubelite.apiserver.patch.strategic import apply

PORT = s.obj("", {"containerPort": s.integer(), "protocol": s.string(), "name": s.string()})
ENV = s.obj("", {"name": s.string(), "value": s.string(), "valueFrom": s.free_form()})
MOUNT = s.obj("", {"name": s.string(), "mountPath": s.string()})
CONTAINER = s.obj(
    "",
    {
        "name": s.string(),
        "image": s.string(),
        "imagePullPolicy": s.string(),
        "args": s.array(s.string()),
        "ports": s.array(PORT, merge_key="containerPort", strategy="merge"),
        "env": s.array(ENV, merge_key="name", strategy="merge"),
        "volumeMounts": s.array(MOUNT, merge_key="mountPath", strategy="merge"),
        "resources": s.obj("", {"limits": s.map_of(s.string()), "requests": s.map_of(s.string())}),
    },
)
VOLUME = s.obj(
    "",
    {
        "name": s.string(),
        "emptyDir": s.obj("", {"medium": s.string()}),
        "configMap": s.obj("", {"name": s.string()}),
        "hostPath": s.obj("", {"path": s.string()}),
    },
)
TOLERATION = s.obj("", {"key": s.string(), "operator": s.string(), "effect": s.string()})
POD_SPEC = s.obj(
    "",
    {
        "containers": s.array(CONTAINER, merge_key="name", strategy="merge"),
        "initContainers": s.array(CONTAINER, merge_key="name", strategy="merge"),
        "volumes": s.array(VOLUME, merge_key="name", strategy="merge,retainKeys"),
        "tolerations": s.array(TOLERATION),
        "nodeSelector": s.map_of(s.string()),
        "affinity": s.obj("", {"nodeAffinity": s.free_form(), "podAffinity": s.free_form()}),
        "restartPolicy": s.string(),
        "dnsPolicy": s.string(),
    },
)
OWNER = s.obj("", {"uid": s.string(), "name": s.string(), "kind": s.string()})
META = s.obj(
    "",
    {
        "name": s.string(),
        "namespace": s.string(),
        "labels": s.map_of(s.string()),
        "annotations": s.map_of(s.string()),
        "finalizers": s.array(s.string(), strategy="merge"),
        "ownerReferences": s.array(OWNER, merge_key="uid", strategy="merge"),
    },
)
CONDITION = s.obj("", {"type": s.string(), "status": s.string(), "reason": s.string()})
DEPLOYMENT = s.obj(
    "",
    {
        "apiVersion": s.string(),
        "kind": s.string(),
        "metadata": META,
        "spec": s.obj(
            "",
            {
                "replicas": s.integer(),
                "selector": s.obj(
                    "", {"matchLabels": s.map_of(s.string())}, strategy="replace"
                ),
                "template": s.obj("", {"metadata": META, "spec": POD_SPEC}),
                "strategy": s.obj(
                    "",
                    {
                        "type": s.string(),
                        "rollingUpdate": s.obj(
                            "", {"maxSurge": s.int_or_string(), "maxUnavailable": s.int_or_string()}
                        ),
                    },
                    strategy="retainKeys",
                ),
                "extra": s.free_form(),
                "byZone": s.map_of(
                    s.obj("", {"hosts": s.array(OWNER, merge_key="uid", strategy="merge")})
                ),
            },
        ),
        "status": s.obj(
            "", {"conditions": s.array(CONDITION, merge_key="type", strategy="merge")}
        ),
    },
)


def deployment() -> dict:
    """A live Deployment, with fields the server and controllers filled in."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "finalizers": ["example.com/a", "example.com/b"],
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.24",
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [
                                {"containerPort": 80, "protocol": "TCP"},
                                {"containerPort": 8080, "protocol": "TCP"},
                            ],
                            "env": [{"name": "A", "value": "1"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        },
                        {"name": "sidecar", "image": "busybox", "args": ["sleep", "1d"]},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "restartPolicy": "Always",
                    "dnsPolicy": "ClusterFirst",
                },
            },
        },
        "status": {
            "conditions": [
                {"type": "Available", "status": "True"},
                {"type": "Progressing", "status": "True"},
            ]
        },
    }


def patched(patch: dict, original: dict | None = None) -> dict:
    return apply(deployment() if original is None else original, patch, DEPLOYMENT)


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def fails(patch: dict, code: int = 400, original: dict | None = None) -> str:
    with pytest.raises(PatchError) as caught:
        patched(patch, original)
    assert caught.value.code == code
    return caught.value.message


# --- kubectl-shaped patches --------------------------------------------------


def test_apply_changes_an_image_and_keeps_everything_else():
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
                    "containers": [{"image": "nginx:1.25", "name": "app"}],
                }
            }
        }
    }
    out = patched(patch)
    expected = deployment()
    pod_spec(expected)["containers"][0]["image"] = "nginx:1.25"
    assert out == expected


def test_apply_removes_a_container_port():
    patch = {
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [{
                "$setElementOrder/ports": [{"containerPort": 80}],
                "name": "app",
                "ports": [{"$patch": "delete", "containerPort": 8080}],
            }],
        }}}
    }
    ports = pod_spec(patched(patch))["containers"][0]["ports"]
    assert ports == [{"containerPort": 80, "protocol": "TCP"}]


def test_apply_adds_an_env_var_in_order():
    patch = {
        "spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [{
                "$setElementOrder/env": [{"name": "Z"}, {"name": "A"}],
                "env": [{"name": "Z", "value": "26"}],
                "name": "app",
            }],
        }}}
    }
    env = pod_spec(patched(patch))["containers"][0]["env"]
    assert env == [{"name": "Z", "value": "26"}, {"name": "A", "value": "1"}]


def test_new_elements_without_order_come_first_in_patch_order():
    # As Kubernetes orders them: a patched element goes ahead of original-only
    # ones unless both were in the original and the original one came first.
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "z", "image": "z"}, {"name": "y", "image": "y"},
    ]}}}}
    names = [c["name"] for c in pod_spec(patched(patch))["containers"]]
    assert names == ["z", "y", "app", "sidecar"]


@pytest.mark.parametrize(
    ("live", "patch", "expected"),
    [
        # (orders checked against kubectl patch --local --type strategic)
        (["app", "inj", "side"], ["new", "app"], ["new", "app", "inj", "side"]),
        (["app", "inj", "side"], ["side", "new", "app"], ["inj", "side", "new", "app"]),
        (["a", "b"], ["b"], ["a", "b"]),
        (["a", "b", "c"], ["c", "a"], ["b", "c", "a"]),
    ],
)
def test_merged_list_order_without_directive(live, patch, expected):
    original = {"spec": {"template": {"spec": {"containers": [{"name": n} for n in live]}}}}
    body = {"spec": {"template": {"spec": {"containers": [{"name": n} for n in patch]}}}}
    out = pod_spec(patched(body, original))["containers"]
    assert [c["name"] for c in out] == expected


def test_set_element_order_interleaves_server_only_elements():
    original = {"spec": {"template": {"spec": {"containers": [
        {"name": "app"}, {"name": "inj"}, {"name": "side"}]}}}}
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [
            {"name": "n1"}, {"name": "app"}, {"name": "n2"}, {"name": "side"}],
        "containers": [{"name": "n1"}, {"name": "n2"}],
    }}}}
    out = pod_spec(patched(patch, original))["containers"]
    assert [c["name"] for c in out] == ["n1", "app", "n2", "inj", "side"]


def test_ports_order_follows_the_patch():
    live = deployment()
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "ports": [
        {"containerPort": 9090}, {"containerPort": 80, "name": "http"}]}]}}}}
    ports = pod_spec(patched(patch, live))["containers"][0]["ports"]
    assert ports == [
        {"containerPort": 9090},
        {"containerPort": 80, "protocol": "TCP", "name": "http"},
        {"containerPort": 8080, "protocol": "TCP"},
    ]


def test_set_element_order_puts_a_new_container_first():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "init"}, {"name": "app"}, {"name": "sidecar"}],
        "containers": [{"name": "init", "image": "i"}],
    }}}}
    names = [c["name"] for c in pod_spec(patched(patch))["containers"]]
    assert names == ["init", "app", "sidecar"]


def test_server_only_elements_keep_their_place():
    live = deployment()
    pod_spec(live)["containers"].insert(1, {"name": "injected", "image": "proxy"})
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
        "containers": [{"name": "sidecar", "image": "busybox:2"}],
    }}}}
    containers = pod_spec(patched(patch, live))["containers"]
    assert [c["name"] for c in containers] == ["app", "injected", "sidecar"]
    assert containers[2]["image"] == "busybox:2"


def test_edit_deletes_an_env_var():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
        "containers": [{
            "$setElementOrder/env": [],
            "env": [{"$patch": "delete", "name": "A"}],
            "name": "app",
        }],
    }}}}
    assert pod_spec(patched(patch))["containers"][0]["env"] == []


def test_apply_removes_a_container():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}],
        "containers": [{"$patch": "delete", "name": "sidecar"}],
    }}}}
    assert [c["name"] for c in pod_spec(patched(patch))["containers"]] == ["app"]


def test_label_delete_via_null_and_add():
    out = patched({"metadata": {"labels": {"tier": None, "track": "canary"}}})
    assert out["metadata"]["labels"] == {"app": "web", "track": "canary"}


def test_annotate_and_scale():
    out = patched({"metadata": {"annotations": {"note": "hi"}}, "spec": {"replicas": 5}})
    assert out["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1", "note": "hi",
    }
    assert out["spec"]["replicas"] == 5


def test_volumes_replaced_with_retain_keys():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/volumes": [{"name": "data"}],
        "volumes": [{
            "$retainKeys": ["configMap", "name"],
            "configMap": {"name": "cfg"},
            "emptyDir": None,
            "name": "data",
        }],
    }}}}
    assert pod_spec(patched(patch))["volumes"] == [{"name": "data", "configMap": {"name": "cfg"}}]


def test_retain_keys_clears_fields_the_patch_does_not_mention():
    # The live volume has a field set by someone else (hostPath); $retainKeys drops it.
    live = deployment()
    pod_spec(live)["volumes"] = [{"name": "data", "emptyDir": {}, "hostPath": {"path": "/x"}}]
    patch = {"spec": {"template": {"spec": {"volumes": [
        {"$retainKeys": ["configMap", "name"], "configMap": {"name": "c"}, "name": "data"}
    ]}}}}
    volumes = pod_spec(patched(patch, live))["volumes"]
    assert volumes == [{"name": "data", "configMap": {"name": "c"}}]


def test_deployment_strategy_switch_with_retain_keys():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None,
                                   "type": "Recreate"}}}
    assert patched(patch)["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_content_mismatch_and_bad_format_are_400():
    fails({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}, 400)
    fails({"spec": {"strategy": {"$retainKeys": "type", "type": "Recreate"}}}, 400)


def test_atomic_list_is_replaced():
    patch = {"spec": {"template": {"spec": {"tolerations": [{"key": "b", "operator": "Exists"}]}}}}
    assert pod_spec(patched(patch))["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_atomic_list_drops_directive_elements():
    patch = {"spec": {"template": {"spec": {"tolerations": [
        {"key": "k", "$patch": "delete"}, {"$patch": "replace"}, {"key": "j"}]}}}}
    assert pod_spec(patched(patch))["tolerations"] == [{"key": "j"}]


def test_atomic_scalar_list_is_replaced():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "args": ["x"]}]}}}}
    assert pod_spec(patched(patch))["containers"][1]["args"] == ["x"]


def test_three_way_apply_keeps_what_others_set():
    # kubectl apply of a changed manifest: only the manifest's changes are in
    # the patch (plus the last-applied annotation); replicas set by an
    # autoscaler and the controller's annotation survive.
    live = deployment()
    live["spec"]["replicas"] = 7
    patch = {
        "metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": '{"...":"..."}'}},
        "spec": {"template": {"metadata": {"labels": {"version": "2"}}, "spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [{"image": "nginx:1.25", "name": "app"}],
        }}},
    }
    out = patched(patch, live)
    assert out["spec"]["replicas"] == 7
    assert out["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "web", "version": "2"}
    assert pod_spec(out)["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_status_conditions_merge_by_type():
    patch = {"status": {"conditions": [
        {"type": "Progressing", "status": "False", "reason": "Stuck"},
        {"type": "ReplicaFailure", "status": "True"},
    ]}}
    assert patched(patch)["status"]["conditions"] == [
        {"type": "Available", "status": "True"},
        {"type": "Progressing", "status": "False", "reason": "Stuck"},
        {"type": "ReplicaFailure", "status": "True"},
    ]


def test_owner_references_merge_by_uid():
    live = {"metadata": {"ownerReferences": [{"uid": "1", "name": "a", "kind": "ReplicaSet"}]}}
    out = apply(live, {"metadata": {"ownerReferences": [{"uid": "2", "name": "b"}]}}, DEPLOYMENT)
    assert [o["uid"] for o in out["metadata"]["ownerReferences"]] == ["2", "1"]


# --- lists of scalars --------------------------------------------------------


def test_finalizers_are_a_set_union():
    out = patched({"metadata": {"finalizers": ["example.com/b", "example.com/c"]}})
    assert out["metadata"]["finalizers"] == ["example.com/a", "example.com/b", "example.com/c"]


def test_delete_from_primitive_list():
    patch = {"metadata": {
        "$deleteFromPrimitiveList/finalizers": ["example.com/a", "example.com/zz"],
        "$setElementOrder/finalizers": ["example.com/b"],
    }}
    assert patched(patch)["metadata"]["finalizers"] == ["example.com/b"]


def test_delete_from_primitive_list_next_to_an_addition():
    live = {"metadata": {"finalizers": ["a", "b"]}}
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["z"]}}
    assert apply(live, patch, DEPLOYMENT)["metadata"]["finalizers"] == ["z", "b"]


def test_delete_from_primitive_list_needs_scalars():
    fails({"metadata": {"$deleteFromPrimitiveList/finalizers": [{"a": 1}]}})
    fails({"metadata": {"$deleteFromPrimitiveList/finalizers": "example.com/a"}})


def test_delete_from_a_missing_list_is_a_no_op():
    live = deployment()
    del live["metadata"]["finalizers"]
    out = patched({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}, live)
    assert "finalizers" not in out["metadata"]


def test_set_element_order_reorders_primitives():
    patch = {"metadata": {"$setElementOrder/finalizers": ["example.com/b", "example.com/a"]}}
    assert patched(patch)["metadata"]["finalizers"] == ["example.com/b", "example.com/a"]


def test_set_element_order_with_new_primitive():
    patch = {"metadata": {
        "$setElementOrder/finalizers": ["example.com/new", "example.com/a", "example.com/b"],
        "finalizers": ["example.com/new"],
    }}
    assert patched(patch)["metadata"]["finalizers"] == [
        "example.com/new", "example.com/a", "example.com/b",
    ]


def test_duplicates_are_removed_from_a_merged_set():
    live = {"metadata": {"finalizers": ["a", "a", "b"]}}
    out = apply(live, {"metadata": {"finalizers": ["b", "c"]}}, DEPLOYMENT)
    assert out["metadata"]["finalizers"] == ["a", "b", "c"]


# --- directives --------------------------------------------------------------


def test_replace_directive_in_a_list():
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "only", "image": "x", "stray": None}, {"$patch": "replace"},
    ]}}}}
    assert pod_spec(patched(patch))["containers"] == [{"name": "only", "image": "x"}]


def test_replace_directive_on_a_map():
    patch = {"metadata": {"labels": {"$patch": "replace", "fresh": "yes"}}}
    assert patched(patch)["metadata"]["labels"] == {"fresh": "yes"}


def test_delete_directive_on_a_map_empties_it():
    # Kubernetes leaves an empty map where the deleted one was.
    out = patched({"spec": {"strategy": {"$patch": "delete"}}})
    assert out["spec"]["strategy"] == {}


def test_delete_directive_at_the_top_empties_the_object():
    assert patched({"$patch": "delete"}) == {}


def test_merge_directive_on_a_map_is_the_default():
    out = patched({"metadata": {"labels": {"$patch": "merge", "x": "1"}}})
    assert out["metadata"]["labels"] == {"app": "web", "tier": "frontend", "x": "1"}


def test_merge_directive_on_a_list_element():
    patch = {"spec": {"template": {"spec": {"containers": [
        {"$patch": "merge", "name": "sidecar", "image": "busybox:2"}]}}}}
    assert pod_spec(patched(patch))["containers"][1]["image"] == "busybox:2"


def test_delete_removes_every_duplicate():
    live = {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "image": "1"}, {"name": "b"}, {"name": "a", "image": "2"}]}}}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}}
    assert pod_spec(patched(patch, live))["containers"] == [{"name": "b"}]


def test_deleting_a_missing_element_is_fine():
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "gone", "$patch": "delete"}]}}}}
    assert patched(patch) == deployment()


@pytest.mark.parametrize(
    "patch",
    [
        {"$patch": "frobnicate"},
        {"metadata": {"labels": {"$patch": 1}}},
        {"spec": {"$frobnicate": 1}},
        {"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "nope"}]}}}},
        {"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}},
        {"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}},
        {"spec": {"template": {"spec": {"containers": ["app"]}}}},
        {"spec": {"template": {"spec": {"$setElementOrder/containers": "app"}}}},
        {"spec": {"template": {"spec": {"$setElementOrder/containers": ["app"]}}}},
        {"metadata": {"finalizers": [{"not": "a string"}]}},
    ],
)
def test_malformed_patches_are_400(patch):
    fails(patch, 400)


def test_order_that_contradicts_the_patch_is_refused():
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
        "containers": [{"name": "sidecar", "image": "s"}, {"name": "app", "image": "a"}],
    }}}}
    assert "doesn't match" in fails(patch, 400)


def test_lists_of_lists_are_422():
    schema = s.obj("", {"m": s.array(s.array(s.string()), strategy="merge")})
    with pytest.raises(PatchError) as caught:
        apply({"m": [["a"]]}, {"m": [["b"]]}, schema)
    assert caught.value.code == 422


def test_a_patch_that_is_not_an_object_is_400():
    with pytest.raises(PatchError) as caught:
        apply({}, [], DEPLOYMENT)  # type: ignore[arg-type]
    assert caught.value.code == 400


# --- fields, types and schemas -----------------------------------------------


def test_new_list_field_gets_directives_processed():
    live = deployment()
    del pod_spec(live)["volumes"]
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/volumes": [{"name": "v"}],
        "volumes": [{"name": "v", "emptyDir": {"medium": None}, "hostPath": None}],
    }}}}
    assert pod_spec(patched(patch, live))["volumes"] == [{"name": "v", "emptyDir": {}}]


def test_new_map_field_drops_nulls_and_directives():
    live = deployment()
    patch = {"spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd", "gone": None}}}}}
    assert pod_spec(patched(patch, live))["nodeSelector"] == {"disk": "ssd"}


def test_empty_merged_list_in_patch_changes_nothing():
    assert patched({"spec": {"template": {"spec": {"containers": []}}}}) == deployment()


def test_null_removes_a_list():
    out = patched({"spec": {"template": {"spec": {"tolerations": None}}}})
    assert "tolerations" not in pod_spec(out)


def test_map_with_replace_strategy_is_replaced():
    out = patched({"spec": {"selector": {"matchLabels": {"app": "web2"}}}})
    assert out["spec"]["selector"] == {"matchLabels": {"app": "web2"}}
    live = deployment()
    live["spec"]["selector"]["other"] = "x"
    out = patched({"spec": {"selector": {"matchLabels": {"app": "web2"}}}}, live)
    assert out["spec"]["selector"] == {"matchLabels": {"app": "web2"}}


def test_type_change_replaces():
    out = patched({"spec": {"replicas": {"odd": True}}})
    assert out["spec"]["replicas"] == {"odd": True}
    out = patched({"spec": {"template": {"spec": {"restartPolicy": ["x"]}}}})
    assert pod_spec(out)["restartPolicy"] == ["x"]


def test_free_form_fields_merge_like_json_merge_patch():
    live = deployment()
    live["spec"]["extra"] = {"a": {"b": 1, "c": 2}, "list": [{"name": "x", "v": 1}]}
    out = patched({"spec": {"extra": {"a": {"c": None, "d": 3}, "list": [{"name": "x"}]}}}, live)
    assert out["spec"]["extra"] == {"a": {"b": 1, "d": 3}, "list": [{"name": "x"}]}


def test_dollar_keys_are_data_where_the_schema_allows_anything():
    live = deployment()
    live["spec"]["extra"] = {"$schema": "old"}
    out = patched({"spec": {"extra": {"$schema": "new", "$ref": "r"}}}, live)
    assert out["spec"]["extra"] == {"$schema": "new", "$ref": "r"}


def test_fields_unknown_to_the_schema_merge_and_lists_replace():
    live = {"spec": {"unknown": {"a": 1, "l": [{"name": "x", "v": 1}]}}}
    out = apply(live, {"spec": {"unknown": {"b": 2, "l": [{"name": "y"}]}}}, DEPLOYMENT)
    assert out["spec"]["unknown"] == {"a": 1, "b": 2, "l": [{"name": "y"}]}


def test_without_a_schema_lists_are_atomic_and_order_directives_ignored():
    live = {"l": [1, 2], "m": {"a": 1}}
    patch = {"l": [3], "$setElementOrder/l": [3], "m": {"b": 2}}
    assert apply(live, patch, None) == {"l": [3], "m": {"a": 1, "b": 2}}


def test_map_values_use_the_additional_properties_schema():
    live = {"spec": {"byZone": {"z1": {"hosts": [{"uid": "1", "name": "a"}]}}}}
    patch = {"spec": {"byZone": {"z1": {"hosts": [{"uid": "2", "name": "b"}]}, "z2": None}}}
    out = apply(live, patch, DEPLOYMENT)
    assert out["spec"]["byZone"] == {"z1": {"hosts": [{"uid": "2", "name": "b"},
                                                       {"uid": "1", "name": "a"}]}}


def test_referenced_definitions_are_followed(monkeypatch):
    monkeypatch.setitem(s.DEFINITIONS, "test.Container", CONTAINER)
    monkeypatch.setitem(s.DEFINITIONS, "test.Spec", s.obj("", {
        "containers": s.array(s.ref("test.Container"), merge_key="name", strategy="merge"),
    }))
    schema = s.obj("", {"spec": s.ref("test.Spec", "the spec")})
    live = {"spec": {"containers": [{"name": "a", "env": [{"name": "X", "value": "1"}]}]}}
    patch = {"spec": {"containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}]}]}}
    out = apply(live, patch, schema)
    assert out["spec"]["containers"][0]["env"] == [
        {"name": "Y", "value": "2"}, {"name": "X", "value": "1"},
    ]


def test_merge_keys_compare_as_json_values():
    live = {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 1, "name": "one"}]}]}}}}
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 1.0, "protocol": "UDP"}, {"containerPort": True}]}
    ]}}}}
    ports = pod_spec(patched(patch, live))["containers"][0]["ports"]
    assert ports == [
        {"containerPort": 1, "name": "one", "protocol": "UDP"}, {"containerPort": True},
    ]


def test_inputs_are_not_mutated_and_results_share_nothing():
    live = deployment()
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "new"}, {"name": "sidecar"}],
        "containers": [{"name": "app", "env": [{"name": "A", "$patch": "delete"}]},
                       {"name": "new", "env": [{"name": "E", "value": "v"}]}],
        "tolerations": [{"key": "t"}],
    }}}, "metadata": {"labels": {"app": None}}}
    before_live, before_patch = copy.deepcopy(live), copy.deepcopy(patch)
    out = apply(live, patch, DEPLOYMENT)
    assert live == before_live and patch == before_patch
    assert [c["name"] for c in pod_spec(out)["containers"]] == ["app", "new", "sidecar"]
    pod_spec(out)["containers"][1]["env"][0]["value"] = "changed"
    pod_spec(out)["tolerations"][0]["key"] = "changed"
    pod_spec(out)["containers"][2]["args"].append("more")
    assert live == before_live and patch == before_patch
