"""Services (core/v1): a stable virtual address and name in front of a set of
pods. Schema, defaults, validation, the columns of `kubectl get services`
and the service field selectors.

Address allocation is the API server's job, not this module's: it assigns
spec.clusterIP/clusterIPs and node ports (and ipFamilies/ipFamilyPolicy),
and on update it carries the allocated values over from the stored object
when the new one leaves them empty, before validation runs. Validation
here then refuses a change of an allocated cluster IP.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref, protocol, refs
from kubelite.api.core.podspec_defaults import child, dicts
from kubelite.api.meta import (
    AGE_COLUMN,
    CONDITION,
    INT_OR_STRING,
    NAME_COLUMN,
    atomic,
    string_map,
    strings,
    top_level,
)
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

SERVICE = CORE + "Service"
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
IP_FAMILIES = ("IPv4", "IPv6")
DEFAULT_CLIENT_IP_TIMEOUT = 10800
MAX_CLIENT_IP_TIMEOUT = 86400

define(CORE + "ServicePort", obj(
    "A port the service exposes and where it sends the traffic.",
    {
        "name": string("DNS label naming the port; required when there are several."),
        "protocol": string("TCP, UDP or SCTP; TCP by default."),
        "appProtocol": string("Application protocol, e.g. http or kubernetes.io/h2c."),
        "port": integer("Port the service listens on."),
        "targetPort": ref(INT_OR_STRING, "Number or name of the pods' port; the same "
                                         "as port by default."),
        "nodePort": integer("Port on every node, for NodePort and LoadBalancer "
                            "services; allocated when not given."),
    },
    required=("port",),
))

define(CORE + "ClientIPConfig", obj(
    "Settings of client IP affinity.",
    {"timeoutSeconds": integer("How long a client sticks to a pod; 10800 by default.")},
))

define(CORE + "SessionAffinityConfig", obj(
    "Settings of session affinity.",
    {"clientIP": core_ref("ClientIPConfig", "For ClientIP affinity.")},
))

define(CORE + "ServiceSpec", obj(
    "How a service is reached and which pods serve it.",
    {
        "ports": refs("ServicePort", "Ports exposed.", merge_key="port", strategy="merge",
                      list_type="map", map_keys=("port", "protocol")),
        "selector": atomic(string_map("Pods with these labels receive the traffic; "
                                      "without a selector, endpoints are managed by "
                                      "hand.")),
        "clusterIP": string("Virtual address; allocated when empty, None for a headless "
                            "service."),
        "clusterIPs": strings("Virtual addresses, one per IP family; the first is "
                              "clusterIP."),
        "type": string("ClusterIP, NodePort, LoadBalancer or ExternalName; ClusterIP by "
                       "default."),
        "externalIPs": strings("Extra addresses nodes accept traffic for."),
        "sessionAffinity": string("ClientIP or None; None by default."),
        "loadBalancerIP": string("Deprecated: address asked of the load balancer."),
        "loadBalancerSourceRanges": strings("Client networks a load balancer admits."),
        "externalName": string("DNS name an ExternalName service is an alias of."),
        "externalTrafficPolicy": string("Cluster or Local: whether external traffic may "
                                        "go to pods on other nodes."),
        "healthCheckNodePort": integer("Node port for load balancer health checks with "
                                       "the Local policy."),
        "publishNotReadyAddresses": boolean("Include pods that are not ready in DNS and "
                                            "endpoints."),
        "sessionAffinityConfig": core_ref("SessionAffinityConfig", "Affinity settings."),
        "ipFamilies": strings("IPv4 and/or IPv6, in order."),
        "ipFamilyPolicy": string("SingleStack, PreferDualStack or RequireDualStack."),
        "allocateLoadBalancerNodePorts": boolean("Allocate node ports for a "
                                                 "LoadBalancer; true by default."),
        "loadBalancerClass": string("Load balancer implementation to use."),
        "internalTrafficPolicy": string("Cluster or Local: whether in-cluster traffic "
                                        "may go to pods on other nodes."),
        "trafficDistribution": string("Preference for where traffic goes, e.g. "
                                      "PreferClose."),
    },
))

define(CORE + "PortStatus", obj(
    "State of one load balancer port.",
    {
        "port": integer("Port number."),
        "protocol": string("TCP, UDP or SCTP."),
        "error": string("CamelCase problem, if any."),
    },
    required=("port", "protocol"),
))

define(CORE + "LoadBalancerIngress", obj(
    "An address of a load balancer.",
    {
        "ip": string("IP address."),
        "hostname": string("DNS name."),
        "ipMode": string("VIP or Proxy."),
        "ports": refs("PortStatus", "Per port state."),
    },
))

define(CORE + "LoadBalancerStatus", obj(
    "Addresses of a load balancer.",
    {"ingress": refs("LoadBalancerIngress", "The addresses.")},
))

define(CORE + "ServiceStatus", obj(
    "Current state of a service.",
    {
        "loadBalancer": core_ref("LoadBalancerStatus", "Load balancer addresses."),
        "conditions": array(ref(CONDITION), "Current conditions.", merge_key="type",
                            strategy="merge", list_type="map", map_keys=("type",)),
    },
))

define(SERVICE, top_level(
    "A named, stable address in front of a set of pods.",
    {
        "spec": core_ref("ServiceSpec", "What the service exposes."),
        "status": core_ref("ServiceStatus", "Current state; written by the system."),
    },
), gvk=("", "v1", "Service"))

# --- defaults --------------------------------------------------------------------


def default_service(svc: Obj) -> None:
    spec = svc.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    kind = spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        config = spec.setdefault("sessionAffinityConfig", {})
        if isinstance(config, dict):
            client_ip = config.setdefault("clientIP", {})
            if isinstance(client_ip, dict):
                client_ip.setdefault("timeoutSeconds", DEFAULT_CLIENT_IP_TIMEOUT)
    for port in dicts(spec.get("ports")):
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if kind in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if kind != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    elif spec.get("clusterIPs") and not spec.get("clusterIP"):
        spec["clusterIP"] = spec["clusterIPs"][0]


# --- validation ------------------------------------------------------------------


def _ports(spec: Obj, kind: str) -> list[Cause]:
    ports = list(dicts(spec.get("ports")))
    causes: list[Cause] = []
    if not ports and spec.get("clusterIP") != "None" and kind != "ExternalName":
        causes.append(v.required("spec.ports"))
    names: set[str] = set()
    seen: set[tuple[Any, Any]] = set()
    for i, port in enumerate(ports):
        where = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if not name:
            if len(ports) > 1:
                causes.append(v.required(f"{where}.name"))
        elif name in names:
            causes.append(v.duplicate(f"{where}.name", name))
        else:
            causes += v.check(f"{where}.name", name, v.is_dns1123_label(name))
        names.add(name)
        causes += v.check(f"{where}.port", port.get("port"), v.is_valid_port_num(port.get("port")))
        causes += protocol(f"{where}.protocol", port.get("protocol"))
        if port.get("targetPort") is not None:
            causes += v.port_num_or_name(f"{where}.targetPort", port["targetPort"])
        node_port = port.get("nodePort")
        if node_port:
            if kind == "ClusterIP":
                causes.append(v.forbidden(f"{where}.nodePort",
                                          "may not be used when `type` is 'ClusterIP'"))
            causes += v.check(f"{where}.nodePort", node_port, v.is_valid_port_num(node_port))
        key = (port.get("port"), port.get("protocol"))
        if key in seen:
            causes.append(v.duplicate(where, {"port": key[0], "protocol": key[1]}))
        seen.add(key)
    return causes


def _addresses(spec: Obj, kind: str) -> list[Cause]:
    causes: list[Cause] = []
    cluster_ip = spec.get("clusterIP") or ""
    cluster_ips = spec.get("clusterIPs") or []
    if kind == "ExternalName":
        if cluster_ip or cluster_ips:
            causes.append(v.forbidden("spec.clusterIPs",
                                      "may not be set for ExternalName services"))
    elif cluster_ip not in ("", "None") and v.is_valid_ip(cluster_ip):
        causes.append(v.invalid("spec.clusterIP", cluster_ip,
                                "must be empty, 'None', or a valid IP address"))
    if cluster_ip and cluster_ips and cluster_ips[0] != cluster_ip:
        causes.append(v.invalid("spec.clusterIPs[0]", cluster_ips,
                                "first value must match `clusterIP`"))
    for i, ip in enumerate(spec.get("externalIPs") or []):
        causes += v.check(f"spec.externalIPs[{i}]", ip, v.is_valid_ip(ip))
    for i, family in enumerate(spec.get("ipFamilies") or []):
        causes += v.one_of(f"spec.ipFamilies[{i}]", family, IP_FAMILIES)
    if spec.get("ipFamilyPolicy") is not None:
        causes += v.one_of("spec.ipFamilyPolicy", spec["ipFamilyPolicy"], IP_FAMILY_POLICIES)
    return causes


def _policies(spec: Obj, kind: str) -> list[Cause]:
    causes: list[Cause] = []
    affinity = spec.get("sessionAffinity")
    if not affinity:
        causes.append(v.required("spec.sessionAffinity"))
    else:
        causes += v.one_of("spec.sessionAffinity", affinity, ("ClientIP", "None"))
    if affinity == "ClientIP":
        client_ip = child(child(spec, "sessionAffinityConfig") or {}, "clientIP") or {}
        timeout = client_ip.get("timeoutSeconds")
        if not isinstance(timeout, int) or not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
            causes.append(v.invalid(
                "spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}"))
    external = spec.get("externalTrafficPolicy")
    if kind in ("NodePort", "LoadBalancer"):
        if not external:
            causes.append(v.required("spec.externalTrafficPolicy"))
        else:
            causes += v.one_of("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES)
    elif external:
        causes.append(v.invalid("spec.externalTrafficPolicy", external,
                                "may only be set for externally-accessible services"))
    internal = spec.get("internalTrafficPolicy")
    if internal is not None:
        causes += v.one_of("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES)
    return causes


def validate_service(svc: Obj, old: Obj | None) -> list[Cause]:
    spec = child(svc, "spec") or {}
    kind = spec.get("type") or ""
    causes = [v.required("spec.type")] if not kind else v.one_of("spec.type", kind,
                                                                 SERVICE_TYPES)
    causes += _ports(spec, kind)
    causes += _addresses(spec, kind)
    causes += _policies(spec, kind)
    causes += v.validate_labels(spec.get("selector"), "spec.selector")
    if kind == "ExternalName":
        name = spec.get("externalName") or ""
        if not name:
            causes.append(v.required("spec.externalName"))
        else:
            causes += v.check("spec.externalName", name,
                              v.is_dns1123_subdomain(name.removesuffix(".")))
    if old is not None:
        old_spec = child(old, "spec") or {}
        if kind != "ExternalName" and old_spec.get("type") != "ExternalName" \
                and old_spec.get("clusterIP"):
            causes += v.unchanged("spec.clusterIP", spec.get("clusterIP"),
                                  old_spec["clusterIP"])
    return causes


# --- table -----------------------------------------------------------------------


def _cluster_ip(svc: Obj) -> str:
    spec = child(svc, "spec") or {}
    ips = spec.get("clusterIPs") or []
    return (ips[0] if ips else spec.get("clusterIP")) or "<none>"


def external_ip(svc: Obj) -> str:
    """EXTERNAL-IP: external IPs, load balancer addresses (<pending> until
    there is one), or the name of an ExternalName service."""
    spec, status = child(svc, "spec") or {}, child(svc, "status") or {}
    external = list(spec.get("externalIPs") or [])
    kind = spec.get("type") or "ClusterIP"
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        ingress = dicts((child(status, "loadBalancer") or {}).get("ingress"))
        balancer = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        return ",".join(balancer + external) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName") or ""
    return "<unknown>"


def ports_cell(svc: Obj) -> str:
    """PORT(S): 80/TCP, or 80:30080/TCP with a node port."""
    cells = []
    for port in dicts((child(svc, "spec") or {}).get("ports")):
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        cells.append(f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}")
    return ",".join(cells) or "<none>"


def selector_cell(selector: Any) -> str:
    """A selector map as kubectl prints it: k=v pairs by key, or <none>."""
    if not selector:
        return "<none>"
    return ",".join(f"{k}={selector[k]}" for k in sorted(selector))


COLUMNS = (
    NAME_COLUMN,
    Column("Type", lambda s: (child(s, "spec") or {}).get("type") or "",
           description="How the service is exposed."),
    Column("Cluster-IP", _cluster_ip, description="Virtual address inside the cluster."),
    Column("External-IP", external_ip, description="Addresses reachable from outside."),
    Column("Port(s)", ports_cell, description="Ports the service exposes."),
    AGE_COLUMN,
    Column("Selector", lambda s: selector_cell((child(s, "spec") or {}).get("selector")),
           priority=1, description="Labels of the pods behind the service."),
)

SERVICES = register(Resource(
    group="",
    version="v1",
    kind="Service",
    plural="services",
    return_deleted_object=True,
    namespaced=True,
    schema=SERVICE,
    short_names=("svc",),
    categories=("all",),
    status_subresource=True,
    # loadBalancer is a struct value, so it stays even with omitempty.
    zero_status={"loadBalancer": {}},
    # Service names become DNS names and environment variable prefixes, so
    # they are DNS-1035 labels (starting with a letter).
    name_validator=v.name_is_dns1035_label,
    default=default_service,
    validate=validate_service,
    columns=COLUMNS,
    field_selectors={
        "spec.clusterIP": lambda s: str((child(s, "spec") or {}).get("clusterIP") or ""),
        "spec.type": lambda s: str((child(s, "spec") or {}).get("type") or ""),
    },
))
