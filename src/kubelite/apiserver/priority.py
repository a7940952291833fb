"""The Priority admission (plugin/pkg/admission/priority), as Kubernetes
1.32 has it, in two parts for the two resources it watches.

PodPriority, for pods:
- on create, spec.priorityClassName names the class whose value becomes
  spec.priority and whose preemptionPolicy becomes spec.preemptionPolicy;
  a pod naming none gets the globalDefault class (its name too) or, with
  no default class, priority 0 and PreemptLowerPriority. A class that does
  not exist is Forbidden: "no PriorityClass with name <x> was found". A
  spec.priority or spec.preemptionPolicy the client sent that differs from
  the class's is Forbidden too (the same value is accepted).
- on update, a spec.priority or spec.preemptionPolicy the new object lacks
  is kept from the stored one (they cannot change; validation refuses
  other changes).
The system classes may be used in any namespace: the kube-system-only rule
went away in Kubernetes 1.17 (kubernetes#76310); clusters that want it
limit them with a ResourceQuota.

PriorityClassDefault, for priorityclasses: a class may become the
globalDefault only while no other class is. With several defaults (two
writers racing) the one with the lowest value is the default.

The decisions are the pure functions below; the Admission classes only
read the classes through the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubelite.api.resource import Obj, Resource
from kubelite.api.scheduling import priorityclasses as pcs
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Admission, Options, Registry


def default_priority_class(classes: Iterable[Obj]) -> Obj | None:
    """The globalDefault class; the lowest-valued one if several are."""
    found: Obj | None = None
    for pc in classes:
        if pc.get("globalDefault") and (
            found is None or found.get("value", 0) > pc.get("value", 0)
        ):
            found = pc
    return found


def resolve_pod_priority(pod: Obj, named: Obj | None, classes: Iterable[Obj]) -> str:
    """Fill the pod's priority from its class: `named` is the class its
    spec.priorityClassName names (None when that does not exist),
    `classes` all classes (read only when it names none). Returns "" or
    why the pod is Forbidden (and then leaves it unchanged)."""
    spec = pod.setdefault("spec", {})
    class_name = spec.get("priorityClassName") or ""
    if class_name:
        if named is None:
            return f"no PriorityClass with name {class_name} was found"
        value, policy = named.get("value", 0), named.get("preemptionPolicy")
    else:
        fallback = default_priority_class(classes)
        if fallback is None:
            value, policy = pcs.DEFAULT_PRIORITY, pcs.PREEMPT_LOWER_PRIORITY
        else:
            class_name = fallback["metadata"]["name"]
            value, policy = fallback.get("value", 0), fallback.get("preemptionPolicy")
    given = spec.get("priority")
    if given is not None and given != value:
        return (f"the integer value of priority ({given}) must not be provided in pod spec; "
                f"priority admission controller computed {value} from the given "
                f"PriorityClass name")
    given_policy = spec.get("preemptionPolicy")
    if policy is not None and given_policy is not None and given_policy != policy:
        return (f"the string value of PreemptionPolicy ({given_policy}) must not be provided "
                f"in pod spec; priority admission controller computed {policy} from the "
                f"given PriorityClass name")
    if class_name:
        spec["priorityClassName"] = class_name
    else:
        spec.pop("priorityClassName", None)
    spec["priority"] = value
    if policy is not None:
        spec["preemptionPolicy"] = policy
    return ""


def keep_pod_priority(pod: Obj, old: Obj) -> None:
    """On update: what the admission set at creation stays when the new
    object leaves it out."""
    spec, old_spec = pod.setdefault("spec", {}), old.get("spec") or {}
    for key in ("priority", "preemptionPolicy"):
        if spec.get(key) is None and old_spec.get(key) is not None:
            spec[key] = old_spec[key]


def second_default(pc: Obj, classes: Iterable[Obj], updating: bool) -> str:
    """"" unless `pc` wants to be the globalDefault while another class is."""
    if not pc.get("globalDefault"):
        return ""
    current = default_priority_class(classes)
    if current is None:
        return ""
    name = current["metadata"]["name"]
    if not updating or name != (pc.get("metadata") or {}).get("name"):
        return f"PriorityClass {name} is already marked as default. Only one default can exist"
    return ""


def forbidden(res: Resource, obj: Obj, why: str) -> errors.StatusError:
    """admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`."""
    name = (obj.get("metadata") or {}).get("name") or ""
    qualified = f"{res.plural}.{res.group}" if res.group else res.plural
    details: dict[str, Any] = {"name": name, "kind": res.plural}
    if res.group:
        details["group"] = res.group
    return errors.StatusError(403, "Forbidden", f'{qualified} "{name}" is forbidden: {why}',
                              details)


class _ReadsClasses(Admission):
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def _named(self, name: str) -> Obj | None:
        try:
            return await self.registry.get(pcs.RESOURCE, None, name)
        except errors.StatusError as e:
            if e.reason == "NotFound":
                return None
            raise

    async def _all(self) -> list[Obj]:
        # A consistent list (the watch cache once it has caught up): a class
        # created just before the pod is seen, as an informer's lister would
        # see it a moment later.
        listed = await self.registry.list(pcs.RESOURCE, None, Options())
        return list(listed.get("items") or [])


class PodPriority(_ReadsClasses):
    """Register for ("", "pods")."""

    async def admit_create(self, res: Resource, obj: Obj, dry_run: bool) -> None:
        name = (obj.get("spec") or {}).get("priorityClassName") or ""
        named = await self._named(name) if name else None
        why = resolve_pod_priority(obj, named, [] if name else await self._all())
        if why:
            raise forbidden(res, obj, why)

    async def admit_update(self, res: Resource, obj: Obj, old: Obj, dry_run: bool) -> None:
        keep_pod_priority(obj, old)


class PriorityClassDefault(_ReadsClasses):
    """Register for ("scheduling.k8s.io", "priorityclasses")."""

    async def admit_create(self, res: Resource, obj: Obj, dry_run: bool) -> None:
        await self._check(res, obj, updating=False)

    async def admit_update(self, res: Resource, obj: Obj, old: Obj, dry_run: bool) -> None:
        await self._check(res, obj, updating=True)

    async def _check(self, res: Resource, obj: Obj, updating: bool) -> None:
        if not obj.get("globalDefault"):
            return
        why = second_default(obj, await self._all(), updating)
        if why:
            raise forbidden(res, obj, why)
