"""Finishing cascading deletes: the `orphan` and `foregroundDeletion`
finalizers a delete with --cascade=orphan|foreground puts on an object.

For an object being deleted with `orphan`, its dependents (objects whose
ownerReferences name its uid) lose that reference and the finalizer goes;
with `foregroundDeletion`, the dependents are deleted first and the
finalizer goes once none is left. This is Kubernetes' garbage collector's
part in a delete; it runs inside the API server until kubelite has a
controller manager to hold the collector.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.resource import Resource
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Options, Registry

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]

ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"
RETRY_SECONDS = 1.0


def owned_by(obj: Obj, uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])


def without_owner(uid: str) -> Callable[[Obj], Obj]:
    """A change that drops the owner reference to `uid`."""

    def drop(obj: Obj) -> Obj:
        refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            obj["metadata"]["ownerReferences"] = refs
        else:
            obj["metadata"].pop("ownerReferences", None)
        return obj

    return drop


def cascade_done(uid: str) -> Callable[[Obj], Obj]:
    """A change that drops the cascading-delete finalizers of the object
    with `uid` (not of another one created since under its name)."""

    def drop(obj: Obj) -> Obj:
        meta = obj["metadata"]
        if meta.get("uid") == uid:
            meta["finalizers"] = [
                f for f in meta.get("finalizers") or [] if f not in (ORPHAN, FOREGROUND)
            ]
        return obj

    return drop


class GarbageCollector:
    def __init__(self, registry: Registry, resources: Callable[[], list[Resource]]) -> None:
        self.registry = registry
        self.resources = resources
        self.pending: asyncio.Queue[tuple[Resource, str | None, str]] = asyncio.Queue()

    def marked(self, res: Resource, obj: Obj) -> None:
        """The registry stored `obj` marked for deletion."""
        finalizers = obj["metadata"].get("finalizers") or []
        if ORPHAN in finalizers or FOREGROUND in finalizers:
            meta = obj["metadata"]
            self.pending.put_nowait((res, meta.get("namespace"), meta["name"]))

    async def run(self) -> None:
        await self._scan()
        while True:
            res, namespace, name = await self.pending.get()
            try:
                done = await self.finish(res, namespace, name)
            except errors.StatusError as e:
                log.warning("apiserver: cascading delete of %s/%s: %s", res.plural, name,
                            e.message)
                done = False
            if not done:
                asyncio.get_running_loop().call_later(
                    RETRY_SECONDS, self.pending.put_nowait, (res, namespace, name))

    async def _scan(self) -> None:
        """Pick up deletes left half done (by a restart)."""
        for res in self.resources():
            if res.from_stored:  # a view of objects another resource holds
                continue
            listed = await self.registry.list(res, None, Options())
            for obj in listed["items"]:
                if obj["metadata"].get("deletionTimestamp"):
                    self.marked(res, obj)

    async def _dependents(self, owner: Obj) -> list[tuple[Resource, Obj]]:
        uid = owner["metadata"]["uid"]
        namespace = owner["metadata"].get("namespace")
        found = []
        for res in self.resources():
            if (namespace is not None and not res.namespaced) or res.from_stored:
                continue
            listed = await self.registry.list(res, namespace, Options())
            found += [(res, o) for o in listed["items"] if owned_by(o, uid)]
        return found

    async def finish(self, res: Resource, namespace: str | None, name: str) -> bool:
        """One step of a cascading delete; True when nothing is left to do."""
        owner = await errors.unless_gone(self.registry.get(res, namespace, name))
        if owner is None:
            return True
        finalizers = owner["metadata"].get("finalizers") or []
        uid = owner["metadata"]["uid"]
        dependents = await self._dependents(owner)
        if ORPHAN in finalizers:
            for dep_res, dep in dependents:
                meta = dep["metadata"]
                await errors.unless_gone(self.registry.guaranteed_update(
                    dep_res, meta.get("namespace"), meta["name"], without_owner(uid), Options()))
        elif FOREGROUND in finalizers:
            for dep_res, dep in dependents:
                meta = dep["metadata"]
                if not meta.get("deletionTimestamp"):
                    await errors.unless_gone(self.registry.delete(
                        dep_res, meta.get("namespace"), meta["name"],
                        Options(propagation="Foreground")))
            if dependents:
                return False
        else:
            return True
        await errors.unless_gone(self.registry.guaranteed_update(
            res, namespace, name, cascade_done(uid), Options()))
        return True
