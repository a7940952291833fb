"""Acceptance (issue 3): the official `kubernetes` Python client against
`kubelite apiserver`, with the API server on kubelite's store and on a real
etcd 3.4 (one server per store kind for the whole module).

What is asserted is what a real kube-apiserver answers: CRUD on pods and
deployments (with the scale subresource), watches resumed from a
resourceVersion, label and field selectors, list pagination, the dynamic
client on a custom resource served from a CRD, and errors as Status objects.
No scheduler or kubelet runs, so pods stay Pending.
"""

from __future__ import annotations

import json
import time

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError

pytestmark = pytest.mark.e2e

CRD_NAME = "crontabs.stable.example.com"
CRONTAB_API = "stable.example.com/v1"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def pod(name: str, **labels: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                 "command": ["sleep", "3600"]}]},
    }


def deployment(name: str, replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                         "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def configmap(name: str, **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def status_of(exc: ApiException) -> dict:
    """The Status object an error response carries."""
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    assert body["status"] == "Failure" and body["code"] == exc.status, body
    return body


def names(items) -> list[str]:
    return [item.metadata.name for item in items]


def collect_watch(list_func, ns: str, rv: str, seconds: int = 2) -> list[tuple[str, str, str]]:
    """Every event of a watch from `rv` until the server ends it after
    `seconds`, as (type, name, resourceVersion)."""
    events = []
    w = watch.Watch()
    for event in w.stream(list_func, ns, resource_version=rv, timeout_seconds=seconds,
                          _request_timeout=seconds + 10):
        obj = event["object"]
        events.append((event["type"], obj.metadata.name, obj.metadata.resource_version))
        if len(events) > 50:
            w.stop()
    return events


# --- configuration ----------------------------------------------------------


def test_load_kube_config_and_version(apiserver):
    saved = client.Configuration.get_default_copy()
    try:
        config.load_kube_config(config_file=apiserver.kubeconfig)
        version = client.VersionApi().get_code()
        assert version.major == "1" and version.git_version.startswith("v1.")
        found = names(client.CoreV1Api().list_namespace().items)
        assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= set(found)
    finally:
        client.Configuration.set_default(saved)


# --- pods -------------------------------------------------------------------


def test_pod_crud(core, ns):
    created = core.create_namespaced_pod(ns, pod("web", app="web"))
    meta = created.metadata
    assert (meta.name, meta.namespace) == ("web", ns)
    assert meta.uid and meta.resource_version and meta.creation_timestamp
    # The fields the API server defaults, and the status it starts a pod with.
    spec = created.spec
    assert spec.restart_policy == "Always"
    assert spec.dns_policy == "ClusterFirst"
    assert spec.termination_grace_period_seconds == 30
    assert spec.scheduler_name == "default-scheduler"
    assert spec.containers[0].image_pull_policy == "IfNotPresent"
    assert spec.containers[0].termination_message_path == "/dev/termination-log"
    assert spec.containers[0].termination_message_policy == "File"
    assert created.status.phase == "Pending"
    assert created.status.qos_class == "BestEffort"

    got = core.read_namespaced_pod("web", ns)
    assert (got.metadata.uid, got.metadata.resource_version) == (meta.uid, meta.resource_version)

    listed = core.list_namespaced_pod(ns)
    assert names(listed.items) == ["web"]
    assert listed.metadata.resource_version

    # Strategic merge patch: labels merge, containers merge by name.
    patched = core.patch_namespaced_pod("web", ns, {"metadata": {"labels": {"tier": "front"}}})
    assert patched.metadata.labels == {"app": "web", "tier": "front"}
    assert int(patched.metadata.resource_version) > int(meta.resource_version)
    patched = core.patch_namespaced_pod(
        "web", ns, {"spec": {"containers": [{"name": "c", "image": "busybox:1.37"}]}})
    [container] = patched.spec.containers
    assert container.image == "busybox:1.37"
    assert container.command == ["sleep", "3600"]
    assert patched.status.phase == "Pending"

    current = core.read_namespaced_pod("web", ns)
    current.metadata.annotations = {"note": "replaced"}
    replaced = core.replace_namespaced_pod("web", ns, current)
    assert replaced.metadata.annotations == {"note": "replaced"}
    assert replaced.metadata.labels == {"app": "web", "tier": "front"}
    assert int(replaced.metadata.resource_version) > int(patched.metadata.resource_version)
    assert replaced.metadata.uid == meta.uid

    # A pod that was never scheduled is deleted at once; the pods registry
    # answers a delete with the pod itself.
    deleted = core.delete_namespaced_pod("web", ns)
    assert deleted.kind == "Pod" and deleted.metadata.name == "web"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("web", ns)
    assert err.value.status == 404
    assert core.list_namespaced_pod(ns).items == []


# --- deployments ------------------------------------------------------------


def test_deployment_crud_and_scale(apps, ns):
    created = apps.create_namespaced_deployment(ns, deployment("web", replicas=2))
    assert created.metadata.generation == 1
    spec = created.spec
    assert spec.replicas == 2
    assert spec.strategy.type == "RollingUpdate"
    assert spec.strategy.rolling_update.max_surge == "25%"
    assert spec.strategy.rolling_update.max_unavailable == "25%"
    assert spec.revision_history_limit == 10
    assert spec.progress_deadline_seconds == 600
    assert spec.template.spec.restart_policy == "Always"
    assert spec.template.spec.containers[0].ports[0].protocol == "TCP"

    got = apps.read_namespaced_deployment("web", ns)
    assert got.metadata.uid == created.metadata.uid
    assert names(apps.list_namespaced_deployment(ns).items) == ["web"]

    # A spec change bumps metadata.generation, and so does an annotation
    # change (deployments copy annotations to their replica sets); a label
    # change does not.
    patched = apps.patch_namespaced_deployment(
        "web", ns, {"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.26"}]}}}})
    assert patched.metadata.generation == 2
    [container] = patched.spec.template.spec.containers
    assert container.image == "nginx:1.26" and container.ports[0].container_port == 80
    labelled = apps.patch_namespaced_deployment("web", ns, {"metadata": {"labels": {"x": "y"}}})
    assert labelled.metadata.generation == 2
    assert labelled.metadata.labels == {"app": "web", "x": "y"}
    annotated = apps.patch_namespaced_deployment(
        "web", ns, {"metadata": {"annotations": {"note": "n"}}})
    assert annotated.metadata.generation == 3

    current = apps.read_namespaced_deployment("web", ns)
    current.spec.replicas = 4
    replaced = apps.replace_namespaced_deployment("web", ns, current)
    assert replaced.spec.replicas == 4
    assert replaced.metadata.generation == 4

    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert (scale.kind, scale.api_version) == ("Scale", "autoscaling/v1")
    assert (scale.metadata.name, scale.metadata.namespace) == ("web", ns)
    assert scale.metadata.uid == created.metadata.uid
    assert scale.spec.replicas == 4
    assert scale.status.selector == "app=web"

    scaled = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 1}})
    assert scaled.spec.replicas == 1
    assert apps.read_namespaced_deployment_scale("web", ns).spec.replicas == 1
    after = apps.read_namespaced_deployment("web", ns)
    assert after.spec.replicas == 1
    assert after.metadata.generation == 5
    assert after.spec.template.spec.containers[0].image == "nginx:1.26"

    scale = apps.read_namespaced_deployment_scale("web", ns)
    scale.spec.replicas = 3
    assert apps.replace_namespaced_deployment_scale("web", ns, scale).spec.replicas == 3
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 3

    # Deployments are not returned on delete: the answer is a Success Status
    # (this client hands a delete's answer back as a plain dict).
    status = apps.delete_namespaced_deployment("web", ns)
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == "web" and status["details"]["kind"] == "deployments"
    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("web", ns)
    assert err.value.status == 404
    assert status_of(err.value)["message"] == 'deployments.apps "web" not found'


# --- watch ------------------------------------------------------------------


def test_watch_configmaps_resumed_from_resource_version(core, ns):
    a = core.create_namespaced_config_map(ns, configmap("a", v="1"))
    b = core.create_namespaced_config_map(ns, configmap("b", v="1"))
    c = core.create_namespaced_config_map(ns, configmap("c", v="1"))
    b2 = core.patch_namespaced_config_map("b", ns, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("c", ns)

    events = collect_watch(core.list_namespaced_config_map, ns, a.metadata.resource_version)
    kinds = [(t, n) for t, n, _ in events]
    assert kinds == [("ADDED", "b"), ("ADDED", "c"), ("MODIFIED", "b"), ("DELETED", "c")]
    versions = [int(v) for _, _, v in events]
    assert versions[:3] == [int(b.metadata.resource_version), int(c.metadata.resource_version),
                            int(b2.metadata.resource_version)]
    # A DELETED event carries the revision of the delete.
    assert versions == sorted(set(versions))
    assert versions[3] > versions[2]


def test_watch_pods_resumed_from_resource_version(core, ns):
    first = core.create_namespaced_pod(ns, pod("p1", app="w"))
    p2 = core.create_namespaced_pod(ns, pod("p2", app="w"))
    p3 = core.create_namespaced_pod(ns, pod("p3", app="w"))
    p2b = core.patch_namespaced_pod("p2", ns, {"metadata": {"labels": {"seen": "yes"}}})

    events = collect_watch(core.list_namespaced_pod, ns, first.metadata.resource_version)
    assert events == [
        ("ADDED", "p2", p2.metadata.resource_version),
        ("ADDED", "p3", p3.metadata.resource_version),
        ("MODIFIED", "p2", p2b.metadata.resource_version),
    ]


def test_watch_deployments_resumed_from_resource_version(apps, ns):
    first = apps.create_namespaced_deployment(ns, deployment("d1"))
    d2 = apps.create_namespaced_deployment(ns, deployment("d2"))
    d3 = apps.create_namespaced_deployment(ns, deployment("d3"))
    d2b = apps.patch_namespaced_deployment_scale("d2", ns, {"spec": {"replicas": 5}})
    apps.delete_namespaced_deployment("d3", ns)

    events = collect_watch(apps.list_namespaced_deployment, ns, first.metadata.resource_version)
    assert [(t, n) for t, n, _ in events] == [
        ("ADDED", "d2"), ("ADDED", "d3"), ("MODIFIED", "d2"), ("DELETED", "d3")]
    assert [v for _, _, v in events[:3]] == [
        d2.metadata.resource_version, d3.metadata.resource_version,
        d2b.metadata.resource_version]


def test_watch_from_list_resource_version_sees_only_later_changes(core, ns):
    core.create_namespaced_config_map(ns, configmap("before"))
    listed = core.list_namespaced_config_map(ns)
    core.create_namespaced_config_map(ns, configmap("after"))
    events = collect_watch(core.list_namespaced_config_map, ns, listed.metadata.resource_version)
    assert [(t, n) for t, n, _ in events] == [("ADDED", "after")]


# --- selectors --------------------------------------------------------------


def test_label_and_field_selectors(core, ns):
    core.create_namespaced_pod(ns, pod("p1", app="web", tier="front"))
    core.create_namespaced_pod(ns, pod("p2", app="web", tier="back"))
    core.create_namespaced_pod(ns, pod("p3", app="db"))

    def pods(**kw) -> list[str]:
        return sorted(names(core.list_namespaced_pod(ns, **kw).items))

    assert pods(label_selector="app=web") == ["p1", "p2"]
    assert pods(label_selector="app==web,tier=back") == ["p2"]
    assert pods(label_selector="app!=web") == ["p3"]
    assert pods(label_selector="tier") == ["p1", "p2"]
    assert pods(label_selector="!tier") == ["p3"]
    assert pods(label_selector="app in (web,db),tier notin (back)") == ["p1", "p3"]
    assert pods(label_selector="app=nothing") == []

    assert pods(field_selector="metadata.name=p2") == ["p2"]
    assert pods(field_selector="metadata.name!=p2") == ["p1", "p3"]
    assert pods(field_selector="status.phase=Pending") == ["p1", "p2", "p3"]
    assert pods(field_selector="status.phase=Running") == []
    assert pods(field_selector="spec.nodeName=") == ["p1", "p2", "p3"]
    assert pods(field_selector="status.phase=Pending,metadata.name=p3") == ["p3"]
    assert pods(label_selector="app=web", field_selector="metadata.name=p1") == ["p1"]

    everywhere = core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={ns}",
                                                  label_selector="app=web")
    assert sorted(names(everywhere.items)) == ["p1", "p2"]

    core.create_namespaced_config_map(ns, configmap("cm1"))
    core.create_namespaced_config_map(ns, configmap("cm2"))
    found = core.list_namespaced_config_map(ns, field_selector="metadata.name=cm2")
    assert names(found.items) == ["cm2"]


# --- pagination -------------------------------------------------------------


def test_list_pagination_is_a_consistent_snapshot(core, ns):
    for i in range(7):
        core.create_namespaced_config_map(ns, configmap(f"cm-{i}"))

    first = core.list_namespaced_config_map(ns, limit=3)
    assert names(first.items) == ["cm-0", "cm-1", "cm-2"]
    assert first.metadata._continue
    assert first.metadata.remaining_item_count == 4

    # Changes after the first page do not show in the later pages: they are
    # served from the first page's revision.
    core.delete_namespaced_config_map("cm-4", ns)
    core.create_namespaced_config_map(ns, configmap("cm-9"))

    seen = names(first.items)
    token = first.metadata._continue
    pages = 1
    while token and pages < 10:
        page = core.list_namespaced_config_map(ns, limit=3, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        assert len(page.items) <= 3
        seen += names(page.items)
        token = page.metadata._continue
        pages += 1
    assert pages == 3 and not token
    assert seen == [f"cm-{i}" for i in range(7)]

    fresh = core.list_namespaced_config_map(ns)
    assert names(fresh.items) == ["cm-0", "cm-1", "cm-2", "cm-3", "cm-5", "cm-6", "cm-9"]
    assert not fresh.metadata._continue


# --- errors -----------------------------------------------------------------


def test_errors_are_status_objects(core, apps, ns):
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("missing", ns)
    body = status_of(err.value)
    assert err.value.status == 404
    assert body["reason"] == "NotFound"
    assert body["message"] == 'pods "missing" not found'
    assert body["details"] == {"name": "missing", "kind": "pods"}

    with pytest.raises(ApiException) as err:
        apps.read_namespaced_deployment("missing", ns)
    body = status_of(err.value)
    assert (err.value.status, body["reason"]) == (404, "NotFound")
    assert body["details"] == {"name": "missing", "group": "apps", "kind": "deployments"}

    original = core.create_namespaced_config_map(ns, configmap("dup", k="v"))
    with pytest.raises(ApiException) as err:
        core.create_namespaced_config_map(ns, configmap("dup", k="other"))
    body = status_of(err.value)
    assert err.value.status == 409
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "configmaps"}
    assert core.read_namespaced_config_map("dup", ns).data == {"k": "v"}

    core.patch_namespaced_config_map("dup", ns, {"data": {"k": "newer"}})
    stale = original
    stale.data = {"k": "stale"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map("dup", ns, stale)
    body = status_of(err.value)
    assert err.value.status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "dup": the object has been modified; '
        "please apply your changes to the latest version and try again")
    assert body["details"]["name"] == "dup" and body["details"]["kind"] == "configmaps"
    assert core.read_namespaced_config_map("dup", ns).data == {"k": "newer"}


# --- custom resources through the dynamic client ----------------------------


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": CRD_NAME},
    "spec": {
        "group": "stable.example.com",
        "scope": "Namespaced",
        "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                  "listKind": "CronTabList", "shortNames": ["ct"]},
        "versions": [{
            "name": "v1",
            "served": True,
            "storage": True,
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["cronSpec"],
                        "properties": {
                            "cronSpec": {"type": "string"},
                            "replicas": {"type": "integer", "minimum": 1, "default": 1},
                            "image": {"type": "string"},
                        },
                    },
                    "status": {
                        "type": "object",
                        "properties": {"phase": {"type": "string"},
                                       "replicas": {"type": "integer"}},
                    },
                },
            }},
            "subresources": {"status": {}},
            "additionalPrinterColumns": [
                {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            ],
        }],
    },
}


def crontab(name: str, **spec) -> dict:
    return {"apiVersion": CRONTAB_API, "kind": "CronTab", "metadata": {"name": name},
            "spec": spec}


def install_crd(ext: client.ApiextensionsV1Api, timeout: float = 30.0) -> None:
    ext.create_custom_resource_definition(CRD)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crd = ext.read_custom_resource_definition(CRD_NAME)
        conditions = {c.type: c.status for c in (crd.status.conditions or [])}
        if conditions.get("Established") == "True":
            return
        time.sleep(0.2)
    raise AssertionError(f"{CRD_NAME} not Established after {timeout}s")


def discover_crontabs(api, cache_file: str, timeout: float = 30.0):
    """The CronTab resource, once the dynamic client's discovery shows it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            dyn = DynamicClient(api, cache_file=cache_file)
            return dyn, dyn.resources.get(api_version=CRONTAB_API, kind="CronTab")
        except ResourceNotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def wait_gone(read, timeout: float = 30.0) -> int:
    """Poll `read` until it fails with 404; the status of the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            read()
        except (ApiException, DynamicApiError) as e:
            if e.status == 404 or time.monotonic() > deadline:
                return e.status
        else:
            if time.monotonic() > deadline:
                return 200
        time.sleep(0.2)


def cause_fields(exc: DynamicApiError) -> dict[str, str]:
    body = json.loads(exc.body)
    assert body["kind"] == "Status" and body["reason"] == "Invalid", body
    assert body["details"]["kind"] == "CronTab", body
    assert body["details"]["group"] == "stable.example.com", body
    return {c.get("field"): c.get("reason") for c in body["details"].get("causes", [])}


def test_dynamic_client_custom_resource(api, ns, tmp_path):
    ext = client.ApiextensionsV1Api(api)
    install_crd(ext)
    dyn, crontabs = discover_crontabs(api, str(tmp_path / "discovery.json"))
    assert crontabs.namespaced and crontabs.name == "crontabs"
    assert "ct" in crontabs.short_names

    # create: the schema's default fills spec.replicas; status is not
    # writable through the main resource, not even on create.
    body = crontab("ct1", cronSpec="* * * * */5", image="cron:1")
    body["status"] = {"phase": "Sneaky"}
    created = crontabs.create(body=body, namespace=ns)
    assert created.spec.replicas == 1
    assert created.spec.cronSpec == "* * * * */5"
    assert created.metadata.generation == 1 and created.metadata.uid
    assert "status" not in created.to_dict()

    got = crontabs.get(name="ct1", namespace=ns)
    assert got.metadata.uid == created.metadata.uid and got.spec.replicas == 1
    listed = crontabs.get(namespace=ns)
    assert listed.kind == "CronTabList"
    assert [item.metadata.name for item in listed.items] == ["ct1"]

    patched = crontabs.patch(name="ct1", namespace=ns, body={"spec": {"image": "cron:2"}},
                             content_type="application/merge-patch+json")
    assert patched.spec.image == "cron:2" and patched.spec.cronSpec == "* * * * */5"
    assert patched.metadata.generation == 2

    # Custom resources have no strategic merge patch (the dynamic client's default).
    with pytest.raises(DynamicApiError) as err:
        crontabs.patch(name="ct1", namespace=ns, body={"spec": {"image": "cron:3"}})
    assert err.value.status == 415
    assert json.loads(err.value.body)["reason"] == "UnsupportedMediaType"

    # Schema validation: 422 Invalid with the offending field as a cause.
    with pytest.raises(DynamicApiError) as err:
        crontabs.create(body=crontab("bad-replicas", cronSpec="* * * * *", replicas=0),
                        namespace=ns)
    assert err.value.status == 422
    assert cause_fields(err.value).get("spec.replicas") == "FieldValueInvalid"
    with pytest.raises(DynamicApiError) as err:
        crontabs.create(body=crontab("no-cronspec", image="cron:1"), namespace=ns)
    assert err.value.status == 422
    assert cause_fields(err.value).get("spec.cronSpec") == "FieldValueRequired"
    with pytest.raises(DynamicApiError) as err:
        crontabs.create(body=crontab("bad-type", cronSpec="* * * * *", replicas="two"),
                        namespace=ns)
    assert err.value.status == 422
    assert "spec.replicas" in cause_fields(err.value)
    with pytest.raises(DynamicApiError) as err:
        crontabs.patch(name="ct1", namespace=ns, body={"spec": {"replicas": 0}},
                       content_type="application/merge-patch+json")
    assert err.value.status == 422
    assert [item.metadata.name for item in crontabs.get(namespace=ns).items] == ["ct1"]

    # The status subresource: /status writes status only, the main resource
    # writes everything but status.
    current = crontabs.get(name="ct1", namespace=ns).to_dict()
    status_before = current.get("status")
    current["spec"]["image"] = "cron:4"
    current["status"] = {"phase": "Ignored"}
    replaced = crontabs.replace(body=current, namespace=ns)
    assert replaced.spec.image == "cron:4"
    assert replaced.to_dict().get("status") == status_before
    generation = replaced.metadata.generation
    assert generation == 3

    status = crontabs.status.patch(
        name="ct1", namespace=ns,
        body={"status": {"phase": "Running", "replicas": 1}, "spec": {"image": "cron:5"}},
        content_type="application/merge-patch+json")
    assert status.status.phase == "Running" and status.status.replicas == 1
    assert status.spec.image == "cron:4"
    assert status.metadata.generation == generation
    assert crontabs.status.get(name="ct1", namespace=ns).status.phase == "Running"

    crontabs.patch(name="ct1", namespace=ns, body={"status": {"phase": "Failed"}},
                   content_type="application/merge-patch+json")
    assert crontabs.get(name="ct1", namespace=ns).status.phase == "Running"

    # additionalPrinterColumns make the server-side table.
    table = dyn.request("get", f"/apis/{CRONTAB_API}/namespaces/{ns}/crontabs",
                        header_params={"Accept": TABLE})
    assert table.kind == "Table"
    columns = [c["name"] for c in table.to_dict()["columnDefinitions"]]
    assert columns == ["Name", "Spec", "Replicas", "Age"]
    [row] = table.to_dict()["rows"]
    assert row["cells"][:3] == ["ct1", "* * * * */5", 1]

    deleted = crontabs.delete(name="ct1", namespace=ns)
    assert deleted.kind in ("CronTab", "Status")
    with pytest.raises(DynamicApiError) as err:
        crontabs.get(name="ct1", namespace=ns)
    assert err.value.status == 404

    # Deleting the CRD deletes its objects: they are gone even once the same
    # CRD is created again.
    crontabs.create(body=crontab("ct2", cronSpec="0 * * * *"), namespace=ns)
    crontabs.create(body=crontab("ct3", cronSpec="0 0 * * *"), namespace=ns)
    ext.delete_custom_resource_definition(CRD_NAME)
    assert wait_gone(lambda: ext.read_custom_resource_definition(CRD_NAME)) == 404
    assert wait_gone(lambda: crontabs.get(name="ct2", namespace=ns)) == 404
    assert wait_gone(lambda: crontabs.get(name="ct3", namespace=ns)) == 404

    install_crd(ext)
    _, crontabs = discover_crontabs(api, str(tmp_path / "discovery2.json"))
    assert crontabs.get(namespace=ns).items == []
    ext.delete_custom_resource_definition(CRD_NAME)
    assert wait_gone(lambda: ext.read_custom_resource_definition(CRD_NAME)) == 404
