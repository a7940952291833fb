"""discovery.k8s.io/v1 EndpointSlice: a slice of the network endpoints
behind a Service (at most 1000 per slice), of one address type."""

from __future__ import annotations

import ipaddress

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, PROTOCOLS
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, atomic, string_map, strings, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

DISCOVERY = "io.k8s.api.discovery.v1."
ENDPOINT_SLICE = DISCOVERY + "EndpointSlice"
ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 20000
MAX_ZONE_HINTS = 8
_LINK_LOCAL_MULTICAST_V4 = ipaddress.ip_network("224.0.0.0/24")
# How many ports or addresses the table shows before "+ N more...".
SHOWN = 3

define(DISCOVERY + "EndpointConditions", obj(
    "The state of an endpoint.",
    {
        "ready": boolean("Ready for traffic; unset means unknown (treat as ready)."),
        "serving": boolean("Able to take traffic, even while terminating."),
        "terminating": boolean("Being shut down."),
    },
))

define(DISCOVERY + "ForZone", obj(
    "A zone that should use an endpoint.",
    {"name": string("Name of the zone.")},
    required=("name",),
))

define(DISCOVERY + "ForNode", obj(
    "A node that should use an endpoint.",
    {"name": string("Name of the node.")},
    required=("name",),
))

define(DISCOVERY + "EndpointHints", obj(
    "Routing hints for topology-aware routing.",
    {
        "forZones": array(ref(DISCOVERY + "ForZone"), "Zones that should use this "
                                                      "endpoint.", list_type="atomic"),
        "forNodes": array(ref(DISCOVERY + "ForNode"), "Nodes that should use this "
                                                      "endpoint.", list_type="atomic"),
    },
))

define(DISCOVERY + "Endpoint", obj(
    "One backend: a pod (or other target) and its addresses.",
    {
        "addresses": strings("Addresses of the endpoint, of the slice's address type; "
                             "consumers use the first. 1 to 100.", list_type="set"),
        "conditions": ref(DISCOVERY + "EndpointConditions", "The endpoint's state."),
        "hostname": string("DNS label for the endpoint (headless services)."),
        "targetRef": ref(CORE + "ObjectReference", "The object behind the endpoint, "
                                                   "usually a pod."),
        "deprecatedTopology": string_map("Old topology labels; replaced by nodeName and "
                                         "zone."),
        "nodeName": string("The node the endpoint runs on."),
        "zone": string("The zone the endpoint runs in."),
        "hints": ref(DISCOVERY + "EndpointHints", "How consumers should route to it."),
    },
    required=("addresses",),
))

define(DISCOVERY + "EndpointPort", atomic(obj(
    "A port the endpoints serve on.",
    {
        "name": string("Name of the port, matching a Service port name; may be empty."),
        "protocol": string("TCP (the default), UDP or SCTP.", enum=list(PROTOCOLS)),
        "port": integer("Port number; unset means all ports."),
        "appProtocol": string("The application protocol, e.g. http or "
                              "kubernetes.io/h2c."),
    },
)))

define(ENDPOINT_SLICE, top_level(
    "A set of endpoints of one service and one address type.",
    {
        "addressType": string("The type of every address: IPv4, IPv6 or FQDN. "
                              "Immutable.", enum=list(ADDRESS_TYPES)),
        "endpoints": array(ref(DISCOVERY + "Endpoint"), "The endpoints; at most 1000.",
                           list_type="atomic"),
        "ports": array(ref(DISCOVERY + "EndpointPort"), "The ports every endpoint "
                                                        "serves on.", list_type="atomic"),
    },
    required=("addressType", "endpoints"),
), gvk=("discovery.k8s.io", "v1", "EndpointSlice"))


def default(slice_: Obj) -> None:
    for port in slice_.get("ports") or []:
        if port.get("name") is None:
            port["name"] = ""
        if port.get("protocol") is None:
            port["protocol"] = "TCP"


def _too_many(path: str, count: int, limit: int) -> Cause:
    return Cause("FieldValueTooMany", f"Too many: {count}: must have at most {limit} items",
                 path)


def _link_local_multicast(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if ip.version == 4:
        return ip in _LINK_LOCAL_MULTICAST_V4
    return ip.packed[0] == 0xFF and ip.packed[1] & 0x0F == 0x02


def address_causes(address: str, kind: str, path: str) -> list[Cause]:
    """Why `address` may not be an endpoint of a slice of `kind` (IPv4,
    IPv6 or FQDN), as causes at `path`."""
    if kind == "FQDN":
        errs = v.is_dns1123_subdomain(address)
        if "." not in address:
            errs.insert(0, "should be a domain with at least two segments separated by dots")
        return v.check(path, address, errs)
    version = 4 if kind == "IPv4" else 6
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is None or ip.version != version:
        return [v.invalid(path, address, f"must be a valid IPv{version} address")]
    if ip.is_unspecified:
        return [v.invalid(path, address, "may not be unspecified (0.0.0.0, ::)")]
    if ip.is_loopback:
        return [v.invalid(path, address, "may not be in the loopback range (127.0.0.0/8, "
                                         "::1/128)")]
    if ip.is_link_local:
        return [v.invalid(path, address, "may not be in the link-local range "
                                         "(169.254.0.0/16, fe80::/10)")]
    if _link_local_multicast(ip):
        return [v.invalid(path, address, "may not be in the link-local multicast range "
                                         "(224.0.0.0/24, ff02::/10)")]
    return []


def _validate_endpoints(endpoints: list[Obj], kind: str, path: str) -> list[Cause]:
    causes = [_too_many(path, len(endpoints), MAX_ENDPOINTS)] \
        if len(endpoints) > MAX_ENDPOINTS else []
    for i, endpoint in enumerate(endpoints):
        at = f"{path}[{i}]"
        addresses = endpoint.get("addresses") or []
        if not addresses:
            causes.append(v.required(f"{at}.addresses", "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            causes.append(_too_many(f"{at}.addresses", len(addresses), MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            causes += address_causes(address, kind, f"{at}.addresses[{j}]")
        if endpoint.get("nodeName") is not None:
            causes += v.check(f"{at}.nodeName", endpoint["nodeName"],
                              v.is_dns1123_subdomain(endpoint["nodeName"]))
        causes += v.validate_labels(endpoint.get("deprecatedTopology"),
                                    f"{at}.deprecatedTopology")
        if endpoint.get("hostname") is not None:
            causes += v.check(f"{at}.hostname", endpoint["hostname"],
                              v.is_dns1123_label(endpoint["hostname"]))
        zones = (endpoint.get("hints") or {}).get("forZones") or []
        if len(zones) > MAX_ZONE_HINTS:
            causes.append(_too_many(f"{at}.hints.forZones", len(zones), MAX_ZONE_HINTS))
    return causes


def _validate_ports(ports: list[Obj], path: str) -> list[Cause]:
    causes = [_too_many(path, len(ports), MAX_PORTS)] if len(ports) > MAX_PORTS else []
    names: set[str] = set()
    for i, port in enumerate(ports):
        at = f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            causes += v.check(f"{at}.name", name, v.is_dns1123_label(name))
        if name in names:
            causes.append(v.duplicate(f"{at}.name", name))
        names.add(name)
        protocol = port.get("protocol")
        causes += [v.required(f"{at}.protocol")] if protocol is None else v.one_of(
            f"{at}.protocol", protocol, PROTOCOLS)
        if port.get("appProtocol") is not None:
            causes += v.check(f"{at}.appProtocol", port["appProtocol"],
                              v.is_qualified_name(port["appProtocol"]))
    return causes


def validate(slice_: Obj, old: Obj | None) -> list[Cause]:
    kind = slice_.get("addressType")
    causes = [v.required("addressType")] if not kind else v.one_of(
        "addressType", kind, ADDRESS_TYPES)
    causes += _validate_endpoints(slice_.get("endpoints") or [], kind or "", "endpoints")
    causes += _validate_ports(slice_.get("ports") or [], "ports")
    if old is not None:
        causes += v.unchanged("addressType", kind, old.get("addressType"))
    return causes


def _first_few(items: list[str]) -> str:
    """Up to three items, then how many more; <unset> for none."""
    if len(items) > SHOWN:
        return f"{','.join(items[:SHOWN])} + {len(items) - SHOWN} more..."
    return ",".join(items) or "<unset>"


def _ports(slice_: Obj) -> str:
    return _first_few([
        str(p["port"]) if p.get("port") is not None else p.get("name") or "*"
        for p in slice_.get("ports") or []
    ])


def _endpoints(slice_: Obj) -> str:
    return _first_few([a for e in slice_.get("endpoints") or [] for a in e.get("addresses")
                       or []])


RESOURCE = register(Resource(
    group="discovery.k8s.io",
    version="v1",
    kind="EndpointSlice",
    plural="endpointslices",
    namespaced=True,
    schema=ENDPOINT_SLICE,
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("AddressType", lambda s: s.get("addressType", ""),
               description="The type of the addresses."),
        Column("Ports", _ports, description="The ports served."),
        Column("Endpoints", _endpoints, description="The endpoints' addresses."),
        AGE_COLUMN,
    ),
))
