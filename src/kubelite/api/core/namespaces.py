"""Namespaces (core/v1): the scopes most objects live in. Schema, defaults
(the "kubernetes" finalizer, phase Active), validation, columns and the
status.phase field selector.

Deleting a namespace (phase Terminating, emptying it, then dropping the
finalizer) is the API server's and the namespace controller's work.
"""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref, refs
from kubelite.api.core.podspec_defaults import child
from kubelite.api.meta import (
    AGE_COLUMN,
    NAME_COLUMN,
    TIME,
    strings,
    top_level,
    validate_finalizer_name,
)
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, obj, ref, string

NAMESPACE = CORE + "Namespace"

define(CORE + "NamespaceSpec", obj(
    "What a namespace needs.",
    {"finalizers": strings("What must be done before the namespace is removed; "
                           "kubernetes (empty it) by default.")},
))

define(CORE + "NamespaceCondition", obj(
    "One aspect of a namespace's state, e.g. NamespaceDeletionContentFailure.",
    {
        "type": string("Condition type."),
        "status": string("True, False or Unknown."),
        "lastTransitionTime": ref(TIME, "When status last changed."),
        "reason": string("CamelCase reason."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(CORE + "NamespaceStatus", obj(
    "Current state of a namespace.",
    {
        "phase": string("Active, or Terminating once deletion is requested."),
        "conditions": refs("NamespaceCondition", "Current conditions.", merge_key="type",
                           strategy="merge", list_type="map", map_keys=("type",)),
    },
))

define(NAMESPACE, top_level(
    "A scope for names, and a unit of policy and access control.",
    {
        "spec": core_ref("NamespaceSpec", "What the namespace needs."),
        "status": core_ref("NamespaceStatus", "Current state."),
    },
), gvk=("", "v1", "Namespace"))


def default_namespace(ns: Obj) -> None:
    spec = ns.setdefault("spec", {})
    if isinstance(spec, dict) and "finalizers" not in spec:
        spec["finalizers"] = ["kubernetes"]
    status = ns.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")


def validate_namespace(ns: Obj, old: Obj | None) -> list[Cause]:
    spec = child(ns, "spec") or {}
    causes: list[Cause] = []
    for name in spec.get("finalizers") or []:
        causes += validate_finalizer_name(name, "spec.finalizers")
    phase = (child(ns, "status") or {}).get("phase")
    if phase:
        causes += v.one_of("status.phase", phase, ("Active", "Terminating"))
    return causes


NAMESPACES = register(Resource(
    group="",
    version="v1",
    kind="Namespace",
    plural="namespaces",
    namespaced=False,
    schema=NAMESPACE,
    short_names=("ns",),
    status_subresource=True,
    # phase and conditions are omitempty; phase is defaulted to Active.
    zero_status={},
    subresources=("finalize",),
    name_validator=v.name_is_dns_label,
    default=default_namespace,
    validate=validate_namespace,
    columns=(
        NAME_COLUMN,
        Column("Status", lambda ns: (child(ns, "status") or {}).get("phase") or "",
               description="Active or Terminating."),
        AGE_COLUMN,
    ),
    field_selectors={"status.phase": lambda ns: (child(ns, "status") or {}).get("phase")
                     or ""},
))
