"""Secrets (core/v1): small amounts of sensitive data. Schema, defaults
(type Opaque; stringData folded into data), validation (keys, 1 MiB total,
the keys each built-in type needs, `immutable`, type fixed once set),
columns and the `type` field selector."""

from __future__ import annotations

import base64
import json

from kubelite.api import validation as v
from kubelite.api.core.common import (
    CORE,
    MAX_DATA_BYTES,
    base64_size,
    data_keys,
    immutable_data,
)
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, string_map, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import boolean, define, map_of, string

SECRET = CORE + "Secret"
SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name"
REDACTED = "<secret contents redacted>"

define(SECRET, top_level(
    "Sensitive data as key/value pairs, for pods to read as files or environment "
    "variables.",
    {
        "type": string("What the data is, e.g. Opaque, kubernetes.io/tls, "
                       "kubernetes.io/dockerconfigjson; Opaque by default."),
        "data": map_of(string(format="byte"), "Base64-encoded values by key."),
        "stringData": string_map("Plain-text values, merged into data on write "
                                 "(never read back)."),
        "immutable": boolean("When true, data can no longer change (and immutable "
                             "cannot be unset)."),
    },
), gvk=("", "v1", "Secret"))


def default_secret(secret: Obj) -> None:
    secret.setdefault("type", "Opaque")
    plain = secret.pop("stringData", None)
    if isinstance(plain, dict) and plain:
        data = secret.setdefault("data", {})
        if isinstance(data, dict):
            for key, value in plain.items():
                data[key] = base64.b64encode(str(value).encode()).decode()


def _json_key(data: Obj, key: str) -> list[Cause]:
    path = f"data[{key}]"
    if key not in data:
        return [v.required(path)]
    try:
        json.loads(base64.b64decode(data[key]))
    except (ValueError, TypeError):
        return [v.invalid(path, REDACTED, "must be valid JSON")]
    return []


def _typed(secret: Obj, data: Obj) -> list[Cause]:
    """The keys each built-in secret type needs."""
    kind = secret.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = (secret.get("metadata") or {}).get("annotations") or {}
        if not annotations.get(SERVICE_ACCOUNT_NAME_ANNOTATION):
            return [v.required(f"metadata.annotations[{SERVICE_ACCOUNT_NAME_ANNOTATION}]")]
    elif kind == "kubernetes.io/dockercfg":
        return _json_key(data, ".dockercfg")
    elif kind == "kubernetes.io/dockerconfigjson":
        return _json_key(data, ".dockerconfigjson")
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            return [v.required("data[username]"), v.required("data[password]")]
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            return [v.required("data[ssh-privatekey]")]
    elif kind == "kubernetes.io/tls":
        return [v.required(f"data[{key}]") for key in ("tls.crt", "tls.key")
                if key not in data]
    return []


def validate_secret(secret: Obj, old: Obj | None) -> list[Cause]:
    data = secret.get("data") or {}
    causes = data_keys(data, "data")
    size = 0
    for key, value in data.items():
        decoded = base64_size(value)
        if decoded is None:
            causes.append(v.invalid(f"data[{key}]", REDACTED, "must be base64-encoded"))
        size += decoded or 0
    if size > MAX_DATA_BYTES:
        causes.append(v.too_long("data", MAX_DATA_BYTES))
    if not causes:
        causes += _typed(secret, data)
    if old is not None:
        causes += v.unchanged("type", secret.get("type"), old.get("type"))
        causes += immutable_data(secret, old, ("data",))
    return causes


SECRETS = register(Resource(
    group="",
    version="v1",
    kind="Secret",
    plural="secrets",
    namespaced=True,
    schema=SECRET,
    default=default_secret,
    validate=validate_secret,
    columns=(
        NAME_COLUMN,
        Column("Type", lambda s: s.get("type") or "", description="Type of the secret."),
        Column("Data", lambda s: len(s.get("data") or {}), type="integer",
               description="Number of keys."),
        AGE_COLUMN,
    ),
    field_selectors={"type": lambda s: s.get("type") or ""},
))
