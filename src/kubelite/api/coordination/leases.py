"""coordination.k8s.io/v1 Lease: a named lock with a holder and an expiry,
renewed by its holder (leader election, node heartbeats)."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.meta import AGE_COLUMN, MICRO_TIME, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, integer, obj, ref, string

COORDINATION = "io.k8s.api.coordination.v1."
LEASE = COORDINATION + "Lease"

define(COORDINATION + "LeaseSpec", obj(
    "Who holds a lease and until when.",
    {
        "holderIdentity": string("The identity of the current holder."),
        "leaseDurationSeconds": integer("Seconds after the last renewTime that "
                                        "candidates wait before taking the lease over."),
        "acquireTime": ref(MICRO_TIME, "When the current holder acquired the lease."),
        "renewTime": ref(MICRO_TIME, "When the holder last renewed the lease."),
        "leaseTransitions": integer("How many times the lease changed holders."),
        "strategy": string("How a coordinated leader election picks the holder, e.g. "
                           "OldestEmulationVersion."),
        "preferredHolder": string("The holder a coordinated election would like to see "
                                  "take over; needs strategy."),
    },
))

define(LEASE, top_level(
    "A lease, held by one party at a time.",
    {"spec": ref(COORDINATION + "LeaseSpec", "The holder and timing of the lease.")},
), gvk=("coordination.k8s.io", "v1", "Lease"))


def validate(lease: Obj, old: Obj | None) -> list[Cause]:
    spec = lease.get("spec") or {}
    causes: list[Cause] = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        causes.append(v.invalid("spec.leaseDurationSeconds", duration,
                                "must be greater than 0"))
    causes += v.non_negative("spec.leaseTransitions", spec.get("leaseTransitions"))
    if spec.get("preferredHolder") and not spec.get("strategy"):
        causes.append(v.forbidden("spec.preferredHolder",
                                  "may only be specified if `strategy` is defined"))
    return causes


def _holder(lease: Obj) -> str:
    holder = (lease.get("spec") or {}).get("holderIdentity")
    return "<none>" if holder is None else holder


RESOURCE = register(Resource(
    group="coordination.k8s.io",
    version="v1",
    kind="Lease",
    plural="leases",
    namespaced=True,
    schema=LEASE,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Holder", _holder, description="The current holder."),
        AGE_COLUMN,
    ),
))
