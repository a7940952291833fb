"""Service addresses: cluster IPs from --service-cluster-ip-range and node
ports from --service-node-port-range.

Each address in use is a key in the store (/registry/kubelite/serviceips/<ip>,
/registry/kubelite/servicenodeports/<port>) created with a create-if-absent
transaction, so two services can never get the same one, even from two API
servers. The decisions (what a service asks for, which address to try) are
pure; the store calls are the thin part.

A repair pass, at start and every few minutes, mends what a crash between
a claim and its service's write (or delete) leaves, as kube-apiserver's
repair controllers do: an address that a stored service holds gets its key
back, and a key that no service holds is given back once two passes in a
row find it so, unchanged (so an address claimed for a create still in
flight is never taken from it).
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.resource import REGISTRY, Cause, Resource
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Admission, Options, Registry
from kubelite.apiserver.storage import RevisionChanged, Storage

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]

REPAIR_SECONDS = 180.0
IP_PREFIX = "/registry/kubelite/serviceips/"
PORT_PREFIX = "/registry/kubelite/servicenodeports/"
ATTEMPTS = 64


def needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type", "ClusterIP") != "ExternalName" and spec.get("clusterIP") != "None"


def needs_node_ports(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


class ServiceAllocator(Admission):
    def __init__(self, storage: Storage, cidr: str, node_ports: tuple[int, int]) -> None:
        self.storage = storage
        self.network = ipaddress.ip_network(cidr, strict=False)
        self.cidr = cidr
        self.node_ports = node_ports

    # -------------------------------------------------------------- admission

    async def admit_create(self, res: Resource, svc: Obj, dry_run: bool) -> list[str]:
        return await self._allocate(svc, None, dry_run)

    async def admit_update(self, res: Resource, svc: Obj, old: Obj,
                           dry_run: bool) -> list[str]:
        carry_over(svc, old)
        return await self._allocate(svc, old, dry_run)

    async def undo(self, taken: list[str]) -> None:
        """Give back the claims an admission made for a write that is not
        kept."""
        await self._release(set(taken))

    async def after_update(self, svc: Obj, old: Obj) -> None:
        """Give back what the old service held and the new one does not."""
        await self._release(held(old) - held(svc))

    async def after_delete(self, res: Resource, svc: Obj) -> None:
        await self._release(held(svc))

    # -------------------------------------------------------------- repair

    async def repair(self, registry: Registry, suspects: dict[str, int]) -> dict[str, int]:
        """One repair pass; `suspects` are the unheld keys the last pass
        found (key -> revision). Returns this pass's."""
        claims = {**await self._claims(IP_PREFIX), **await self._claims(PORT_PREFIX)}
        services = (await registry.list(REGISTRY[("", "v1", "services")], None, Options()))
        plan = repair_plan(claims, services["items"], suspects)
        for key, owner in plan.claim.items():
            if await self._claim(key, owner) == NEW:
                log.info("apiserver: repaired the missing claim on %s", key)
        for key, revision in plan.release.items():
            # Only the claim as this pass saw it: another API server's pass
            # may have released it, and a create claimed it again, since.
            try:
                gone = await errors.unless_gone(self.storage.delete(key, revision))
            except RevisionChanged:
                continue
            if gone is not None:
                log.info("apiserver: released %s, held by no service", key)
        return plan.suspects

    async def run_repair(self, registry: Registry) -> None:
        suspects: dict[str, int] = {}
        while True:
            try:
                suspects = await self.repair(registry, suspects)
            except errors.StatusError as e:
                log.warning("apiserver: service address repair: %s", e.message)
            except Exception:  # a bug must not end the repairs
                log.exception("apiserver: service address repair failed")
            await asyncio.sleep(REPAIR_SECONDS)

    # -------------------------------------------------------------- work

    async def _allocate(self, svc: Obj, old: Obj | None, dry_run: bool) -> list[str]:
        """Give the service the addresses it asks for or needs; the claims
        made for it (not those it held already)."""
        spec = svc.setdefault("spec", {})
        name = svc["metadata"]["name"]
        claims = Claims({"namespace": svc["metadata"].get("namespace"), "name": name},
                        held(old), dry_run)
        try:
            if needs_cluster_ip(spec):
                ip = await self._cluster_ip(spec, name, claims)
                spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            elif spec.get("clusterIP") == "None":
                spec["clusterIPs"] = ["None"]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            if needs_node_ports(spec):
                for i, port in enumerate(spec.get("ports") or []):
                    port["nodePort"] = await self._node_port(port.get("nodePort"), i, name,
                                                             claims)
            else:
                for port in spec.get("ports") or []:
                    port.pop("nodePort", None)
        except BaseException:
            await self._release(set(claims.made))
            raise
        return claims.made

    async def _cluster_ip(self, spec: Obj, name: str, claims: Claims) -> str:
        wanted = spec.get("clusterIP")
        if wanted:
            try:
                ip = ipaddress.ip_address(wanted)
            except ValueError:
                raise _ip_invalid(name, wanted, "must be a valid IP address") from None
            if ip not in self.network:
                raise _ip_invalid(
                    name, wanted,
                    f"failed to allocate IP {wanted}: the provided IP ({wanted}) is not in the "
                    f"valid range. The range of valid IPs is {self.cidr}",
                )
            key = IP_PREFIX + wanted
            if key not in claims.before and not await self._take(key, claims):
                raise _ip_invalid(
                    name, wanted, f"failed to allocate IP {wanted}: provided IP is already "
                    "allocated",
                )
            return wanted
        first = self.network.network_address + 2  # .0 is the network, .1 `kubernetes`
        ip = await self._take_any(IP_PREFIX, lambda i: str(first + i),
                                  self.network.num_addresses - 3, claims)
        if ip is None:
            raise errors.internal("failed to allocate a serviceIP: range is full")
        return ip

    async def _node_port(self, wanted: Any, index: int, name: str, claims: Claims) -> int:
        low, high = self.node_ports
        path = f"spec.ports[{index}].nodePort"
        if wanted:
            if not low <= wanted <= high:
                raise errors.invalid("Service", name, [Cause(
                    "FieldValueInvalid",
                    f"Invalid value: {wanted}: provided port is not in the valid range. "
                    f"The range of valid ports is {low}-{high}", path)])
            key = PORT_PREFIX + str(wanted)
            if key in claims.before or key in claims.held:
                return wanted
            if not await self._take(key, claims):
                raise errors.invalid("Service", name, [Cause(
                    "FieldValueInvalid",
                    f"Invalid value: {wanted}: provided port is already allocated", path)])
            return wanted
        port = await self._take_any(PORT_PREFIX, lambda i: str(low + i), high - low + 1, claims)
        if port is None:
            raise errors.internal("failed to allocate a nodePort: range is full")
        return int(port)

    async def _take_any(self, prefix: str, value: Callable[[int], str], size: int,
                        claims: Claims) -> str | None:
        """Take a free one of the `size` values `value(i)`: random tries
        first, then (the range being nearly full) a walk from a random place
        over those the store has no claim on. None if every one is taken."""
        for i in (random.randrange(size) for _ in range(ATTEMPTS)):
            if await self._take(prefix + value(i), claims):
                return value(i)
        claimed = await self._claims(prefix)
        start = random.randrange(size)
        for i in ((start + j) % size for j in range(size)):
            key = prefix + value(i)
            if key not in claimed and await self._take(key, claims):
                return value(i)
        return None

    async def _take(self, key: str, claims: Claims) -> bool:
        """Claim `key` for the service (a dry run only looks); False if
        another service holds it."""
        if key in claims.held:
            return False
        state = await (self._look(key, claims.owner) if claims.dry_run
                       else self._claim(key, claims.owner))
        if state == TAKEN:
            return False
        claims.held.append(key)
        if state == NEW and not claims.dry_run:
            claims.made.append(key)
        return True

    async def _claims(self, prefix: str) -> dict[str, int]:
        """The claim keys under `prefix` (key -> revision). Claims written
        before keys carried their names are not listed."""
        listed = await self.storage.list(prefix)
        return {c["metadata"]["name"]: int(c["metadata"]["resourceVersion"])
                for c in listed.items if c["metadata"].get("name")}

    async def _claim(self, key: str, owner: Obj) -> str:
        """NEW when this call claimed `key` for `owner`; OURS when a claim
        for the same service was there (left by a crash, or by the service
        itself); TAKEN when another holds it."""
        try:
            await self.storage.create(key, {"metadata": {"name": key}, "owner": owner},
                                      resource="allocations", name=key)
            return NEW
        except errors.StatusError as e:
            if e.reason != "AlreadyExists":
                raise
        return await self._look(key, owner)

    async def _look(self, key: str, owner: Obj) -> str:
        """What _claim would find, without claiming."""
        claim = await self.storage.get(key)
        if claim is None:
            return NEW
        return OURS if claim.get("owner") == owner else TAKEN

    async def _release(self, keys: set[str]) -> None:
        for key in keys:
            await errors.unless_gone(self.storage.delete(key, resource="allocations", name=key))


NEW, OURS, TAKEN = "new", "ours", "taken"


@dataclass
class Claims:
    """The addresses one admission deals with for one service."""

    owner: Obj  # {"namespace": ..., "name": ...}
    before: set[str]  # the claim keys the stored service holds already
    dry_run: bool
    held: list[str] = field(default_factory=list)  # keys it has now got
    made: list[str] = field(default_factory=list)  # of those, the ones claimed afresh


@dataclass
class RepairPlan:
    claim: dict[str, Obj]  # key -> owner: held by a service, with no key
    release: dict[str, int]  # key -> revision: held by no service, two passes in a row
    suspects: dict[str, int]  # keys no service holds now (key -> revision)


def repair_plan(claims: dict[str, int], services: list[Obj],
                suspects: dict[str, int]) -> RepairPlan:
    """What a repair pass does, given the claim keys (key -> revision) read
    before the services, and the last pass's suspects."""
    holders: dict[str, Obj] = {}
    for svc in services:
        meta = svc["metadata"]
        for key in held(svc):
            holders[key] = {"namespace": meta.get("namespace"), "name": meta["name"]}
    unheld = {key: rev for key, rev in claims.items() if key not in holders}
    return RepairPlan(
        claim={key: owner for key, owner in holders.items() if key not in claims},
        release={key: rev for key, rev in unheld.items() if suspects.get(key) == rev},
        suspects={key: rev for key, rev in unheld.items() if suspects.get(key) != rev},
    )


def held(svc: Obj | None) -> set[str]:
    """The allocation keys a stored service holds."""
    if svc is None:
        return set()
    spec = svc.get("spec", {})
    keys: set[str] = set()
    if needs_cluster_ip(spec):
        keys = {IP_PREFIX + ip for ip in spec.get("clusterIPs") or [] if ip}
        if spec.get("clusterIP"):
            keys.add(IP_PREFIX + spec["clusterIP"])
    if needs_node_ports(spec):
        keys |= {PORT_PREFIX + str(p["nodePort"]) for p in spec.get("ports") or []
                 if p.get("nodePort")}
    return keys


def carry_over(svc: Obj, old: Obj) -> None:
    """An update that leaves out the addresses keeps the ones held, as
    Kubernetes does (a `kubectl replace` of a manifest without clusterIP)."""
    spec, old_spec = svc.setdefault("spec", {}), old.get("spec", {})
    if not spec.get("clusterIP") and old_spec.get("clusterIP") and needs_cluster_ip(spec):
        spec["clusterIP"] = old_spec["clusterIP"]
        spec["clusterIPs"] = copy.deepcopy(old_spec.get("clusterIPs") or [old_spec["clusterIP"]])
    if needs_node_ports(spec) and needs_node_ports(old_spec):
        by_port = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                   for p in old_spec.get("ports") or []}
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                kept = by_port.get((port.get("port"), port.get("protocol", "TCP")))
                if kept:
                    port["nodePort"] = kept


def _ip_invalid(name: str, wanted: str, why: str) -> errors.StatusError:
    return errors.invalid("Service", name, [Cause(
        "FieldValueInvalid", f'Invalid value: []string{{"{wanted}"}}: {why}', "spec.clusterIPs")])
