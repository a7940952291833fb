"""Small core/v1 types several kinds share: object references, key selectors,
resource requirements, and the checks for protocols and quantities that
pods, services and endpoints all use."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from kubelite.api import validation as v
from kubelite.api.meta import QUANTITY, atomic, quantities
from kubelite.api.resource import Cause, Obj
from kubelite.api.schema import Schema, array, boolean, define, obj, ref, string

CORE = "io.k8s.api.core.v1."


def core_ref(name: str, description: str = "") -> Schema:
    """A reference to the core/v1 definition `name` ("Container")."""
    return ref(CORE + name, description)


def refs(name: str, description: str = "", **list_facts: Any) -> Schema:
    """A list of the core/v1 definition `name`; atomic unless told otherwise."""
    list_facts.setdefault("list_type", "atomic")
    return array(core_ref(name), description, **list_facts)


define(CORE + "ObjectReference", atomic(obj(
    "Points at any object, or a field inside one.",
    {
        "apiVersion": string("API version of the referent."),
        "kind": string("Kind of the referent."),
        "namespace": string("Namespace of the referent."),
        "name": string("Name of the referent."),
        "uid": string("UID of the referent."),
        "resourceVersion": string("The resourceVersion the reference was made at."),
        "fieldPath": string("A field inside the referent, e.g. spec.containers{web}."),
    },
)))

define(CORE + "LocalObjectReference", atomic(obj(
    "Names an object in the same namespace.",
    {"name": string("Name of the referent.")},
)))

define(CORE + "TypedLocalObjectReference", atomic(obj(
    "Names an object of a given kind in the same namespace.",
    {
        "apiGroup": string("Group of the referent; empty for the core group."),
        "kind": string("Kind of the referent."),
        "name": string("Name of the referent."),
    },
    required=("kind", "name"),
)))

define(CORE + "TypedObjectReference", obj(
    "Names an object of a given kind, possibly in another namespace.",
    {
        "apiGroup": string("Group of the referent; empty for the core group."),
        "kind": string("Kind of the referent."),
        "name": string("Name of the referent."),
        "namespace": string("Namespace of the referent."),
    },
    required=("kind", "name"),
))

define(CORE + "ConfigMapKeySelector", atomic(obj(
    "One key of a ConfigMap.",
    {
        "name": string("Name of the ConfigMap."),
        "key": string("The key."),
        "optional": boolean("Whether the ConfigMap or key may be missing."),
    },
    required=("key",),
)))

define(CORE + "SecretKeySelector", atomic(obj(
    "One key of a Secret.",
    {
        "name": string("Name of the Secret."),
        "key": string("The key."),
        "optional": boolean("Whether the Secret or key may be missing."),
    },
    required=("key",),
)))

define(CORE + "ObjectFieldSelector", atomic(obj(
    "A field of the pod, e.g. metadata.name or status.podIP.",
    {
        "apiVersion": string("Version the field path is written in; v1 by default."),
        "fieldPath": string("Path of the field."),
    },
    required=("fieldPath",),
)))

define(CORE + "ResourceFieldSelector", atomic(obj(
    "A container's resource request or limit, e.g. limits.cpu.",
    {
        "containerName": string("Container to read; required in volumes."),
        "resource": string("limits.cpu, requests.memory, ..."),
        "divisor": ref(QUANTITY, "Unit the value is expressed in; 1 by default."),
    },
    required=("resource",),
)))

define(CORE + "ResourceClaim", obj(
    "A resource claim of the pod a container uses.",
    {
        "name": string("Name of an entry in pod.spec.resourceClaims."),
        "request": string("One request of the claim, when it has several."),
    },
    required=("name",),
))

define(CORE + "ResourceRequirements", obj(
    "Compute resources a container asks for and may not exceed.",
    {
        "limits": quantities("Most of each resource the container may use."),
        "requests": quantities("Resources the scheduler reserves; defaults to limits."),
        "claims": refs("ResourceClaim", "Dynamically allocated resources used.",
                       list_type="map", map_keys=("name",)),
    },
))

define(CORE + "VolumeResourceRequirements", obj(
    "Storage a volume claim asks for.",
    {
        "limits": quantities("Most storage the volume may have."),
        "requests": quantities("Least storage the volume must have."),
    },
))

# --- shared checks -------------------------------------------------------------

PROTOCOLS = ("SCTP", "TCP", "UDP")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def protocol(path: str, value: Any) -> list[Cause]:
    if not value:
        return [v.required(path)]
    return v.one_of(path, value, PROTOCOLS)


def taint_effect(path: str, value: Any) -> list[Cause]:
    if not value:
        return [v.required(path)]
    return v.one_of(path, value, TAINT_EFFECTS)


def resource_requirements(res: Obj, path: str) -> list[Cause]:
    """Quantities parse, none is negative, and no request exceeds its limit."""
    causes: list[Cause] = []
    parsed: dict[str, dict[str, Any]] = {}
    for part in ("limits", "requests"):
        parsed[part] = {}
        for name, value in (res.get(part) or {}).items():
            where = f"{path}.{part}[{name}]"
            amount = v.parse_quantity(value)
            if amount is None:
                causes.append(v.invalid(where, value, v.QUANTITY_ERROR))
            elif amount < 0:
                causes.append(v.invalid(where, value, "must be greater than or equal to 0"))
            else:
                parsed[part][name] = amount
    for name, request in parsed["requests"].items():
        limit = parsed["limits"].get(name)
        if limit is not None and request > limit:
            causes.append(v.invalid(
                f"{path}.requests[{name}]", res["requests"][name],
                f"must be less than or equal to {name} limit of {res['limits'][name]}",
            ))
    return causes


# --- ConfigMap and Secret data -------------------------------------------------

MAX_DATA_BYTES = 1024 * 1024
IMMUTABLE_SET = "field is immutable when `immutable` is set"


def base64_size(value: Any) -> int | None:
    """Bytes a base64 string decodes to, or None if it is not base64."""
    if not isinstance(value, str):
        return None
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


def data_keys(data: Any, path: str) -> list[Cause]:
    """Each key of a data map is a valid file name (config key)."""
    if not isinstance(data, dict):
        return []
    return [cause for key in data for cause in v.check(f"{path}[{key}]", key,
                                                        v.is_config_map_key(key))]


def immutable_data(new: Obj, old: Obj, fields: tuple[str, ...]) -> list[Cause]:
    """Once `immutable` is true it stays true and `fields` stay as they are."""
    if old.get("immutable") is not True:
        return []
    causes = []
    if new.get("immutable") is not True:
        causes.append(v.forbidden("immutable", IMMUTABLE_SET))
    for key in fields:
        if (new.get(key) or {}) != (old.get(key) or {}):
            causes.append(v.forbidden(key, IMMUTABLE_SET))
    return causes
