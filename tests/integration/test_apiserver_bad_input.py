"""Bad input to `kubelite apiserver` over raw HTTPS (issue 3): each request
gets the status code a real kube-apiserver answers, with a Status body that
says what is wrong, and changes nothing (the objects in play are listed
before and after). Runs with the API server on kubelite's store and on a
real etcd 3.4.

Requests are made with tests.rawhttp (http.client, the generated CA and the
admin token).
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest

from tests.rawhttp import JSON, Raw, Reply

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def ns(raw) -> str:
    """A namespace holding one ConfigMap ("existing") and one Pod ("pod")."""
    name = f"bad-{uuid.uuid4().hex[:6]}"
    created = raw.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert created.status == 201, created.body
    made = raw.request("POST", f"/api/v1/namespaces/{name}/configmaps", configmap("existing"))
    assert made.status == 201, made.body
    made = raw.request("POST", f"/api/v1/namespaces/{name}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}})
    assert made.status == 201, made.body
    return name


def configmap(name: str | None, **extra) -> dict:
    meta = {} if name is None else {"name": name}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {"k": "v"}, **extra}


def snapshot(raw: Raw, ns: str) -> dict[str, list]:
    """What the requests here could touch: the names of all namespaces, and
    (name, resourceVersion) of `ns` and of the objects in it. (A terminating
    namespace elsewhere may still be changed by the server's own clean-up.)"""
    reply = raw.request("GET", "/api/v1/namespaces")
    assert reply.status == 200, reply.body
    items = reply.json()["items"]
    out: dict[str, list] = {
        "namespaces": sorted(item["metadata"]["name"] for item in items),
        "namespace": [item["metadata"]["resourceVersion"] for item in items
                      if item["metadata"]["name"] == ns],
    }
    for kind, path in [("configmaps", f"/api/v1/namespaces/{ns}/configmaps"),
                       ("pods", f"/api/v1/namespaces/{ns}/pods"),
                       ("deployments", f"/apis/apps/v1/namespaces/{ns}/deployments")]:
        reply = raw.request("GET", path)
        assert reply.status == 200, reply.body
        out[kind] = sorted((item["metadata"]["name"], item["metadata"]["resourceVersion"])
                           for item in reply.json()["items"])
    return out


def expect_status(reply: Reply, code: int, reason: str) -> dict:
    """The reply is a Kubernetes Status for this failure; its body."""
    assert reply.status == code, (reply.status, reply.body[:2000])
    assert reply.headers.get_content_type() == JSON, reply.headers
    body = reply.json()
    assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
    assert body["status"] == "Failure", body
    assert body["code"] == code and body["reason"] == reason, body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def causes(body: dict) -> dict[str, str]:
    return {c.get("field"): c.get("reason") for c in body.get("details", {}).get("causes", [])}


@pytest.fixture
def unchanged(raw, ns):
    """Fails the test if anything in play changed."""
    before = snapshot(raw, ns)
    yield
    assert snapshot(raw, ns) == before


# --- request bodies ---------------------------------------------------------

CM_PATH = "/api/v1/namespaces/{ns}/configmaps"

BAD_BODIES = {
    # name: (body, content type, code, reason, text the message must hold)
    "malformed json": (b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"',
                       JSON, 400, "BadRequest", None),
    "json array": (b"[1, 2, 3]", JSON, 400, "BadRequest", None),
    "malformed yaml": (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n  : :\n",
                       "application/yaml", 400, "BadRequest", None),
    "wrong apiVersion": (json.dumps(configmap("x", apiVersion="apps/v1")).encode(),
                         JSON, 400, "BadRequest", "apps/v1"),
    "unknown apiVersion": (json.dumps(configmap("x", apiVersion="v2")).encode(),
                           JSON, 400, "BadRequest", "v2"),
    "data of the wrong type": (json.dumps(configmap("x", data={"k": 1})).encode(),
                               JSON, 400, "BadRequest",
                               'ConfigMap in version "v1" cannot be handled as a ConfigMap'),
    "metadata of the wrong type": (
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": "x"}).encode(),
        JSON, 400, "BadRequest", 'ConfigMap in version "v1" cannot be handled as a ConfigMap'),
    "unsupported content type": (json.dumps(configmap("x")).encode(), "text/plain",
                                 415, "UnsupportedMediaType", None),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_create_bodies(raw, ns, unchanged, case):
    body, content_type, code, reason, text = BAD_BODIES[case]
    reply = raw.request("POST", CM_PATH.format(ns=ns), body, content_type=content_type)
    status = expect_status(reply, code, reason)
    if text is not None:
        assert text in status["message"], status


def test_missing_content_type_is_read_as_json(raw, ns, unchanged):
    # kube-apiserver takes a body without Content-Type as its first
    # serializer, JSON (the official Python client sends none on POST,
    # PUT and DELETE). dryRun keeps it from changing anything.
    reply = raw.request("POST", CM_PATH.format(ns=ns) + "?dryRun=All", configmap("no-ct"),
                        content_type=None)
    assert reply.status == 201, reply.body
    assert reply.json()["metadata"]["name"] == "no-ct"
    reply = raw.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/existing?dryRun=All")
    assert reply.status == 200, reply.body


def test_oversized_body(raw, ns, unchanged):
    big = configmap("big", data={"k": "x" * (3 * MiB + 512 * 1024)})
    reply = raw.request("POST", CM_PATH.format(ns=ns), big)
    status = expect_status(reply, 413, "RequestEntityTooLarge")
    assert status["message"] == f"Request entity too large: limit is {3 * MiB}"


def test_type_error_in_a_deployment(raw, ns, unchanged):
    body = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": "three", "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "c", "image": "x"}]}}},
    }
    reply = raw.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", body)
    status = expect_status(reply, 400, "BadRequest")
    assert 'Deployment in version "v1" cannot be handled as a Deployment' in status["message"]
    assert "replicas" in status["message"]


def test_namespace_in_body_must_match_the_url(raw, ns, unchanged):
    body = configmap("elsewhere")
    body["metadata"]["namespace"] = "default"
    reply = raw.request("POST", CM_PATH.format(ns=ns), body)
    status = expect_status(reply, 400, "BadRequest")
    assert status["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request")


def test_name_in_body_must_match_the_url(raw, ns, unchanged):
    current = raw.request("GET", f"/api/v1/namespaces/{ns}/configmaps/existing").json()
    current["metadata"]["name"] = "other"
    reply = raw.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/existing", current)
    status = expect_status(reply, 400, "BadRequest")
    assert status["message"] == (
        "the name of the object (other) does not match the name on the URL (existing)")


# --- names ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Bad_Name", "a" * 254, "-leading-dash", "dots..twice"])
def test_invalid_configmap_names(raw, ns, unchanged, name):
    reply = raw.request("POST", CM_PATH.format(ns=ns), configmap(name))
    status = expect_status(reply, 422, "Invalid")
    assert status["message"].startswith(
        f'ConfigMap "{name}" is invalid: metadata.name: Invalid value: "{name}"'), status
    assert status["details"]["name"] == name and status["details"]["kind"] == "ConfigMap"
    assert causes(status) == {"metadata.name": "FieldValueInvalid"}


def test_namespace_names_are_dns_labels(raw, ns, unchanged):
    reply = raw.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "has.dots"}})
    status = expect_status(reply, 422, "Invalid")
    assert causes(status) == {"metadata.name": "FieldValueInvalid"}
    assert "RFC 1123 label" in status["message"]


def test_missing_name(raw, ns, unchanged):
    reply = raw.request("POST", CM_PATH.format(ns=ns), configmap(None))
    status = expect_status(reply, 422, "Invalid")
    assert causes(status) == {"metadata.name": "FieldValueRequired"}
    assert "name or generateName is required" in status["message"]


# --- paths ------------------------------------------------------------------


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/v1/gizmos"),
    ("GET", "/api/v1/namespaces/{ns}/gizmos"),
    ("POST", "/api/v1/namespaces/{ns}/gizmos"),
    ("GET", "/apis/nope.example.com/v1/things"),
    ("GET", "/api/v9/pods"),
])
def test_unknown_resources(raw, ns, unchanged, method, path):
    body = {"apiVersion": "v1", "kind": "Gizmo", "metadata": {"name": "g"}}
    reply = raw.request(method, path.format(ns=ns), body if method == "POST" else None)
    status = expect_status(reply, 404, "NotFound")
    assert status["message"] == "the server could not find the requested resource"


def test_method_not_allowed(raw, ns, unchanged):
    reply = raw.request("POST", f"/api/v1/namespaces/{ns}/configmaps/existing",
                        configmap("existing"))
    expect_status(reply, 405, "MethodNotAllowed")


def test_namespace_that_does_not_exist(raw, ns, unchanged):
    reply = raw.request("POST", "/api/v1/namespaces/no-such-ns/configmaps", configmap("x"))
    status = expect_status(reply, 404, "NotFound")
    assert status["message"] == 'namespaces "no-such-ns" not found'
    assert status["details"]["name"] == "no-such-ns"
    assert status["details"]["kind"] == "namespaces"


def test_terminating_namespace_refuses_creates(raw, ns):
    # A finalizer nobody removes keeps the namespace Terminating.
    name = f"term-{uuid.uuid4().hex[:6]}"
    made = raw.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "finalizers": ["example.com/hold"]}})
    assert made.status == 201, made.body
    gone = raw.request("DELETE", f"/api/v1/namespaces/{name}", {})
    assert gone.status in (200, 202), gone.body
    terminating = raw.request("GET", f"/api/v1/namespaces/{name}").json()
    assert terminating["metadata"].get("deletionTimestamp")
    assert terminating["status"]["phase"] == "Terminating"

    reply = raw.request("POST", f"/api/v1/namespaces/{name}/configmaps", configmap("late"))
    status = expect_status(reply, 403, "Forbidden")
    assert status["message"] == (
        f'configmaps "late" is forbidden: unable to create new content in namespace {name} '
        "because it is being terminated")
    assert causes(status) == {"metadata.namespace": "NamespaceTerminating"}
    listed = raw.request("GET", f"/api/v1/namespaces/{name}/configmaps")
    assert listed.status == 200 and listed.json()["items"] == [], listed.body


# --- selectors --------------------------------------------------------------


BAD_SELECTORS = {
    # name: (query, text the message must hold)
    "unclosed set": ("labelSelector=" + quote("app in (web"), None),
    "two operators": ("labelSelector=" + quote("a=b=c"), None),
    "invalid label key": ("labelSelector=" + quote("Bad Key=x"), None),
    "field without operator": ("fieldSelector=" + quote("metadata.name"), None),
    # ConfigMaps take only the fields every kind has.
    "unsupported field": (
        "fieldSelector=" + quote("data.k=v"),
        '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    "pod field on configmaps": (
        "fieldSelector=" + quote("spec.nodeName=x"),
        '"spec.nodeName" is not a known field selector'),
}


@pytest.mark.parametrize("case", list(BAD_SELECTORS))
def test_bad_selectors_on_configmaps(raw, ns, unchanged, case):
    query, text = BAD_SELECTORS[case]
    for suffix in ("", "&watch=true&timeoutSeconds=1"):
        reply = raw.request("GET", CM_PATH.format(ns=ns) + "?" + query + suffix)
        status = expect_status(reply, 400, "BadRequest")
        if text is not None:
            assert text in status["message"], status


def test_unsupported_pod_field_selector(raw, ns, unchanged):
    reply = raw.request("GET", f"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.image%3Dx")
    status = expect_status(reply, 400, "BadRequest")
    assert "field label not supported: spec.image" in status["message"]


# --- patches ----------------------------------------------------------------

EXISTING = "/api/v1/namespaces/{ns}/configmaps/existing"

BAD_PATCHES = {
    # name: (content type, body, code, reason, the field of the cause if one is due)
    "json patch that is not a list": (
        "application/json-patch+json", b'{"op": "add", "path": "/data/a", "value": "b"}',
        400, "BadRequest", None),
    "json patch that is not json": (
        "application/json-patch+json", b'[{"op": "add", ', 400, "BadRequest", None),
    "json patch on a missing path": (
        "application/json-patch+json",
        b'[{"op": "replace", "path": "/data/missing", "value": "x"}]', 422, "Invalid", None),
    "json patch failing test": (
        "application/json-patch+json",
        b'[{"op": "test", "path": "/data/k", "value": "other"},'
        b' {"op": "replace", "path": "/data/k", "value": "x"}]', 422, "Invalid", None),
    "merge patch that is not json": (
        "application/merge-patch+json", b'{"data": {', 400, "BadRequest", None),
    "strategic patch that is not json": (
        "application/strategic-merge-patch+json", b'{"data": ', 400, "BadRequest", None),
    # A patch whose result does not decode is refused as an invalid "patch".
    "merge patch giving a wrong type": (
        "application/merge-patch+json", b'{"data": {"k": 1}}', 422, "Invalid", "patch"),
    "strategic patch giving a wrong type": (
        "application/strategic-merge-patch+json", b'{"data": "text"}', 422, "Invalid", "patch"),
    "patch as plain json": (JSON, b'{"data": {"k": "x"}}', 415, "UnsupportedMediaType", None),
    "patch as text": ("text/plain", b'{"data": {"k": "x"}}', 415, "UnsupportedMediaType", None),
}


@pytest.mark.parametrize("case", list(BAD_PATCHES))
def test_bad_patches(raw, ns, unchanged, case):
    content_type, body, code, reason, field = BAD_PATCHES[case]
    reply = raw.request("PATCH", EXISTING.format(ns=ns), body, content_type=content_type)
    status = expect_status(reply, code, reason)
    if field is not None:
        assert causes(status) == {field: "FieldValueInvalid"}, status


def test_strict_patch_with_an_unknown_field(raw, ns, unchanged):
    # Unlike a create, a strict patch is refused as an invalid "patch" (422).
    reply = raw.request("PATCH", EXISTING.format(ns=ns) + "?fieldValidation=Strict",
                        b'{"bogus": 1}', content_type="application/merge-patch+json")
    status = expect_status(reply, 422, "Invalid")
    assert 'strict decoding error: unknown field "bogus"' in status["message"]
    assert causes(status) == {"patch": "FieldValueInvalid"}


# --- field validation and dry run -------------------------------------------


def test_strict_field_validation_rejects_unknown_fields(raw, ns, unchanged):
    reply = raw.request("POST", CM_PATH.format(ns=ns) + "?fieldValidation=Strict",
                        configmap("strict", bogus=1))
    status = expect_status(reply, 400, "BadRequest")
    assert 'strict decoding error: unknown field "bogus"' in status["message"]

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "strict"},
           "spec": {"containers": [{"name": "c", "image": "x", "imagePullPolcy": "Always"}]}}
    reply = raw.request("POST", f"/api/v1/namespaces/{ns}/pods?fieldValidation=Strict", pod)
    status = expect_status(reply, 400, "BadRequest")
    assert ('strict decoding error: unknown field "spec.containers[0].imagePullPolcy"'
            in status["message"])


def test_warn_and_ignore_field_validation(raw, ns, unchanged):
    reply = raw.request("POST", CM_PATH.format(ns=ns) + "?fieldValidation=Warn&dryRun=All",
                        configmap("warned", bogus=1))
    assert reply.status == 201, reply.body
    warning = reply.headers.get("Warning") or ""
    assert warning.startswith("299 - ") and "unknown field" in warning, reply.headers
    assert "bogus" in warning, reply.headers
    assert "bogus" not in reply.json()

    reply = raw.request("POST", CM_PATH.format(ns=ns) + "?fieldValidation=Ignore&dryRun=All",
                        configmap("ignored", bogus=1))
    assert reply.status == 201, reply.body
    assert reply.headers.get("Warning") is None


def test_dry_run_changes_nothing(raw, ns, unchanged):
    created = raw.request("POST", CM_PATH.format(ns=ns) + "?dryRun=All", configmap("dry"))
    assert created.status == 201, created.body
    assert created.json()["metadata"]["name"] == "dry"
    assert raw.request("GET", f"/api/v1/namespaces/{ns}/configmaps/dry").status == 404

    patched = raw.request("PATCH", EXISTING.format(ns=ns) + "?dryRun=All",
                          b'{"data": {"k": "dry"}}', content_type="application/merge-patch+json")
    assert patched.status == 200, patched.body
    assert patched.json()["data"] == {"k": "dry"}

    current = raw.request("GET", EXISTING.format(ns=ns)).json()
    current["data"] = {"k": "replaced"}
    replaced = raw.request("PUT", EXISTING.format(ns=ns) + "?dryRun=All", current)
    assert replaced.status == 200, replaced.body
    assert replaced.json()["data"] == {"k": "replaced"}

    deleted = raw.request("DELETE", EXISTING.format(ns=ns) + "?dryRun=All", {})
    assert deleted.status == 200, deleted.body
    assert raw.request("GET", EXISTING.format(ns=ns)).json()["data"] == {"k": "v"}


# --- authentication ---------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-token", ""], ids=["none", "wrong", "empty"])
def test_unauthenticated_requests(raw, ns, unchanged, token):
    for method, path, body in [
        ("GET", "/api/v1/namespaces", None),
        ("GET", "/api", None),
        ("GET", "/apis", None),
        ("GET", "/openapi/v2", None),
        ("GET", "/metrics", None),
        ("POST", CM_PATH.format(ns=ns), configmap("anon")),
        ("DELETE", EXISTING.format(ns=ns), {}),
    ]:
        reply = raw.request(method, path, body, token=token)
        status = expect_status(reply, 401, "Unauthorized")
        assert status["message"] == "Unauthorized"


def test_public_health_and_version(raw):
    for path in ("/healthz", "/livez", "/readyz"):
        reply = raw.request("GET", path, token=None)
        assert (reply.status, reply.body) == (200, b"ok"), (path, reply.body)
    for path in ("/version", "/version/"):
        reply = raw.request("GET", path, token=None)
        assert reply.status == 200, (path, reply.body)
        version = reply.json()
        assert version["major"] == "1" and version["gitVersion"].startswith("v1.")


def test_unacceptable_accept_header(raw, ns, unchanged):
    reply = raw.request("GET", CM_PATH.format(ns=ns), headers={"Accept": "text/html"})
    expect_status(reply, 406, "NotAcceptable")
