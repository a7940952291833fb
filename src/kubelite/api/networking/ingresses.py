"""networking.k8s.io/v1 Ingress: HTTP(S) routing rules from hosts and paths
to Services, carried out by an ingress controller; with a status
subresource."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.common import CORE
from kubelite.api.meta import AGE_COLUMN, NAME_COLUMN, strings, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, define, integer, obj, ref, string

NETWORKING = "io.k8s.api.networking.v1."
INGRESS = NETWORKING + "Ingress"
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_BAD_PATH_PARTS = ("//", "/./", "/../", "%2f", "%2F")
_BAD_PATH_ENDS = ("/..", "/.")
_WILDCARD_FMT = r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_WILDCARD_ERROR = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS "
    "subdomain, which must consist of lower case alphanumeric characters, '-' or '.' "
    "and end with an alphanumeric character"
)
# How many hosts the HOSTS column lists before "+ N more...".
SHOWN_HOSTS = 3

define(NETWORKING + "ServiceBackendPort", obj(
    "A port of a Service, by name or by number (not both).",
    {
        "name": string("The name of the Service port."),
        "number": integer("The number of the Service port."),
    },
))

define(NETWORKING + "IngressServiceBackend", obj(
    "A Service in the Ingress's namespace to send traffic to.",
    {
        "name": string("The Service's name."),
        "port": ref(NETWORKING + "ServiceBackendPort", "The Service port to use."),
    },
    required=("name",),
))

define(NETWORKING + "IngressBackend", obj(
    "Where matching traffic goes: a Service or another resource (not both).",
    {
        "service": ref(NETWORKING + "IngressServiceBackend", "A Service."),
        "resource": ref(CORE + "TypedLocalObjectReference",
                        "Another object in the namespace, e.g. a storage bucket the "
                        "controller knows how to serve."),
    },
))

define(NETWORKING + "HTTPIngressPath", obj(
    "A path and the backend its requests go to.",
    {
        "path": string("The path requests are matched against; starts with '/'."),
        "pathType": string(
            "How path matches: Exact (the whole path), Prefix (by '/'-separated "
            "elements) or ImplementationSpecific (up to the controller).",
            enum=list(PATH_TYPES)),
        "backend": ref(NETWORKING + "IngressBackend", "Where matching requests go."),
    },
    required=("pathType", "backend"),
))

define(NETWORKING + "HTTPIngressRuleValue", obj(
    "HTTP paths of a rule.",
    {"paths": array(ref(NETWORKING + "HTTPIngressPath"), "Paths and their backends.",
                    list_type="atomic")},
    required=("paths",),
))

define(NETWORKING + "IngressRule", obj(
    "Routing for one host (or for all hosts when host is empty).",
    {
        "host": string("The host requests must name: a DNS name (not an IP address), "
                       "possibly with a leading '*.' wildcard label."),
        "http": ref(NETWORKING + "HTTPIngressRuleValue", "The HTTP routing."),
    },
))

define(NETWORKING + "IngressTLS", obj(
    "TLS for a set of hosts.",
    {
        "hosts": strings("Hosts the certificate covers; the rules' hosts by default."),
        "secretName": string("The Secret holding the certificate and key."),
    },
))

define(NETWORKING + "IngressSpec", obj(
    "How an Ingress routes traffic.",
    {
        "ingressClassName": string("The IngressClass (and so the controller) that "
                                   "implements this Ingress."),
        "defaultBackend": ref(NETWORKING + "IngressBackend",
                              "Where requests no rule matches go."),
        "tls": array(ref(NETWORKING + "IngressTLS"), "TLS configuration.",
                     list_type="atomic"),
        "rules": array(ref(NETWORKING + "IngressRule"), "Host and path rules.",
                       list_type="atomic"),
    },
))

define(NETWORKING + "IngressPortStatus", obj(
    "The state of one port of a load balancer.",
    {
        "port": integer("The port number."),
        "protocol": string("TCP, UDP or SCTP."),
        "error": string("Why the port is not working, if it is not."),
    },
    required=("port", "protocol"),
))

define(NETWORKING + "IngressLoadBalancerIngress", obj(
    "An address the Ingress is reachable at.",
    {
        "ip": string("An IP address."),
        "hostname": string("A DNS name."),
        "ports": array(ref(NETWORKING + "IngressPortStatus"), "The ports' states.",
                       list_type="atomic"),
    },
))

define(NETWORKING + "IngressLoadBalancerStatus", obj(
    "The load balancer in front of an Ingress.",
    {"ingress": array(ref(NETWORKING + "IngressLoadBalancerIngress"),
                      "Its addresses.", list_type="atomic")},
))

define(NETWORKING + "IngressStatus", obj(
    "The observed state of an Ingress.",
    {"loadBalancer": ref(NETWORKING + "IngressLoadBalancerStatus",
                         "Where the Ingress is reachable.")},
))

define(INGRESS, top_level(
    "Rules that route outside HTTP(S) traffic to Services.",
    {
        "spec": ref(NETWORKING + "IngressSpec", "The routing wanted."),
        "status": ref(NETWORKING + "IngressStatus", "The observed state; read only."),
    },
), gvk=("networking.k8s.io", "v1", "Ingress"))


# --- validation ----------------------------------------------------------------------


def is_wildcard_subdomain(value: str) -> list[str]:
    errs = []
    if len(value) > v.DNS1123_SUBDOMAIN_MAX:
        errs.append(v.max_len_error(v.DNS1123_SUBDOMAIN_MAX))
    if not re.fullmatch(_WILDCARD_FMT, value):
        errs.append(v.regex_error(_WILDCARD_ERROR, _WILDCARD_FMT, "*.example.com"))
    return errs


def _host(host: str, path: str) -> list[Cause]:
    if "*" in host:
        return v.check(path, host, is_wildcard_subdomain(host))
    return v.check(path, host, v.is_dns1123_subdomain(host))


def path_segment_errors(name: str) -> list[str]:
    """Whether `name` can be one segment of a URL path."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


def validate_typed_reference(ref_: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if ref_.get("apiGroup") is not None:
        causes += v.check(f"{path}.apiGroup", ref_["apiGroup"],
                          v.is_dns1123_subdomain(ref_["apiGroup"]))
    for key in ("kind", "name"):
        value = ref_.get(key) or ""
        if not value:
            causes.append(v.required(f"{path}.{key}", f"{key} is required"))
        else:
            causes += v.check(f"{path}.{key}", value, path_segment_errors(value))
    return causes


def _validate_backend(backend: Obj, path: str) -> list[Cause]:
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [v.invalid(path, "", "cannot set both resource and service backends")]
    if resource is not None:
        return validate_typed_reference(resource, f"{path}.resource")
    if service is None:
        return [v.invalid(path, "", "resource or service backend is required")]
    name = service.get("name") or ""
    causes = [v.required(f"{path}.service.name")] if not name else v.check(
        f"{path}.service.name", name, v.is_dns1035_label(name))
    port = service.get("port") or {}
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        causes.append(v.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        causes += v.check(f"{path}.service.port.name", port_name,
                          v.is_valid_port_name(port_name))
    elif number:
        causes += v.check(f"{path}.service.port.number", number, v.is_valid_port_num(number))
    else:
        causes.append(v.required(path, "port name or number is required"))
    return causes


def _validate_path(http_path: Obj, at: str) -> list[Cause]:
    kind, path = http_path.get("pathType"), http_path.get("path") or ""
    if kind is None:
        return [v.required(f"{at}.pathType", "pathType must be specified")]
    causes: list[Cause] = []
    if kind in ("Exact", "Prefix"):
        if not path.startswith("/"):
            causes.append(v.invalid(f"{at}.path", path, "must be an absolute path"))
        causes += [v.invalid(f"{at}.path", path, f"must not contain '{part}'")
                   for part in _BAD_PATH_PARTS if part in path]
        causes += [v.invalid(f"{at}.path", path, f"cannot end with '{end}'")
                   for end in _BAD_PATH_ENDS if path.endswith(end)]
    elif kind == "ImplementationSpecific":
        if path and not path.startswith("/"):
            causes.append(v.invalid(f"{at}.path", path, "must be an absolute path"))
    else:
        causes.append(v.not_supported(f"{at}.pathType", kind, PATH_TYPES))
    return causes + _validate_backend(http_path.get("backend") or {}, f"{at}.backend")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _validate_rules(rules: list[Obj], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, rule in enumerate(rules):
        at = f"{path}[{i}]"
        host = rule.get("host") or ""
        if host:
            if _is_ip(host):
                causes.append(v.invalid(f"{at}.host", host,
                                        "must be a DNS name, not an IP address"))
            causes += _host(host, f"{at}.host")
        http = rule.get("http")
        if http is not None:
            paths = http.get("paths") or []
            if not paths:
                causes.append(v.required(f"{at}.http.paths"))
            for j, http_path in enumerate(paths):
                causes += _validate_path(http_path, f"{at}.http.paths[{j}]")
    return causes


def _validate_tls(tls: list[Obj], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, entry in enumerate(tls):
        for j, host in enumerate(entry.get("hosts") or []):
            causes += _host(host, f"{path}[{i}].hosts[{j}]")
        secret = entry.get("secretName") or ""
        if secret:
            causes += v.check(f"{path}[{i}].secretName", secret,
                              v.is_dns1123_subdomain(secret))
    return causes


def validate(ingress: Obj, old: Obj | None) -> list[Cause]:
    spec = ingress.get("spec") or {}
    rules, default_backend = spec.get("rules") or [], spec.get("defaultBackend")
    causes: list[Cause] = []
    if not rules and default_backend is None:
        causes.append(v.invalid("spec", rules, "either `defaultBackend` or `rules` must be "
                                               "specified"))
    if default_backend is not None:
        causes += _validate_backend(default_backend, "spec.defaultBackend")
    causes += _validate_rules(rules, "spec.rules")
    causes += _validate_tls(spec.get("tls") or [], "spec.tls")
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        causes += v.check("spec.ingressClassName", class_name,
                          v.is_dns1123_subdomain(class_name))
    annotation = ((ingress.get("metadata") or {}).get("annotations") or {}).get(
        CLASS_ANNOTATION)
    if old is None and annotation is not None and class_name is not None \
            and annotation != class_name:
        causes.append(v.invalid(f"annotations.{CLASS_ANNOTATION}", annotation,
                                "must match `ingressClassName` when both are specified"))
    return causes


# --- columns -------------------------------------------------------------------------


def _hosts(ingress: Obj) -> str:
    """Up to three rule hosts, then how many more rules there are; * for none."""
    rules = (ingress.get("spec") or {}).get("rules") or []
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == SHOWN_HOSTS
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    return ",".join(hosts) + (f" + {len(rules) - SHOWN_HOSTS} more..." if more else "")


def _address(ingress: Obj) -> str:
    points = (((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress")) or []
    return ",".join(sorted({p.get("ip") or p.get("hostname") for p in points
                            if p.get("ip") or p.get("hostname")}))


def _ports(ingress: Obj) -> str:
    return "80, 443" if (ingress.get("spec") or {}).get("tls") else "80"


def _class(ingress: Obj) -> Any:
    name = (ingress.get("spec") or {}).get("ingressClassName")
    return "<none>" if name is None else name


RESOURCE = register(Resource(
    group="networking.k8s.io",
    version="v1",
    kind="Ingress",
    plural="ingresses",
    namespaced=True,
    schema=INGRESS,
    short_names=("ing",),
    status_subresource=True,
    # loadBalancer is a struct value, so it stays even with omitempty.
    zero_status={"loadBalancer": {}},
    validate=validate,
    columns=(
        NAME_COLUMN,
        Column("Class", _class, description="The IngressClass that implements it."),
        Column("Hosts", _hosts, description="The hosts its rules match."),
        Column("Address", _address, description="Where the load balancer is reachable."),
        Column("Ports", _ports, description="The ports it opens."),
        AGE_COLUMN,
    ),
))
