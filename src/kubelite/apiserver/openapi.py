"""OpenAPI documents generated from kubelite's own declarations.

/openapi/v3 lists one document per group-version; each holds the paths of
that group-version's resources (with the `fieldValidation` query parameter
on every write, which is how kubectl learns that the server validates
fields itself) and the schemas they use. /openapi/v2 is the same in one
Swagger 2.0 document. Both are built from kubelite.api.schema.DEFINITIONS
and the registered resources, and cached until the set of resources
changes (a CustomResourceDefinition is established or removed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from kubelite.api.resource import Resource
from kubelite.api.schema import DEFINITIONS, REF_PREFIX, Schema

Obj = dict[str, Any]

INFO = {"title": "Kubernetes", "version": "v1.32.0"}
V2_REF_PREFIX = "#/definitions/"
_QUERY = {
    "dryRun": "When present, the request is checked but nothing is persisted. "
    "The only valid value is All.",
    "fieldManager": "A name for the actor making the change.",
    "fieldValidation": "What to do with unknown or duplicate fields in the object: "
    "Ignore, Warn (the default) or Strict.",
    "pretty": "If 'true', the output is indented.",
}
_LIST_QUERY = [
    "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
    "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch",
]


def group_version_path(res: Resource) -> str:
    return f"apis/{res.group}/{res.version}" if res.group else f"api/{res.version}"


def _refs(schema: Any, found: set[str]) -> None:
    if isinstance(schema, dict):
        target = schema.get("$ref")
        if isinstance(target, str) and target.startswith(REF_PREFIX):
            name = target.removeprefix(REF_PREFIX)
            if name not in found:
                found.add(name)
                _refs(DEFINITIONS[name], found)
        for value in schema.values():
            _refs(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _refs(value, found)


def _reachable(names: Iterable[str]) -> dict[str, Schema]:
    found: set[str] = set()
    for name in names:
        found.add(name)
        _refs(DEFINITIONS[name], found)
    return {n: DEFINITIONS[n] for n in sorted(found)}


def _param(name: str, description: str, kind: str = "string") -> Obj:
    return {"name": name, "in": "query", "description": description,
            "schema": {"type": kind}, "uniqueItems": True}


def _gvk(res: Resource, kind: str | None = None) -> Obj:
    return {"group": res.group, "version": res.version, "kind": kind or res.kind}


def _body(schema_ref: str) -> Obj:
    return {"content": {"application/json": {"schema": {"$ref": schema_ref}}}, "required": True}


def _ok(schema_ref: str, code: str = "200") -> Obj:
    return {code: {"description": "OK", "content": {
        "application/json": {"schema": {"$ref": schema_ref}},
        "application/yaml": {"schema": {"$ref": schema_ref}},
    }}}


def _write_params() -> list[Obj]:
    return [_param(n, d) for n, d in _QUERY.items()]


def _op(res: Resource, action: str, summary: str, *, body: bool, params: list[Obj]) -> Obj:
    ref = REF_PREFIX + res.schema
    op: Obj = {
        "description": summary,
        "operationId": f"{action}{res.kind}",
        "tags": [group_version_path(res).replace("/", "_")],
        "parameters": params,
        "responses": _ok(ref, "201" if action == "create" else "200"),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(res),
    }
    if body:
        op["requestBody"] = _body(ref)
    return op


def resource_paths(res: Resource) -> dict[str, Obj]:
    base = "/" + group_version_path(res)
    scope = f"{base}/namespaces/{{namespace}}" if res.namespaced else base
    path_params = [{"name": "namespace", "in": "path", "required": True,
                    "schema": {"type": "string"}}] if res.namespaced else []
    name_param = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    list_params = [_param(n, n) for n in _LIST_QUERY]
    collection = {
        "get": _op(res, "list", f"list or watch {res.kind} objects", body=False,
                   params=list_params),
        "post": _op(res, "create", f"create a {res.kind}", body=True, params=_write_params()),
        "delete": _op(res, "deletecollection", f"delete a collection of {res.kind}",
                      body=False, params=list_params),
        "parameters": path_params,
    }
    patch = _op(res, "patch", f"partially update the {res.kind}", body=False,
                params=_write_params() + [_param("force", "Force apply.", "boolean")])
    # kubectl apply sends a strategic merge patch only where the PATCH
    # operation lists that media type (never for custom resources).
    media = ["application/json-patch+json", "application/merge-patch+json"]
    if res.strategic_merge:
        media.append("application/strategic-merge-patch+json")
    media.append("application/apply-patch+yaml")
    patch["requestBody"] = {
        "content": {t: {"schema": {"type": "object"}} for t in media}, "required": True,
    }
    item = {
        "get": _op(res, "get", f"read the {res.kind}", body=False, params=[]),
        "put": _op(res, "put", f"replace the {res.kind}", body=True, params=_write_params()),
        "patch": patch,
        "delete": _op(res, "delete", f"delete a {res.kind}", body=False,
                      params=[_param("dryRun", _QUERY["dryRun"]),
                              _param("gracePeriodSeconds", "Seconds to wait.", "integer"),
                              _param("propagationPolicy", "Orphan, Background or Foreground.")]),
        "parameters": path_params + [name_param],
    }
    paths = {f"{scope}/{res.plural}": collection, f"{scope}/{res.plural}/{{name}}": item}
    if res.status_subresource:
        paths[f"{scope}/{res.plural}/{{name}}/status"] = {
            k: item[k] for k in ("get", "put", "patch", "parameters")
        }
    return paths


class OpenAPI:
    """The documents for a set of resources, built on first use."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self._v3: dict[str, bytes] = {}
        self._v2: bytes | None = None

    def _by_group_version(self) -> dict[str, list[Resource]]:
        out: dict[str, list[Resource]] = {}
        for res in self.resources:
            out.setdefault(group_version_path(res), []).append(res)
        return out

    def v3_document(self, gv_path: str) -> bytes | None:
        if gv_path not in self._v3:
            resources = self._by_group_version().get(gv_path)
            if resources is None:
                return None
            paths: dict[str, Obj] = {}
            for res in resources:
                paths.update(resource_paths(res))
            doc = {
                "openapi": "3.0.0",
                "info": INFO,
                "paths": paths,
                "components": {"schemas": _reachable(r.schema for r in resources)},
            }
            self._v3[gv_path] = orjson.dumps(doc)
        return self._v3[gv_path]

    def v3_index(self) -> Obj:
        paths = {}
        for gv in sorted(self._by_group_version()):
            doc = self.v3_document(gv) or b""
            digest = hashlib.sha512(doc).hexdigest()[:64].upper()
            paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
        return {"paths": paths}

    def v2_document(self) -> bytes:
        if self._v2 is None:
            paths: dict[str, Obj] = {}
            for res in self.resources:
                paths.update(resource_paths(res))
            definitions = _reachable(r.schema for r in self.resources)
            doc = {"swagger": "2.0", "info": INFO, "paths": _v2_paths(paths),
                   "definitions": definitions}
            self._v2 = orjson.dumps(doc).replace(
                REF_PREFIX.encode(), V2_REF_PREFIX.encode()
            )
        return self._v2


def _v2_paths(paths: dict[str, Obj]) -> dict[str, Obj]:
    """Swagger 2.0 keeps parameters' types inline and bodies as parameters."""
    out: dict[str, Obj] = {}
    for path, item in paths.items():
        new_item: Obj = {}
        for method, op in item.items():
            if method == "parameters":
                new_item[method] = [_v2_param(p) for p in op]
                continue
            new_op = {k: v for k, v in op.items() if k not in ("requestBody", "responses")}
            new_op["parameters"] = [_v2_param(p) for p in op["parameters"]]
            if "requestBody" in op:
                schema = next(iter(op["requestBody"]["content"].values()))["schema"]
                new_op["parameters"].append(
                    {"name": "body", "in": "body", "required": True, "schema": schema}
                )
            new_op["responses"] = {
                code: {"description": r["description"],
                       "schema": next(iter(r["content"].values()))["schema"]}
                for code, r in op["responses"].items()
            }
            new_item[method] = new_op
        out[path] = new_item
    return out


def _v2_param(p: Obj) -> Obj:
    q = {k: v for k, v in p.items() if k != "schema"}
    q["type"] = p.get("schema", {}).get("type", "string")
    return q
