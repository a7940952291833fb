"""Events (core/v1): reports of something that happened to an object.
Schema, validation, the columns of `kubectl get events` and the event field
selectors (involvedObject.*, reason, reportingComponent, source, type).

The events.k8s.io/v1 Event is the same stored object seen through another
API; it is declared in its own group's module.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref
from kubelite.api.core.podspec_defaults import child
from kubelite.api.meta import MICRO_TIME, NAME_COLUMN, TIME, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, integer, obj, ref, string

EVENT = CORE + "Event"
REPORTING_INSTANCE_MAX = 128
ACTION_MAX = 128
REASON_MAX = 128
NOTE_MAX = 1024

define(CORE + "EventSource", obj(
    "Who reported an event.",
    {"component": string("Reporting component."), "host": string("Node it runs on.")},
))

define(CORE + "EventSeries", obj(
    "A run of repeated occurrences of one event.",
    {
        "count": integer("Occurrences so far."),
        "lastObservedTime": ref(MICRO_TIME, "When last seen."),
    },
))

define(EVENT, top_level(
    "Something that happened to an object, reported by a component.",
    {
        "involvedObject": core_ref("ObjectReference", "The object it happened to."),
        "reason": string("Short CamelCase reason, e.g. Scheduled, Pulled, BackOff."),
        "message": string("Human-readable description."),
        "source": core_ref("EventSource", "Who reported it."),
        "firstTimestamp": ref(TIME, "When first seen."),
        "lastTimestamp": ref(TIME, "When last seen."),
        "count": integer("Times it happened."),
        "type": string("Normal or Warning."),
        "eventTime": ref(MICRO_TIME, "When it first happened, precisely."),
        "series": core_ref("EventSeries", "The run it belongs to, if repeated."),
        "action": string("What was done, or failed, e.g. Binding."),
        "related": core_ref("ObjectReference", "A second object involved."),
        "reportingComponent": string("Controller that reported it, e.g. "
                                     "kubernetes.io/kubelet."),
        "reportingInstance": string("Instance of that controller, e.g. the node name."),
    },
    required=("metadata", "involvedObject"),
), gvk=("", "v1", "Event"))


def _length(path: str, value: str, limit: int) -> list[Cause]:
    if len(value) > limit:
        return [v.invalid(path, "", f"can have at most {limit} characters")]
    return []


def validate_event(event: Obj, old: Obj | None) -> list[Cause]:
    namespace = (event.get("metadata") or {}).get("namespace") or ""
    involved = child(event, "involvedObject") or {}
    involved_ns = involved.get("namespace") or ""
    causes: list[Cause] = []
    mismatch = v.invalid("involvedObject.namespace", involved_ns, "does not match event.namespace")
    if not event.get("eventTime"):
        # Old-style event: its namespace is the involved object's (or
        # default, for cluster-scoped objects).
        if involved_ns != namespace and not (not involved_ns and namespace == "default"):
            causes.append(mismatch)
        return causes
    if not involved_ns and namespace not in ("default", "kube-system"):
        causes.append(mismatch)
    component = event.get("reportingComponent") or ""
    if not component:
        causes.append(v.required("reportingComponent"))
    causes += v.check("reportingComponent", component, v.is_qualified_name(component))
    for key, limit in (("reportingInstance", REPORTING_INSTANCE_MAX), ("action", ACTION_MAX),
                       ("reason", REASON_MAX)):
        value = event.get(key) or ""
        if not value:
            causes.append(v.required(key))
        causes += _length(key, value, limit)
    causes += _length("message", event.get("message") or "", NOTE_MAX)
    return causes


# --- table -----------------------------------------------------------------------


def first_seen(event: Obj) -> Any:
    return event.get("firstTimestamp") or event.get("eventTime")


def last_seen(event: Obj) -> Any:
    series = child(event, "series")
    if series is not None:
        return series.get("lastObservedTime")
    return event.get("lastTimestamp") or first_seen(event)


def _count(event: Obj) -> int:
    series = child(event, "series")
    if series is not None:
        return series.get("count") or 0
    return event.get("count") or 1


def _object(event: Obj) -> str:
    involved = child(event, "involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def _source(event: Obj) -> str:
    source = child(event, "source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else component


COLUMNS = (
    Column("Last Seen", last_seen, type="date", description="When last seen."),
    Column("Type", lambda e: e.get("type") or "", description="Normal or Warning."),
    Column("Reason", lambda e: e.get("reason") or "", description="Why it happened."),
    Column("Object", _object, description="The object it happened to."),
    Column("Subobject", lambda e: (child(e, "involvedObject") or {}).get("fieldPath") or "",
           priority=1, description="The part of the object, e.g. a container."),
    Column("Source", _source, priority=1, description="Who reported it."),
    Column("Message", lambda e: (e.get("message") or "").strip(),
           description="What happened."),
    Column("First Seen", first_seen, type="date", priority=1, description="When first seen."),
    Column("Count", _count, type="integer", priority=1, description="Times it happened."),
    replace(NAME_COLUMN, priority=1),
)


def _involved(key: str) -> Any:
    return lambda e: str((child(e, "involvedObject") or {}).get(key) or "")


FIELD_SELECTORS = {
    **{f"involvedObject.{key}": _involved(key) for key in (
        "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")},
    "reason": lambda e: e.get("reason") or "",
    "reportingComponent": lambda e: e.get("reportingComponent") or "",
    "source": lambda e: (child(e, "source") or {}).get("component")
    or e.get("reportingComponent") or "",
    "type": lambda e: e.get("type") or "",
}

EVENTS = register(Resource(
    group="",
    version="v1",
    kind="Event",
    plural="events",
    namespaced=True,
    schema=EVENT,
    short_names=("ev",),
    validate=validate_event,
    columns=COLUMNS,
    field_selectors=FIELD_SELECTORS,
))
