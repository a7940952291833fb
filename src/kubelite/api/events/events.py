"""events.k8s.io/v1 Event: the newer view of the events core/v1 serves.

Kubernetes keeps one copy of each event (under /registry/events, in
core's shape) and shows it through both APIs; several fields only have
other names here (`regarding` is core's `involvedObject`, `note` is
`message`, `reportingController` is `reportingComponent`, and the old
counters and source carry a `deprecated` prefix). `to_core` and
`from_core` convert between the two shapes at the store, so an event
created through either API is seen through both; the columns and field
selectors are core's (the columns read through `to_core`, the selectors
the stored object).

Events created through this API must be new-style: eventTime,
reportingController, reportingInstance, action and reason set, and the
deprecated fields left unset.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubelite.api import validation as v
from kubelite.api.core import events as core_events
from kubelite.api.core.common import CORE
from kubelite.api.meta import MICRO_TIME, TIME, top_level
from kubelite.api.resource import Cause, Obj, Resource, register
from kubelite.api.schema import define, integer, obj, ref, string

EVENTS = "io.k8s.api.events.v1."
EVENT = EVENTS + "Event"
EVENT_TYPES = ("Normal", "Warning")

# events.k8s.io/v1 field -> core/v1 field, for the fields that differ.
RENAMED = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}
# Fields an update may not change (series is the one that moves).
IMMUTABLE = ("regarding", "related", "reason", "note", "type", "action", "eventTime",
             "reportingController", "reportingInstance", "deprecatedSource",
             "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount")

define(EVENTS + "EventSeries", obj(
    "A run of repeated occurrences of one event, counted instead of reported "
    "one by one.",
    {
        "count": integer("Occurrences since the series started."),
        "lastObservedTime": ref(MICRO_TIME, "When the last occurrence was seen."),
    },
    required=("count", "lastObservedTime"),
))

define(EVENT, top_level(
    "Something that happened to an object, as a controller reported it.",
    {
        "eventTime": ref(MICRO_TIME, "When the event first happened."),
        "series": ref(EVENTS + "EventSeries", "The run of occurrences this event "
                                              "stands for, if it repeats."),
        "reportingController": string("The controller that reported it, e.g. "
                                      "kubernetes.io/kubelet."),
        "reportingInstance": string("Which instance of that controller, e.g. "
                                    "kubelet-node1; at most 128 characters."),
        "action": string("What the controller did or failed to do, e.g. Binding; at "
                         "most 128 characters."),
        "reason": string("Why, in CamelCase, e.g. FailedScheduling; at most 128 "
                         "characters."),
        "regarding": ref(CORE + "ObjectReference", "The object the event is about."),
        "related": ref(CORE + "ObjectReference", "A second object involved, e.g. the "
                                                 "node a pod was bound to."),
        "note": string("Human-readable description; at most 1 kB."),
        "type": string("Normal or Warning.", enum=list(EVENT_TYPES)),
        "deprecatedSource": ref(CORE + "EventSource", "The core/v1 source; must be "
                                                      "unset on new events."),
        "deprecatedFirstTimestamp": ref(TIME, "The core/v1 firstTimestamp; must be "
                                              "unset on new events."),
        "deprecatedLastTimestamp": ref(TIME, "The core/v1 lastTimestamp; must be "
                                             "unset on new events."),
        "deprecatedCount": integer("The core/v1 count; must be unset on new events."),
    },
    required=("eventTime",),
), gvk=("events.k8s.io", "v1", "Event"))


def _renamed(event: Obj, names: dict[str, str], api_version: str) -> Obj:
    out = {names.get(key, key): value for key, value in event.items()}
    out["apiVersion"] = api_version
    return out


def to_core(event: Obj) -> Obj:
    """An events.k8s.io/v1 Event as the core/v1 Event it is stored as."""
    return _renamed(event, RENAMED, "v1")


_FROM_CORE = {core: ours for ours, core in RENAMED.items()}


def from_core(event: Obj) -> Obj:
    """A stored core/v1 Event as events.k8s.io/v1 shows it."""
    return _renamed(event, _FROM_CORE, "events.k8s.io/v1")


def _unset(event: Obj, key: str) -> bool:
    value = event.get(key)
    if key == "deprecatedSource":
        return not (value or {}).get("component") and not (value or {}).get("host")
    return not value


def _series(event: Obj) -> list[Cause]:
    series = event.get("series")
    if series is None:
        return []
    causes = []
    if (series.get("count") or 0) < 2:
        causes.append(v.invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        causes.append(v.required("series.lastObservedTime"))
    return causes


def validate(event: Obj, old: Obj | None) -> list[Cause]:
    """Kubernetes' events.k8s.io/v1 rules: every event passes core's; a new
    one must be new-style (eventTime and type set, the deprecated fields
    unset); an update may change only the series (and metadata), which
    then must be whole. So an old-style event created through core can be
    updated here too."""
    causes = [
        replace(c, field="reportingController") if c.field == "reportingComponent" else c
        for c in core_events.validate_event(to_core(event), None)
    ]
    if old is not None:
        if event.get("series") != old.get("series"):
            causes += _series(event)
        for key in IMMUTABLE:
            causes += v.unchanged(key, event.get(key), old.get(key))
        return causes
    if not event.get("eventTime"):
        causes.append(v.required("eventTime"))
    if event.get("type") not in EVENT_TYPES:
        causes.append(v.invalid("type", "", f"has invalid value: {event.get('type') or ''}"))
    for key in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount",
                "deprecatedSource"):
        if not _unset(event, key):
            causes.append(v.invalid(key, "", "needs to be unset"))
    return causes + _series(event)


def _through_core(read: Any) -> Any:
    return lambda event: read(to_core(event))


RESOURCE = register(Resource(
    group="events.k8s.io",
    version="v1",
    kind="Event",
    plural="events",
    namespaced=True,
    schema=EVENT,
    short_names=("ev",),
    key_root=core_events.EVENTS.key_root,
    from_stored=from_core,
    to_stored=to_core,
    validate=validate,
    columns=tuple(replace(c, value=_through_core(c.value)) for c in core_events.COLUMNS),
    # Field selectors read the stored (core) shape: this API's names for
    # core's fields.
    field_selectors={
        **{f"regarding.{key}": core_events.FIELD_SELECTORS[f"involvedObject.{key}"]
           for key in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                       "fieldPath")},
        "reason": core_events.FIELD_SELECTORS["reason"],
        "reportingController": core_events.FIELD_SELECTORS["reportingComponent"],
        "type": core_events.FIELD_SELECTORS["type"],
    },
))
