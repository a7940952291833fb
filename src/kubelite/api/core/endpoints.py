"""Endpoints (core/v1): the addresses and ports behind a service, written by
the endpoints controller (or by hand for services without a selector).
Schema, defaults, validation and the columns of `kubectl get endpoints`."""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref, protocol, refs
from kubelite.api.core.podspec_defaults import dicts
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import define, integer, obj, string

ENDPOINTS = CORE + "Endpoints"
SHOWN_ENDPOINTS = 3  # kubectl lists this many, then "+ N more..."

define(CORE + "EndpointAddress", obj(
    "One address serving the service.",
    {
        "ip": string("The address."),
        "hostname": string("Hostname of the endpoint."),
        "nodeName": string("Node the endpoint runs on."),
        "targetRef": core_ref("ObjectReference", "The pod (or other object) behind it."),
    },
    required=("ip",),
))

define(CORE + "EndpointPort", obj(
    "One port of the endpoints.",
    {
        "name": string("Name, matching a service port's; required when there are "
                       "several."),
        "port": integer("Port number."),
        "protocol": string("TCP, UDP or SCTP; TCP by default."),
        "appProtocol": string("Application protocol."),
    },
    required=("port",),
))

define(CORE + "EndpointSubset", obj(
    "Addresses that all serve the same ports.",
    {
        "addresses": refs("EndpointAddress", "Ready addresses."),
        "notReadyAddresses": refs("EndpointAddress", "Addresses not ready yet."),
        "ports": refs("EndpointPort", "The ports."),
    },
))

define(ENDPOINTS, top_level(
    "Where the pods of a service can be reached.",
    {"subsets": refs("EndpointSubset", "Groups of addresses with their ports.")},
), gvk=("", "v1", "Endpoints"))


def default_endpoints(endpoints: Obj) -> None:
    for subset in dicts(endpoints.get("subsets")):
        for port in dicts(subset.get("ports")):
            port.setdefault("protocol", "TCP")


def _address(address: Obj, path: str) -> list[Cause]:
    ip = address.get("ip") or ""
    causes = v.check(f"{path}.ip", ip, v.is_valid_ip(ip))
    if address.get("hostname"):
        causes += v.check(f"{path}.hostname", address["hostname"],
                          v.is_dns1123_label(address["hostname"]))
    if address.get("nodeName"):
        causes += v.check(f"{path}.nodeName", address["nodeName"],
                          v.is_dns1123_subdomain(address["nodeName"]))
    return causes


def validate_endpoints(endpoints: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    for i, subset in enumerate(dicts(endpoints.get("subsets"))):
        where = f"subsets[{i}]"
        if not subset.get("addresses") and not subset.get("notReadyAddresses"):
            causes.append(v.required(where, "must specify `addresses` or `notReadyAddresses`"))
        for key in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(dicts(subset.get(key))):
                causes += _address(address, f"{where}.{key}[{j}]")
        ports = list(dicts(subset.get("ports")))
        names: set[str] = set()
        for j, port in enumerate(ports):
            at = f"{where}.ports[{j}]"
            name = port.get("name") or ""
            if not name:
                if len(ports) > 1:
                    causes.append(v.required(f"{at}.name"))
            elif name in names:
                causes.append(v.duplicate(f"{at}.name", name))
            else:
                causes += v.check(f"{at}.name", name, v.is_dns1123_label(name))
            names.add(name)
            causes += v.check(f"{at}.port", port.get("port"), v.is_valid_port_num(port.get("port")))
            causes += protocol(f"{at}.protocol", port.get("protocol"))
    return causes


def _host_port(ip: str, port: object) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def endpoints_cell(endpoints: Obj) -> str:
    """ENDPOINTS: up to three ip:port pairs, then how many more there are."""
    subsets = list(dicts(endpoints.get("subsets")))
    if not subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    for subset in subsets:
        ips = [a.get("ip") or "" for a in dicts(subset.get("addresses"))]
        ports = list(dicts(subset.get("ports")))
        pairs = ips if not ports else [_host_port(ip, p.get("port")) for p in ports for ip in ips]
        count += len(pairs)
        shown += pairs[:SHOWN_ENDPOINTS - len(shown)]
    if count > SHOWN_ENDPOINTS:
        return f"{','.join(shown)} + {count - SHOWN_ENDPOINTS} more..."
    return ",".join(shown)


ENDPOINTS_RESOURCE = register(Resource(
    group="",
    version="v1",
    kind="Endpoints",
    plural="endpoints",
    singular="endpoints",
    namespaced=True,
    schema=ENDPOINTS,
    short_names=("ep",),
    default=default_endpoints,
    validate=validate_endpoints,
    columns=(
        NAME_COLUMN,
        Column("Endpoints", endpoints_cell, description="Addresses and ports behind the "
                                                         "service."),
        AGE_COLUMN,
    ),
))
