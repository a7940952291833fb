"""Serving custom resources: every served version of a CustomResourceDefinition
becomes a Resource, with its schema (validation, defaulting, pruning), its
printer columns and its status and scale subresources.

`resources_for(crd)` is pure: a CRD in, Resources out. `CustomResources`
keeps the set the API serves in step with the stored CRDs: at once when a
CRD is written through this server (so a custom object can be created the
moment its CRD exists), and by re-reading the CRDs now and then, for CRDs
another API server wrote.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.resource import Column, Resource, ScaleSpec
from kubelite.api.schema import DEFINITIONS, REF_PREFIX
from kubelite.apiserver import crd_schema, errors
from kubelite.apiserver.registry import Admission, Options, Registry
from kubelite.apiserver.tables import DEFAULT_COLUMNS

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
SYNC_SECONDS = 2.0


def definition_name(group: str, version: str, kind: str) -> str:
    """Kubernetes names a custom kind's schema by its reversed group."""
    return ".".join(reversed(group.split("."))) + f".{version}.{kind}"


def _root_schema(version: Obj) -> Obj:
    return ((version.get("schema") or {}).get("openAPIV3Schema")) or {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _definition(group: str, version: str, kind: str, schema: Obj) -> Obj:
    """The served schema: the CRD's, with apiVersion, kind and metadata."""
    out = copy.deepcopy(schema)
    out.setdefault("type", "object")
    props = out.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "description": "The versioned schema of this "
                           "representation of an object."}
    props["kind"] = {"type": "string", "description": "The REST resource this object "
                     "represents."}
    props["metadata"] = {"$ref": REF_PREFIX + OBJECT_META}
    out["x-kubernetes-group-version-kind"] = [
        {"group": group, "version": version, "kind": kind}]
    return out


def _column(spec: Obj) -> Column:
    path = spec.get("jsonPath", "")
    return Column(
        name=spec.get("name", ""),
        value=lambda obj, p=path: crd_schema.json_path(obj, p),
        type=spec.get("type", "string"),
        format=spec.get("format", ""),
        description=spec.get("description", ""),
        priority=spec.get("priority", 0),
    )


def _scale(spec: Obj | None) -> ScaleSpec | None:
    if spec is None:
        return None
    return ScaleSpec(
        spec_replicas=spec.get("specReplicasPath", ".spec.replicas").lstrip("."),
        status_replicas=spec.get("statusReplicasPath", ".status.replicas").lstrip("."),
        label_selector=(spec.get("labelSelectorPath") or "").lstrip("."),
    )


def _validator(schema: Obj) -> Callable[[Obj, Obj | None], list]:
    def validate(obj: Obj, old: Obj | None) -> list:
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        trimmed = copy.deepcopy(schema)
        trimmed.get("properties", {}).pop("metadata", None)
        return crd_schema.validate(body, trimmed)

    return validate


def _defaulter(schema: Obj) -> Callable[[Obj], None]:
    def default(obj: Obj) -> None:
        crd_schema.apply_defaults(obj, schema)

    return default


def resources_for(crd: Obj) -> list[tuple[Resource, str, Obj]]:
    """(Resource, definition name, definition) for each served version."""
    spec = crd.get("spec") or {}
    group, names = spec.get("group", ""), spec.get("names") or {}
    out = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        name = version["name"]
        schema = _root_schema(version)
        definition = definition_name(group, name, names["kind"])
        subresources = version.get("subresources") or {}
        columns = tuple(_column(c) for c in version.get("additionalPrinterColumns") or [])
        out.append((Resource(
            group=group,
            version=name,
            kind=names["kind"],
            plural=names["plural"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            schema=definition,
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            singular=names.get("singular") or names["kind"].lower(),
            status_subresource="status" in subresources,
            scale=_scale(subresources.get("scale")),
            default=_defaulter(schema),
            validate=_validator(schema),
            columns=(DEFAULT_COLUMNS[0], *columns) if columns else (),
            strategic_merge=False,
            typed_decoding=False,
            key_root=f"/registry/{group}/{names['plural']}/",
        ), definition, _definition(group, name, names["kind"], schema)))
    return out


def established_status(crd: Obj) -> Obj:
    """The status a CRD gets once its names are accepted and it is served."""
    spec = crd.get("spec") or {}
    names = copy.deepcopy(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    now = crd["metadata"].get("creationTimestamp")
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    stored = list((crd.get("status") or {}).get("storedVersions") or [])
    for v in storage:
        if v not in stored:
            stored.append(v)
    return {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "storedVersions": stored,
    }


class CustomResources(Admission):
    """The custom resources served now, kept in step with the stored CRDs;
    also the admission step for CRDs themselves."""

    def __init__(self, registry: Registry, builtin: Callable[[], list[Resource]],
                 crd_resource: Resource) -> None:
        self.registry = registry
        self.builtin = builtin
        self.crd_resource = crd_resource
        self.served: dict[str, list[Resource]] = {}  # CRD name -> its resources
        self._specs: dict[str, Any] = {}  # CRD name -> the spec being served
        self._all: list[Resource] = builtin()

    def resources(self) -> list[Resource]:
        return self._all

    def serve(self, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        self.forget(name)
        built = resources_for(crd)
        for _, definition, schema in built:
            DEFINITIONS[definition] = schema
        self.served[name] = [r for r, _, _ in built]
        self._specs[name] = copy.deepcopy(crd.get("spec"))
        self._all = self.builtin() + [r for rs in self.served.values() for r in rs]

    def forget(self, name: str) -> None:
        self._specs.pop(name, None)
        for res in self.served.pop(name, []):
            DEFINITIONS.pop(res.schema, None)
        self._all = self.builtin() + [r for rs in self.served.values() for r in rs]

    # -------------------------------------------------------------- admission

    async def admit_create(self, res: Resource, crd: Obj, dry_run: bool) -> None:
        self._check_conflicts(crd)
        crd["status"] = established_status(crd)

    async def after_create(self, crd: Obj) -> None:
        self.serve(crd)

    async def admit_update(self, res: Resource, crd: Obj, old: Obj, dry_run: bool) -> None:
        crd["status"] = established_status(crd)

    async def after_update(self, crd: Obj, old: Obj) -> None:
        self.serve(crd)

    async def after_delete(self, res: Resource, crd: Obj) -> None:
        """A removed CRD takes its custom objects with it."""
        name = crd["metadata"]["name"]
        for served in self.served.get(name, [])[:1]:
            listed = await self.registry.storage.list(served.key_root)
            for item in listed.items:
                meta = item["metadata"]
                await self.registry.storage.delete(
                    served.key_prefix(meta.get("namespace")) + meta["name"],
                    resource=served.plural, name=meta["name"],
                )
        self.forget(name)
        log.info("apiserver: stopped serving %s", name)

    def _check_conflicts(self, crd: Obj) -> None:
        spec = crd.get("spec") or {}
        group, plural = spec.get("group"), (spec.get("names") or {}).get("plural")
        for res in self.builtin():
            if (res.group, res.plural) == (group, plural):
                raise errors.invalid(
                    "CustomResourceDefinition", crd["metadata"].get("name", ""),
                    [errors.Cause("FieldValueInvalid",
                                  f"Invalid value: \"{group}\": the group is served by the API "
                                  "server itself", "spec.group")],
                    "apiextensions.k8s.io",
                )

    # -------------------------------------------------------------- sync

    async def sync(self) -> None:
        listed = await self.registry.list(self.crd_resource, None, Options())
        seen = set()
        for crd in listed["items"]:
            name = crd["metadata"]["name"]
            seen.add(name)
            if name not in self.served or crd.get("spec") != self._specs.get(name):
                self.serve(crd)
        for name in list(self.served):
            if name not in seen:
                self.forget(name)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SYNC_SECONDS)
            try:
                await self.sync()
            except errors.StatusError as e:
                log.warning("apiserver: custom resources sync: %s", e.message)
