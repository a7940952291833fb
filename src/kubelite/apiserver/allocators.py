"""Service addresses: cluster IPs from --service-cluster-ip-range and node
ports from --service-node-port-range.

Each address in use is a key in the store (/registry/kubelite/serviceips/<ip>,
/registry/kubelite/servicenodeports/<port>) created with a create-if-absent
transaction, so two services can never get the same one, even from two API
servers. The decisions (what a service asks for, which address to try) are
pure; the store calls are the thin part.
"""

from __future__ import annotations

import copy
import ipaddress
import random
from typing import Any

from kubelite.api.resource import Cause, Resource
from kubelite.apiserver import errors
from kubelite.apiserver.storage import Storage

Obj = dict[str, Any]

IP_PREFIX = "/registry/kubelite/serviceips/"
PORT_PREFIX = "/registry/kubelite/servicenodeports/"
ATTEMPTS = 64


def needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type", "ClusterIP") != "ExternalName" and spec.get("clusterIP") != "None"


def needs_node_ports(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


class ServiceAllocator:
    def __init__(self, storage: Storage, cidr: str, node_ports: tuple[int, int]) -> None:
        self.storage = storage
        self.network = ipaddress.ip_network(cidr, strict=False)
        self.cidr = cidr
        self.node_ports = node_ports

    # -------------------------------------------------------------- hooks

    async def on_create(self, res: Resource, svc: Obj, dry_run: bool) -> None:
        await self._allocate(svc, None, dry_run)

    async def on_update(self, res: Resource, svc: Obj, old: Obj, dry_run: bool) -> None:
        carry_over(svc, old)
        await self._allocate(svc, old, dry_run)

    async def on_delete(self, res: Resource, svc: Obj) -> None:
        await self._release(held(svc))

    async def after_update(self, svc: Obj, old: Obj) -> None:
        """After an update: give back what the old service held and the new
        one does not."""
        await self._release(held(old) - held(svc))

    # -------------------------------------------------------------- work

    async def _allocate(self, svc: Obj, old: Obj | None, dry_run: bool) -> None:
        spec = svc.setdefault("spec", {})
        name = svc["metadata"]["name"]
        owner = {"namespace": svc["metadata"].get("namespace"), "name": name}
        before = held(old) if old is not None else set()
        taken: list[str] = []
        try:
            if needs_cluster_ip(spec):
                ip = await self._cluster_ip(spec, name, owner, before, dry_run, taken)
                spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            elif spec.get("clusterIP") == "None":
                spec["clusterIPs"] = ["None"]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            if needs_node_ports(spec):
                for i, port in enumerate(spec.get("ports") or []):
                    port["nodePort"] = await self._node_port(
                        port.get("nodePort"), i, name, owner, before, dry_run, taken
                    )
            else:
                for port in spec.get("ports") or []:
                    port.pop("nodePort", None)
        except BaseException:
            await self._release(set(taken))
            raise

    async def _cluster_ip(
        self, spec: Obj, name: str, owner: Obj, before: set[str], dry_run: bool, taken: list[str]
    ) -> str:
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
            if key in before or dry_run:
                return wanted
            if not await self._claim(key, owner):
                raise _ip_invalid(
                    name, wanted, f"failed to allocate IP {wanted}: provided IP is already "
                    "allocated",
                )
            taken.append(key)
            return wanted
        hosts = self.network.num_addresses - 2
        for _ in range(ATTEMPTS):
            candidate = str(self.network.network_address + random.randint(2, hosts))
            if dry_run:
                return candidate
            if await self._claim(IP_PREFIX + candidate, owner):
                taken.append(IP_PREFIX + candidate)
                return candidate
        raise errors.internal("failed to allocate a service IP: range is full")

    async def _node_port(
        self, wanted: Any, index: int, name: str, owner: Obj, before: set[str], dry_run: bool,
        taken: list[str],
    ) -> int:
        low, high = self.node_ports
        path = f"spec.ports[{index}].nodePort"
        if wanted:
            if not low <= wanted <= high:
                raise errors.invalid("Service", name, [Cause(
                    "FieldValueInvalid",
                    f"Invalid value: {wanted}: provided port is not in the valid range. "
                    f"The range of valid ports is {low}-{high}", path)])
            key = PORT_PREFIX + str(wanted)
            if key in before or key in taken or dry_run:
                return wanted
            if not await self._claim(key, owner):
                raise errors.invalid("Service", name, [Cause(
                    "FieldValueInvalid",
                    f"Invalid value: {wanted}: provided port is already allocated", path)])
            taken.append(key)
            return wanted
        for _ in range(ATTEMPTS):
            candidate = random.randint(low, high)
            key = PORT_PREFIX + str(candidate)
            if key in taken:
                continue
            if dry_run:
                return candidate
            if await self._claim(key, owner):
                taken.append(key)
                return candidate
        raise errors.internal("failed to allocate a node port: range is full")

    async def _claim(self, key: str, owner: Obj) -> bool:
        try:
            await self.storage.create(key, {"metadata": {}, "owner": owner},
                                      resource="allocations", name=key)
            return True
        except errors.StatusError as e:
            if e.reason == "AlreadyExists":
                return False
            raise

    async def _release(self, keys: set[str]) -> None:
        for key in keys:
            try:
                await self.storage.delete(key, resource="allocations", name=key)
            except errors.StatusError as e:
                if e.reason != "NotFound":
                    raise


def held(svc: Obj | None) -> set[str]:
    """The allocation keys a stored service holds."""
    if svc is None:
        return set()
    spec = svc.get("spec", {})
    keys = {IP_PREFIX + ip for ip in spec.get("clusterIPs") or [] if ip and ip != "None"}
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
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
