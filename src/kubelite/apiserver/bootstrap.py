"""What every API server keeps in place in its cluster: the initial
namespaces, the two system PriorityClasses, the `kubernetes` Service in
`default`, and that Service's Endpoints and EndpointSlices, which list every
API server that is up.

Start-up reconciles these objects with what the store already holds, so an
API server starts any number of times over the same data, and several start
side by side on one store. Each server holds a key under
/registry/masterleases/ on an etcd lease (TTL 15 s, kept alive every 10 s),
as kube-apiserver's lease endpoint reconciler does; the endpoints are
rewritten from the keys that are alive, so a server that stops, or dies,
drops out. On a clean stop a server revokes its lease before it stops
listening.

The objects wanted are pure functions of the configuration and the live
servers; `Bootstrap` is the thin part that reads and writes them.
"""

from __future__ import annotations

import asyncio
import copy
import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.discovery.endpointslices import address_causes
from kubelite.api.resource import REGISTRY, Resource
from kubelite.api.scheduling.priorityclasses import system_priority_classes
from kubelite.apiserver import errors
from kubelite.apiserver.registry import Options, Registry
from kubelite.apiserver.storage import Storage

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
LEASE_PREFIX = "/registry/masterleases/"
LEASE_TTL = 15
RECONCILE_SECONDS = 10.0
SERVICE = "kubernetes"
SERVICE_LABEL = "kubernetes.io/service-name"
# The apiserver writes the kubernetes EndpointSlices itself; mirroring of
# its Endpoints is turned off, as upstream does.
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def first_service_ip(cidr: str) -> str:
    """The `kubernetes` Service's address: the first of the service range."""
    return str(ipaddress.ip_network(cidr, strict=False).network_address + 1)


def kubernetes_service(cluster_ip: str, port: int) -> Obj:
    return {
        "metadata": {"name": SERVICE, "labels": {"component": "apiserver",
                                                 "provider": "kubernetes"}},
        "spec": {
            "clusterIP": cluster_ip,
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
    }


def service_reconciled(wanted: Obj) -> Callable[[Obj], Obj]:
    """Puts back the ports and type the `kubernetes` Service must have (its
    address is immutable, and is left as it is)."""

    def change(svc: Obj) -> Obj:
        spec = svc.setdefault("spec", {})
        spec["ports"] = copy.deepcopy(wanted["spec"]["ports"])
        spec["type"] = wanted["spec"]["type"]
        return svc

    return change


def lease_key(ip: str, port: int) -> str:
    return f"{LEASE_PREFIX}{ip}:{port}"


def family(ip: str) -> str:
    return "IPv4" if ipaddress.ip_address(ip).version == 4 else "IPv6"


def _by_port(servers: list[tuple[str, int]]) -> dict[tuple[str, int], list[str]]:
    """The servers' addresses by (address family, port), in order."""
    groups: dict[tuple[str, int], list[str]] = {}
    for ip, port in sorted(set(servers), key=lambda s: (s[1], family(s[0]),
                                                        int(ipaddress.ip_address(s[0])))):
        groups.setdefault((family(ip), port), []).append(ip)
    return groups


def kubernetes_endpoints(servers: list[tuple[str, int]]) -> Obj:
    """The Endpoints of the `kubernetes` Service: one subset per port (and
    address family) the live API servers listen on."""
    subsets = [
        {"addresses": [{"ip": ip} for ip in ips],
         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
        for (_, port), ips in _by_port(servers).items()
    ]
    out: Obj = {"metadata": {"name": SERVICE, "labels": {SKIP_MIRROR: "true"}}}
    if subsets:
        out["subsets"] = subsets
    return out


def kubernetes_slices(servers: list[tuple[str, int]]) -> list[Obj]:
    """The EndpointSlices of the `kubernetes` Service, one per address
    family and port: `kubernetes` for the (usual) one, then
    `kubernetes-<family>-<port>`. An address a slice may not hold (loopback,
    link-local, unspecified: Kubernetes refuses them) is in the Endpoints
    only."""
    reachable = [(ip, port) for ip, port in servers if not address_causes(ip, family(ip), "")]
    slices = []
    for i, ((kind, port), ips) in enumerate(_by_port(reachable).items()):
        slices.append({
            "metadata": {"name": SERVICE if i == 0 else f"{SERVICE}-{kind.lower()}-{port}",
                         "labels": {SERVICE_LABEL: SERVICE}},
            "addressType": kind,
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        })
    return slices


def _replacing(wanted: Obj, fields: tuple[str, ...]) -> Callable[[Obj], Obj]:
    def change(obj: Obj) -> Obj:
        for key in fields:
            if key in wanted:
                obj[key] = copy.deepcopy(wanted[key])
            else:
                obj.pop(key, None)
        labels = obj["metadata"].setdefault("labels", {})
        labels.update(wanted["metadata"].get("labels") or {})
        return obj

    return change


class Bootstrap:
    def __init__(self, registry: Registry, storage: Storage, cluster_ip_range: str,
                 ip: str, port: int) -> None:
        self.registry = registry
        self.storage = storage
        self.cluster_ip = first_service_ip(cluster_ip_range)
        self.ip, self.port = ip, port
        self.lease_key = lease_key(ip, port)
        self.lease = 0  # none granted yet

    @staticmethod
    def _res(plural: str, group: str = "", version: str = "v1") -> Resource:
        return REGISTRY[(group, version, plural)]

    async def _ensure(self, res: Resource, namespace: str | None, wanted: Obj,
                      change: Callable[[Obj], Obj] | None) -> None:
        """`change` what is stored (nothing is written when that changes
        nothing), or create `wanted` if it is missing."""
        name = wanted["metadata"]["name"]
        for _ in range(2):  # a second time if another API server creates it meanwhile
            found = self.registry.get(res, namespace, name) if change is None else (
                self.registry.guaranteed_update(res, namespace, name, change, Options()))
            if await errors.unless_gone(found) is not None:
                return
            try:
                await self.registry.create(res, namespace, copy.deepcopy(wanted), Options())
                log.info("apiserver: created %s %s", res.singular, name)
                return
            except errors.StatusError as e:
                if e.reason != "AlreadyExists":
                    raise

    async def start(self) -> None:
        """Reconcile every bootstrap object once, this server included."""
        for name in INITIAL_NAMESPACES:
            await self._ensure(self._res("namespaces"), None, {"metadata": {"name": name}}, None)
        classes = self._res("priorityclasses", "scheduling.k8s.io")
        for system_class in system_priority_classes():  # made if missing, never changed
            await self._ensure(classes, None, system_class, None)
        wanted = kubernetes_service(self.cluster_ip, self.port)
        await self._ensure(self._res("services"), "default", wanted, service_reconciled(wanted))
        await self.renew()

    async def renew(self) -> None:
        """Keep this server's lease key alive (on a new lease if the old one
        has expired) and rewrite the endpoints from the live ones."""
        if not self.lease or not await self.storage.keep_alive(self.lease):
            self.lease = await self.storage.grant_lease(LEASE_TTL)
        await self.storage.put(self.lease_key, {"ip": self.ip, "port": self.port},
                               lease=self.lease)
        await self.reconcile_endpoints()

    async def reconcile_endpoints(self) -> None:
        listed = await self.storage.list(LEASE_PREFIX)
        servers = [(o["ip"], int(o["port"])) for o in listed.items
                   if isinstance(o.get("ip"), str) and isinstance(o.get("port"), int)]
        endpoints = kubernetes_endpoints(servers)
        await self._ensure(self._res("endpoints"), "default", endpoints,
                           _replacing(endpoints, ("subsets",)))
        slices = self._res("endpointslices", "discovery.k8s.io")
        wanted = kubernetes_slices(servers)
        for slice_ in wanted:
            await self._ensure(slices, "default", slice_,
                               _replacing(slice_, ("addressType", "endpoints", "ports")))
        keep = {s["metadata"]["name"] for s in wanted}
        stale = await self.registry.list(slices, "default", Options(
            label_selector=f"{SERVICE_LABEL}={SERVICE}"))
        for item in stale["items"]:
            if item["metadata"]["name"] not in keep:
                await errors.unless_gone(self.registry.delete(
                    slices, "default", item["metadata"]["name"], Options()))

    async def run(self) -> None:
        """Keep the lease fresh, the endpoints current and the Service in
        place, until cancelled."""
        wanted = kubernetes_service(self.cluster_ip, self.port)
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            try:
                await self._ensure(self._res("services"), "default", wanted, None)
                await self.renew()
            except errors.StatusError as e:
                log.warning("apiserver: bootstrap reconcile: %s", e.message)
            except Exception:  # a bug must not end the loop: the lease would lapse
                log.exception("apiserver: bootstrap reconcile failed")

    async def stop(self) -> None:
        """Leave the endpoints: this server is going away."""
        if self.lease:
            await self.storage.revoke_lease(self.lease)
        await self.reconcile_endpoints()
