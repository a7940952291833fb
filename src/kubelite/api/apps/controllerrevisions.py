"""apps/v1 ControllerRevision: an immutable snapshot of a StatefulSet's or
DaemonSet's template, kept for rollouts and rollbacks."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, RAW_EXTENSION, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, integer, ref

CONTROLLER_REVISION = "io.k8s.api.apps.v1.ControllerRevision"

define(CONTROLLER_REVISION, top_level(
    "A snapshot of the state a controller rolls out; its data never changes.",
    {
        "data": ref(RAW_EXTENSION, "The serialized state (typically a patch holding "
                                   "the pod template)."),
        "revision": integer("The revision number of this state.", format="int64"),
    },
    required=("revision",),
), gvk=("apps", "v1", "ControllerRevision"))


def validate(revision: Obj, old: Obj | None) -> list[Cause]:
    causes = [] if revision.get("data") is not None else [
        v.required("data", "data is mandatory")]
    causes += v.non_negative("revision", revision.get("revision"))
    if old is not None:
        causes += v.unchanged("data", revision.get("data"), old.get("data"))
    return causes


def controller(revision: Obj) -> str:
    """The owner that controls the revision as kind.group/name, or <none>."""
    for owner in (revision.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            group = owner.get("apiVersion", "").rpartition("/")[0]
            kind = owner.get("kind", "").lower() + (f".{group}" if group else "")
            return f"{kind}/{owner.get('name', '')}"
    return "<none>"


RESOURCE = register(Resource(
    group="apps",
    version="v1",
    kind="ControllerRevision",
    plural="controllerrevisions",
    namespaced=True,
    schema=CONTROLLER_REVISION,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Controller", controller, description="The controller that owns it."),
        Column("Revision", lambda r: r.get("revision", 0), type="integer",
               description="The revision number."),
        AGE_COLUMN,
    ),
))
