"""The clean-up that empties a terminating namespace and then lets it go,
as Kubernetes' namespace controller does; it runs inside the API server
until kubelite has a controller manager to hold it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubelite.api.resource import Resource
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Options, Registry

log = logging.getLogger("kubelite.apiserver")

FINALIZER = "kubernetes"
POLL_SECONDS = 1.0


class NamespaceCleaner:
    def __init__(self, registry: Registry, resources: Callable[[], list[Resource]],
                 namespaces: Resource) -> None:
        self.registry = registry
        self.resources = resources
        self.namespaces = namespaces

    async def run(self) -> None:
        while True:
            try:
                listed = await self.registry.list(self.namespaces, None, Options())
                for ns in listed["items"]:
                    if ns["metadata"].get("deletionTimestamp"):
                        await self.clean(ns)
            except errors.StatusError as e:
                log.warning("apiserver: namespace clean-up: %s", e.message)
            await asyncio.sleep(POLL_SECONDS)

    async def clean(self, ns: dict) -> None:
        """Delete what the namespace holds; once nothing is left, drop the
        namespace's finalizer so that it goes too."""
        name = ns["metadata"]["name"]
        left = 0
        for res in self.resources():
            if not res.namespaced or res.from_stored:  # (a view: its objects are another's)
                continue
            await self.registry.delete_collection(res, name, Options(propagation="Background"))
            left += len((await self.registry.list(res, name, Options()))["items"])
        if left:
            return
        if FINALIZER in (ns.get("spec", {}).get("finalizers") or []):
            await self.registry.finalize_namespace(
                self.namespaces, name, lambda have: [f for f in have if f != FINALIZER],
                Options())
            log.info("apiserver: namespace %s is empty and finalized", name)
