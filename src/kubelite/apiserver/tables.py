"""Server-side printing: objects as a meta.k8s.io/v1 Table, the rows and
columns `kubectl get` shows, taken from each kind's declared columns."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from kubelite.api.resource import Column, Resource

Obj = dict[str, Any]

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")

DEFAULT_COLUMNS = (
    Column("Name", lambda o: o.get("metadata", {}).get("name", ""), format="name",
           description="Name must be unique within a namespace."),
    Column("Age", lambda o: o.get("metadata", {}).get("creationTimestamp"), type="date",
           description="Time since the object was created."),
)


def human_duration(seconds: float) -> str:
    """A duration the way kubectl prints ages: 45s, 5m10s, 3h, 2d5h, 400d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def since(timestamp: str | None, now: datetime) -> str:
    if not timestamp:
        return "<unknown>"
    try:
        then = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return "<invalid>"
    return human_duration((now - then).total_seconds())


def _cell(column: Column, obj: Obj, now: datetime) -> Any:
    try:
        value = column.value(obj)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError):
        value = None
    if column.type == "date":
        if isinstance(value, timedelta):
            return human_duration(value.total_seconds())
        if isinstance(value, str) and _TIMESTAMP.match(value):
            return since(value, now)
        return "<unknown>" if value is None else value
    if value is None:
        return "<none>" if column.type == "string" else None
    return value


def table(
    res: Resource,
    objects: list[Obj],
    *,
    include_object: str = "Metadata",
    list_meta: Obj | None = None,
    with_columns: bool = True,
    now: datetime | None = None,
) -> Obj:
    now = now or datetime.now(UTC)
    columns = res.columns or DEFAULT_COLUMNS
    rows = []
    for obj in objects:
        row: Obj = {"cells": [_cell(c, obj, now) for c in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    out: Obj = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "rows": rows,
    }
    if with_columns:
        out["columnDefinitions"] = [
            {
                "name": c.name,
                "type": c.type,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            }
            for c in columns
        ]
    return out
