"""kubectl 1.27 reads kubelite's OpenAPI v2 document in protobuf form.

A small aiohttp server on 127.0.0.1 (plain HTTP) serves discovery for core/v1
and /openapi/v2 built from kubelite's registered resources, as JSON or, when
asked, as gnostic protobuf; it records every request and stores what is
created. kubectl 1.27 always adds `fieldValidation=Strict`; but it leaves the
checking to the server, rather than refusing an unknown field itself, only if
the document's PATCH operation for the kind takes that parameter, so a
manifest with an unknown field reaching the server shows that kubectl read
the protobuf document. kubectl must also compute a
strategic merge patch for a second apply, and explain fields from the
document's definitions (1.27's explain reads v2 unless told otherwise; it
also looks at /openapi/v3, which this server does not serve).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

import kubelite.api.all  # noqa: F401  (fills the registry)
from kubelite.api.resource import REGISTRY
from kubelite.apiserver import openapi_v2_proto
from kubelite.apiserver.openapi import OpenAPI
from tests.apiserverproc import kubectl_binary

KUBECTL = kubectl_binary("1.27")
pytestmark = pytest.mark.skipif(not os.path.exists(KUBECTL), reason=f"{KUBECTL} is not installed")

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  colour: blue
shade: dark
"""
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: {image}
  - name: sidecar
    image: busybox
"""


@dataclass
class FakeServer:
    """Discovery, OpenAPI and just enough of create/get/patch for kubectl."""

    openapi: OpenAPI
    requests: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)
    objects: dict[str, Any] = field(default_factory=dict)
    patches: list[Any] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/api", self._api)
        app.router.add_get("/apis", self._apis)
        app.router.add_get("/api/v1", self._core_v1)
        app.router.add_get("/openapi/v2", self._openapi_v2)
        item = "/api/v1/namespaces/{namespace}/{plural}"
        app.router.add_post(item, self._create)
        app.router.add_get(item + "/{name}", self._get)
        app.router.add_patch(item + "/{name}", self._patch)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path, request.query_string,
                              dict(request.headers)))
        return await handler(request)

    async def _api(self, request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIVersions", "versions": ["v1"],
                                  "serverAddressByClientCIDRs": []})

    async def _apis(self, request: web.Request) -> web.Response:
        return web.json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})

    async def _core_v1(self, request: web.Request) -> web.Response:
        verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
        resources = [
            {"name": "configmaps", "singularName": "configmap", "namespaced": True,
             "kind": "ConfigMap", "verbs": verbs, "shortNames": ["cm"]},
            {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
             "verbs": verbs, "shortNames": ["po"]},
        ]
        return web.json_response({"kind": "APIResourceList", "apiVersion": "v1",
                                  "groupVersion": "v1", "resources": resources})

    async def _openapi_v2(self, request: web.Request) -> web.Response:
        doc = self.openapi.v2_document()
        if openapi_v2_proto.ACCEPT_PREFIX in request.headers.get("Accept", ""):
            return web.Response(body=openapi_v2_proto.encode_json(doc),
                                content_type=openapi_v2_proto.CONTENT_TYPE)
        return web.Response(body=doc, content_type="application/json")

    @staticmethod
    def _not_found(request: web.Request) -> web.Response:
        m = request.match_info
        status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
                  "reason": "NotFound", "message": f'{m["plural"]} "{m["name"]}" not found',
                  "details": {"name": m["name"], "kind": m["plural"]}}
        return web.json_response(status, status=404)

    async def _create(self, request: web.Request) -> web.Response:
        obj = await request.json()
        obj["metadata"].update(namespace=request.match_info["namespace"],
                               resourceVersion="1", uid="0000")
        self.objects[request.path + "/" + obj["metadata"]["name"]] = obj
        return web.json_response(obj, status=201)

    async def _get(self, request: web.Request) -> web.Response:
        obj = self.objects.get(request.path)
        return self._not_found(request) if obj is None else web.json_response(obj)

    async def _patch(self, request: web.Request) -> web.Response:
        self.patches.append(await request.json())
        obj = self.objects.get(request.path)
        return self._not_found(request) if obj is None else web.json_response(obj)

    def sent(self, method: str) -> list[tuple[str, str, str, dict[str, str]]]:
        return [r for r in self.requests if r[0] == method]


@pytest.fixture
async def server() -> AsyncIterator[FakeServer]:
    fake = FakeServer(OpenAPI(REGISTRY.values()))
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


@pytest.fixture
def kubectl(server: FakeServer, tmp_path: Path):
    config = tmp_path / "kubeconfig"
    config.write_text(f"""\
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {{server: "{server.url}"}}
users:
- name: nobody
  user: {{}}
contexts:
- name: fake
  context: {{cluster: fake, user: nobody, namespace: default}}
current-context: fake
""")
    env = dict(os.environ, KUBECONFIG=str(config), HOME=str(tmp_path))
    env.pop("KUBECTL_EXPLAIN_OPENAPIV3", None)

    async def run(*args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            KUBECTL, "--cache-dir", str(tmp_path / "cache"), *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {err.decode()}"
        return out.decode()

    return run


def asked_for_protobuf(server: FakeServer) -> bool:
    pb = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    return any(path == "/openapi/v2" and pb in h.get("Accept", "")
               for _, path, _, h in server.requests)


async def test_create_leaves_validation_to_the_server(server, kubectl, tmp_path):
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(CONFIGMAP)
    assert "configmap/settings created" in await kubectl("create", "-f", str(manifest))
    assert asked_for_protobuf(server)
    [(_, path, query, _)] = server.sent("POST")
    assert path == "/api/v1/namespaces/default/configmaps"
    assert "fieldValidation=Strict" in query.split("&")
    assert server.objects[path + "/settings"]["shade"] == "dark"


async def test_apply_twice_sends_a_strategic_merge_patch(server, kubectl, tmp_path):
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(POD.format(image="nginx:1.25"))
    assert "pod/web created" in await kubectl("apply", "-f", str(manifest))
    manifest.write_text(POD.format(image="nginx:1.27"))
    await kubectl("apply", "-f", str(manifest))
    [(_, path, query, headers)] = server.sent("PATCH")
    assert path == "/api/v1/namespaces/default/pods/web"
    assert "fieldValidation=Strict" in query.split("&")
    assert headers["Content-Type"] == "application/strategic-merge-patch+json"
    [patch] = server.patches
    assert patch["spec"]["$setElementOrder/containers"] == [{"name": "app"}, {"name": "sidecar"}]
    assert patch["spec"]["containers"] == [{"image": "nginx:1.27", "name": "app"}]
    assert asked_for_protobuf(server)


async def test_explain_reads_definitions_from_protobuf(server, kubectl):
    doc = orjson.loads(server.openapi.v2_document())
    data = doc["definitions"]["io.k8s.api.core.v1.ConfigMap"]["properties"]["data"]
    out = await kubectl("explain", "configmap.data")
    assert "KIND:" in out and "ConfigMap" in out
    assert "map[string]string" in out
    assert " ".join(data["description"].split()) in " ".join(out.split())
    assert asked_for_protobuf(server)
