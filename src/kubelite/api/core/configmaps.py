"""ConfigMaps (core/v1): non-secret configuration as key/value pairs.
Schema, validation (keys, 1 MiB total, `immutable`) and columns."""

from __future__ import annotations

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

CONFIG_MAP = CORE + "ConfigMap"

define(CONFIG_MAP, top_level(
    "Configuration data as key/value pairs, for pods to read as environment "
    "variables or files.",
    {
        "data": string_map("UTF-8 values by key."),
        "binaryData": map_of(string(format="byte"), "Base64-encoded binary values by "
                                                    "key; keys may not repeat those of "
                                                    "data."),
        "immutable": boolean("When true, data can no longer change (and immutable "
                             "cannot be unset)."),
    },
), gvk=("", "v1", "ConfigMap"))


def validate_config_map(cm: Obj, old: Obj | None) -> list[Cause]:
    data = cm.get("data") or {}
    binary = cm.get("binaryData") or {}
    causes = data_keys(data, "data") + data_keys(binary, "binaryData")
    size = 0
    for key, value in data.items():
        size += len(str(value).encode())
        if key in binary:
            causes.append(v.invalid(f"data[{key}]", key, "duplicate of key present in "
                                                         "binaryData"))
    for key, value in binary.items():
        decoded = base64_size(value)
        if decoded is None:
            causes.append(v.invalid(f"binaryData[{key}]", "<value omitted>",
                                    "must be base64-encoded"))
        size += decoded or 0
        if key in data:
            causes.append(v.invalid(f"binaryData[{key}]", key, "duplicate of key present "
                                                               "in data"))
    if size > MAX_DATA_BYTES:
        causes.append(v.too_long("", MAX_DATA_BYTES))
    if old is not None:
        causes += immutable_data(cm, old, ("data", "binaryData"))
    return causes


CONFIG_MAPS = register(Resource(
    group="",
    version="v1",
    kind="ConfigMap",
    plural="configmaps",
    namespaced=True,
    schema=CONFIG_MAP,
    short_names=("cm",),
    validate=validate_config_map,
    columns=(
        NAME_COLUMN,
        Column("Data", lambda cm: len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),
               type="integer", description="Number of keys."),
        AGE_COLUMN,
    ),
))
