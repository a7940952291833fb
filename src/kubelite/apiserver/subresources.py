"""Subresources: status, scale, pods' binding and eviction, namespaces'
finalize. Each reads or writes part of its parent object through the
registry, so the parent's optimistic concurrency and validation apply."""

from __future__ import annotations

from typing import Any

from kubelite.api.resource import Resource
from kubelite.api.selectors import to_string
from kubelite.apiserver import errors, objectmeta
from kubelite.apiserver.registry import Options, Registry, apply_patch
from kubelite.apiserver.routes import RequestInfo

Obj = dict[str, Any]


def _get_path(obj: Obj, dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set_path(obj: Obj, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


def scale_of(res: Resource, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of an object."""
    assert res.scale is not None
    meta = obj["metadata"]
    selector = _get_path(obj, res.scale.label_selector)
    if isinstance(selector, dict):
        selector = to_string({"matchLabels": selector} if res.scale.selector_is_map
                             else selector)
    status: Obj = {"replicas": _get_path(obj, res.scale.status_replicas) or 0}
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                          "creationTimestamp") if k in meta},
        "spec": {"replicas": _get_path(obj, res.scale.spec_replicas) or 0},
        "status": status,
    }


class SubresourceHandlers:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def handle(
        self,
        res: Resource,
        info: RequestInfo,
        method: str,
        body: Any,
        media: str,
        opts: Options,
    ) -> Obj:
        sub, ns, name = info.subresource, info.namespace, info.name
        assert name is not None
        if sub == "status" and res.status_subresource:
            if method == "GET":
                return await self.registry.get(res, ns, name)
            if method == "PUT":
                return await self.registry.update(res, ns, name, body, opts, subresource="status")
            if method == "PATCH":
                return await self.registry.patch(res, ns, name, media, body, opts,
                                                 subresource="status")
        if sub == "scale" and res.scale is not None:
            return await self._scale(res, ns, name, method, body, media, opts)
        if sub == "binding" and res.plural == "pods" and method == "POST":
            return await self._bind(res, ns, name, body, opts)
        if sub == "eviction" and res.plural == "pods" and method == "POST":
            await self.registry.delete(res, ns, name, opts)
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "code": 201}
        if sub == "finalize" and res.plural == "namespaces" and method == "PUT":
            return await self._finalize(res, name, body, opts)
        raise errors.path_not_found()

    async def _scale(
        self, res: Resource, ns: str | None, name: str, method: str, body: Any, media: str,
        opts: Options,
    ) -> Obj:
        assert res.scale is not None
        spec_replicas = res.scale.spec_replicas
        if method == "GET":
            return scale_of(res, await self.registry.get(res, ns, name))
        if method not in ("PUT", "PATCH"):
            raise errors.method_not_allowed("the server does not allow this method on scale")

        def rescaled(obj: Obj) -> Obj:
            wanted = apply_patch(res, scale_of(res, obj), media, body) if method == "PATCH" \
                else body
            if not isinstance(wanted, dict):
                raise errors.bad_request("the body must be a Scale object")
            replicas = (wanted.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise errors.invalid("Scale", name, [errors.Cause(
                    "FieldValueInvalid",
                    f"Invalid value: {replicas!r}: must be greater than or equal to 0",
                    "spec.replicas",
                )], "autoscaling")
            rv = (wanted.get("metadata") or {}).get("resourceVersion")
            if rv and rv != obj["metadata"]["resourceVersion"]:
                raise errors.conflict(res.plural, name, errors.MODIFIED, res.group)
            _set_path(obj, spec_replicas, replicas)
            return obj

        return scale_of(res, await self.registry.guaranteed_update(res, ns, name, rescaled, opts))

    async def _bind(self, res: Resource, ns: str | None, name: str, body: Any,
                    opts: Options) -> Obj:
        target = (body or {}).get("target") or {}
        node = target.get("name")
        if not node:
            raise errors.invalid("Binding", name, [errors.Cause(
                "FieldValueRequired", "Required value", "target.name")])

        def bound(pod: Obj) -> Obj:
            if pod["metadata"].get("deletionTimestamp"):
                raise errors.conflict(res.plural, name, "pod is being deleted, cannot be "
                                      "assigned to a host")
            assigned = pod.get("spec", {}).get("nodeName")
            if assigned:
                raise errors.conflict(
                    res.plural, name, f"pod {name} is already assigned to node \"{assigned}\""
                )
            pod["spec"]["nodeName"] = node
            conditions = [c for c in pod.setdefault("status", {}).get("conditions", [])
                          if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True",
                               "lastProbeTime": None,
                               "lastTransitionTime": objectmeta.now()})
            pod["status"]["conditions"] = conditions
            return pod

        await self.registry.bind(res, ns, name, bound, opts)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}

    async def _finalize(self, res: Resource, name: str, body: Any, opts: Options) -> Obj:
        body = body or {}
        wanted = (body.get("spec") or {}).get("finalizers") or []
        expected = (body.get("metadata") or {}).get("resourceVersion")
        return await self.registry.finalize_namespace(res, name, lambda _: wanted, opts,
                                                      expected)
