"""Namespaces' life: the ones every cluster starts with, and the clean-up
that empties a terminating namespace and then lets it go.

The clean-up is what Kubernetes' namespace controller does; it runs inside
the API server until kubelite has a controller manager to hold it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from kubelite.api.resource import Resource
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Options, Registry

log = logging.getLogger("kubelite.apiserver")

INITIAL = ("default", "kube-system", "kube-public", "kube-node-lease")
FINALIZER = "kubernetes"
POLL_SECONDS = 1.0


async def ensure_initial(registry: Registry, namespaces: Resource) -> None:
    for name in INITIAL:
        try:
            await registry.create(namespaces, None, {"metadata": {"name": name}}, Options())
            log.info("apiserver: created namespace %s", name)
        except errors.StatusError as e:
            if e.reason != "AlreadyExists":
                raise


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
            if not res.namespaced:
                continue
            await self.registry.delete_collection(res, name, Options(propagation="Background"))
            left += len((await self.registry.list(res, name, Options()))["items"])
        if left:
            return
        finalizers = [f for f in ns.get("spec", {}).get("finalizers") or [] if f != FINALIZER]
        if finalizers != (ns.get("spec", {}).get("finalizers") or []):
            ns.setdefault("spec", {})["finalizers"] = finalizers
            await self.registry.finalize_namespace(self.namespaces, ns, Options())
            log.info("apiserver: namespace %s is empty and finalized", name)
