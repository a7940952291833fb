"""The coordination, discovery, events.k8s.io, networking and apiextensions
declarations: schemas against real manifests and the official client,
defaults, validation messages, columns and field selectors."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubelite.api.apiextensions import customresourcedefinitions as crds
from kubelite.api.apiextensions import jsonschema
from kubelite.api.coordination import leases
from kubelite.api.discovery import endpointslices
from kubelite.api.events import events
from kubelite.api.networking import ingressclasses, ingresses
from kubelite.api.resource import Obj, Resource
from kubelite.api.schema import DEFINITIONS, REF_PREFIX
from tests.unit.test_api_workloads import (
    check_manifest,
    client_mismatches,
    definitions,
    problems,
    refs_in,
)

MINE = ("io.k8s.api.coordination.v1.", "io.k8s.api.discovery.v1.", "io.k8s.api.events.v1.",
        "io.k8s.api.networking.v1.", jsonschema.APIEXTENSIONS)


def causes(res: Resource, obj: Obj, old: Obj | None = None) -> list[tuple[str, str]]:
    return [(c.field, c.message) for c in res.validate(obj, old)]


def cells(res: Resource, obj: Obj) -> dict[str, Any]:
    return {c.name: c.value(obj) for c in res.columns}


def test_every_reference_resolves() -> None:
    for name in definitions(*MINE):
        for target in refs_in(DEFINITIONS[name]):
            assert target.removeprefix(REF_PREFIX) in DEFINITIONS, (name, target)


@pytest.mark.parametrize("name", definitions(*MINE))
def test_fields_match_the_official_client(name: str) -> None:
    assert client_mismatches(name) == []


def test_resource_declarations() -> None:
    declared = (leases.RESOURCE, endpointslices.RESOURCE, events.RESOURCE,
                ingresses.RESOURCE, ingressclasses.RESOURCE, crds.RESOURCE)
    assert [(r.group, r.plural, r.namespaced, r.short_names, r.categories,
             r.status_subresource) for r in declared] == [
        ("coordination.k8s.io", "leases", True, (), (), False),
        ("discovery.k8s.io", "endpointslices", True, (), (), False),
        ("events.k8s.io", "events", True, ("ev",), (), False),
        ("networking.k8s.io", "ingresses", True, ("ing",), (), True),
        ("networking.k8s.io", "ingressclasses", False, (), (), False),
        ("apiextensions.k8s.io", "customresourcedefinitions", False, ("crd", "crds"),
         ("api-extensions",), True),
    ]


# --- Lease ---------------------------------------------------------------------------


def scheduler_lease() -> Obj:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "kube-scheduler", "namespace": "kube-system"},
        "spec": {"holderIdentity": "node1_4f2a", "leaseDurationSeconds": 15,
                 "acquireTime": "2024-05-01T10:00:00.000000Z",
                 "renewTime": "2024-05-01T10:05:00.123456Z", "leaseTransitions": 2},
    }


def test_lease() -> None:
    lease = scheduler_lease()
    check_manifest(lease, leases.RESOURCE)
    assert causes(leases.RESOURCE, lease) == []
    assert cells(leases.RESOURCE, lease)["Holder"] == "node1_4f2a"
    lease["spec"].update(leaseDurationSeconds=0, leaseTransitions=-1, preferredHolder="x")
    assert causes(leases.RESOURCE, lease) == [
        ("spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0"),
        ("spec.leaseTransitions", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.preferredHolder", "Forbidden: may only be specified if `strategy` is defined"),
    ]
    assert cells(leases.RESOURCE, {"spec": {}})["Holder"] == "<none>"


# --- EndpointSlice -------------------------------------------------------------------


def web_slice() -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-x7k2p", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "protocol": "TCP", "port": 80},
                  {"name": "https", "port": 443, "appProtocol": "https"}],
        "endpoints": [{
            "addresses": ["10.244.0.5"],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": "node1",
            "zone": "zone-a",
            "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "default",
                          "uid": "0b6f8e1c-2a3d-4e5f-9a8b-7c6d5e4f3a2b"},
            "hints": {"forZones": [{"name": "zone-a"}]},
        }],
    }


def test_endpointslice_defaults_and_validation() -> None:
    s = web_slice()
    check_manifest(s, endpointslices.RESOURCE)
    s["ports"].append({"port": 8080})
    endpointslices.default(s)
    assert s["ports"][1]["protocol"] == "TCP"
    assert s["ports"][2] == {"port": 8080, "name": "", "protocol": "TCP"}
    assert causes(endpointslices.RESOURCE, s) == []


def test_endpointslice_invalid() -> None:
    s = web_slice()
    endpointslices.default(s)
    s["endpoints"].append({"addresses": ["127.0.0.1", "fe80::1", "10.0.0.300"]})
    s["endpoints"].append({"addresses": []})
    s["ports"].append({"name": "http", "protocol": "ICMP"})
    assert causes(endpointslices.RESOURCE, s) == [
        ("endpoints[1].addresses[0]", 'Invalid value: "127.0.0.1": may not be in the loopback '
                                      "range (127.0.0.0/8, ::1/128)"),
        ("endpoints[1].addresses[1]", 'Invalid value: "fe80::1": must be a valid IPv4 address'),
        ("endpoints[1].addresses[2]",
         'Invalid value: "10.0.0.300": must be a valid IPv4 address'),
        ("endpoints[2].addresses", "Required value: must contain at least 1 address"),
        ("ports[2].name", 'Duplicate value: "http"'),
        ("ports[2].protocol",
         'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
    ]
    assert causes(endpointslices.RESOURCE, {"endpoints": []}) == [
        ("addressType", "Required value")]
    changed = {**s, "addressType": "IPv6"}
    assert ("addressType", 'Invalid value: "IPv6": field is immutable') in causes(
        endpointslices.RESOURCE, changed, s)


def test_endpointslice_columns() -> None:
    s = web_slice()
    assert cells(endpointslices.RESOURCE, s) | {"Age": None} == {
        "Name": "web-x7k2p", "AddressType": "IPv4", "Ports": "80,443",
        "Endpoints": "10.244.0.5", "Age": None}
    s["endpoints"] = [{"addresses": [f"10.0.0.{i}"]} for i in range(1, 6)]
    s["ports"] = [{"name": "a"}]
    assert cells(endpointslices.RESOURCE, s)["Endpoints"] == (
        "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...")
    assert cells(endpointslices.RESOURCE, s)["Ports"] == "a"
    assert cells(endpointslices.RESOURCE, {"addressType": "IPv4"})["Ports"] == "<unset>"


# --- events.k8s.io Event -------------------------------------------------------------


def pulling_event() -> Obj:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web-1.17c3a9e2", "namespace": "default"},
        "eventTime": "2024-05-01T10:00:00.123456Z",
        "reportingController": "kubelet",
        "reportingInstance": "node1",
        "action": "Pulling",
        "reason": "Pulling",
        "regarding": {"kind": "Pod", "name": "web-1", "namespace": "default",
                      "apiVersion": "v1", "fieldPath": "spec.containers{nginx}"},
        "note": 'Pulling image "nginx:1.27"',
        "type": "Normal",
    }


def test_event_shapes_convert() -> None:
    # One copy of each event, in core's shape where core/v1 keeps it.
    assert events.RESOURCE.key_prefix("default") == "/registry/events/default/"
    assert events.RESOURCE.to_stored is events.to_core
    assert events.RESOURCE.from_stored is events.from_core
    event = pulling_event()
    check_manifest(event, events.RESOURCE)
    core = events.to_core(event)
    assert core["apiVersion"] == "v1"
    assert core["involvedObject"]["name"] == "web-1"
    assert (core["message"], core["reportingComponent"]) == (event["note"], "kubelet")
    assert events.from_core(core) == event

    legacy = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
              "involvedObject": {"kind": "Pod", "name": "p"}, "message": "m", "count": 3,
              "source": {"component": "kubelet"}, "firstTimestamp": "2024-05-01T10:00:00Z",
              "lastTimestamp": "2024-05-01T10:05:00Z"}
    assert events.from_core(legacy) == {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
        "regarding": {"kind": "Pod", "name": "p"}, "note": "m", "deprecatedCount": 3,
        "deprecatedSource": {"component": "kubelet"},
        "deprecatedFirstTimestamp": "2024-05-01T10:00:00Z",
        "deprecatedLastTimestamp": "2024-05-01T10:05:00Z"}


def test_event_validation() -> None:
    event = pulling_event()
    assert causes(events.RESOURCE, event) == []
    event.update(type="Odd", deprecatedCount=3, reportingController="",
                 series={"count": 1, "lastObservedTime": "2024-05-01T10:00:01.000000Z"})
    found = causes(events.RESOURCE, event)
    assert [f for f, _ in found] == [
        "reportingController", "reportingController", "reportingController", "type",
        "deprecatedCount", "series.count"]
    assert found[0] == ("reportingController", "Required value")
    assert found[3:] == [
        ("type", 'Invalid value: "": has invalid value: Odd'),
        ("deprecatedCount", 'Invalid value: "": needs to be unset'),
        ("series.count", 'Invalid value: "": should be at least 2'),
    ]
    old = pulling_event()
    new = {**old, "note": "changed", "series": {"count": 2,
                                                "lastObservedTime": "2024-05-01T10:01:00Z"}}
    assert causes(events.RESOURCE, new, old) == [
        ("note", 'Invalid value: "changed": field is immutable')]


def test_event_columns_and_field_selectors() -> None:
    event = pulling_event()
    row = cells(events.RESOURCE, event)
    assert [c.name for c in events.RESOURCE.columns] == [
        "Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message",
        "First Seen", "Count", "Name"]
    assert (row["Last Seen"], row["Type"], row["Object"], row["Subobject"], row["Source"],
            row["Message"], row["Count"], row["Name"]) == (
        "2024-05-01T10:00:00.123456Z", "Normal", "pod/web-1", "spec.containers{nginx}",
        "kubelet, node1", 'Pulling image "nginx:1.27"', 1, "web-1.17c3a9e2")
    selectors = events.RESOURCE.field_selectors
    event = events.to_core(event)  # selectors read events as stored
    assert selectors["regarding.name"](event) == "web-1"
    assert selectors["regarding.kind"](event) == "Pod"
    assert selectors["reportingController"](event) == "kubelet"
    assert selectors["type"](event) == "Normal"


# --- Ingress -------------------------------------------------------------------------


def shop_ingress() -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "default",
                     "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["shop.example.com", "*.api.example.com"],
                     "secretName": "shop-tls"}],
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "rules": [
                {"host": "shop.example.com", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                    {"path": "/static", "pathType": "ImplementationSpecific",
                     "backend": {"resource": {"apiGroup": "k8s.example.com",
                                              "kind": "StorageBucket",
                                              "name": "static-assets"}}},
                ]}},
                {"host": "*.api.example.com", "http": {"paths": [
                    {"path": "/v1", "pathType": "Exact",
                     "backend": {"service": {"name": "api", "port": {"name": "http"}}}},
                ]}},
            ],
        },
    }


def test_ingress_manifest_is_valid() -> None:
    ing = shop_ingress()
    check_manifest(ing, ingresses.RESOURCE)
    assert causes(ingresses.RESOURCE, ing) == []


def test_ingress_validation() -> None:
    ing = shop_ingress()
    paths = ing["spec"]["rules"][0]["http"]["paths"]
    del paths[0]["pathType"]
    paths[1].update(pathType="Regex")
    paths.append({"path": "static//x", "pathType": "Prefix",
                  "backend": {"service": {"name": "web", "port": {"name": "http",
                                                                  "number": 80}}}})
    paths.append({"path": "/a", "pathType": "Exact", "backend": {}})
    ing["spec"]["rules"][1]["host"] = "10.0.0.1"
    ing["spec"]["tls"][0]["hosts"].append("*")
    assert causes(ingresses.RESOURCE, ing) == [
        ("spec.rules[0].http.paths[0].pathType", "Required value: pathType must be specified"),
        ("spec.rules[0].http.paths[1].pathType",
         'Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", '
         '"Prefix"'),
        ("spec.rules[0].http.paths[2].path", 'Invalid value: "static//x": must be an absolute '
                                             "path"),
        ("spec.rules[0].http.paths[2].path", "Invalid value: \"static//x\": must not contain "
                                             "'//'"),
        ("spec.rules[0].http.paths[2].backend",
         'Invalid value: "": cannot set both port name & port number'),
        ("spec.rules[0].http.paths[3].backend",
         'Invalid value: "": resource or service backend is required'),
        ("spec.rules[1].host", 'Invalid value: "10.0.0.1": must be a DNS name, not an IP '
                               "address"),
        ("spec.tls[0].hosts[2]",
         "Invalid value: \"*\": a wildcard DNS-1123 subdomain must start with '*.', followed "
         "by a valid DNS subdomain, which must consist of lower case alphanumeric characters, "
         "'-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used "
         "for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
         "[a-z0-9])?)*')"),
    ]


def test_ingress_needs_rules_or_default_backend() -> None:
    assert causes(ingresses.RESOURCE, {"metadata": {}, "spec": {}}) == [
        ("spec", "Invalid value: []: either `defaultBackend` or `rules` must be specified")]
    ing = shop_ingress()
    ing["metadata"]["annotations"][ingresses.CLASS_ANNOTATION] = "traefik"
    assert causes(ingresses.RESOURCE, ing) == [(
        "annotations.kubernetes.io/ingress.class",
        'Invalid value: "traefik": must match `ingressClassName` when both are specified')]


def test_ingress_columns() -> None:
    ing = shop_ingress()
    ing["status"] = {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"},
                                                  {"hostname": "lb.example.com"}]}}
    row = cells(ingresses.RESOURCE, ing)
    assert [c.name for c in ingresses.RESOURCE.columns] == [
        "Name", "Class", "Hosts", "Address", "Ports", "Age"]
    assert (row["Class"], row["Hosts"], row["Address"], row["Ports"]) == (
        "nginx", "shop.example.com,*.api.example.com", "192.0.2.10,lb.example.com", "80, 443")
    bare = {"spec": {"rules": [{"http": {}}] + [{"host": f"h{i}.example.com"}
                                                for i in range(4)]}}
    row = cells(ingresses.RESOURCE, bare)
    assert (row["Class"], row["Hosts"], row["Address"], row["Ports"]) == (
        "<none>", "h0.example.com,h1.example.com,h2.example.com + 2 more...", "", "80")
    assert cells(ingresses.RESOURCE, {"spec": {"rules": [{}]}})["Hosts"] == "*"


# --- IngressClass --------------------------------------------------------------------


def nginx_class() -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "nginx", "annotations": {
            ingressclasses.DEFAULT_CLASS_ANNOTATION: "true"}},
        "spec": {"controller": "k8s.io/ingress-nginx",
                 "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters",
                                "name": "external-lb"}},
    }


def test_ingress_class() -> None:
    ic = nginx_class()
    check_manifest(ic, ingressclasses.RESOURCE)
    ingressclasses.default(ic)
    assert ic["spec"]["parameters"]["scope"] == "Cluster"
    assert causes(ingressclasses.RESOURCE, ic) == []
    assert cells(ingressclasses.RESOURCE, ic)["Parameters"] == (
        "IngressParameters.k8s.example.com/external-lb")
    assert cells(ingressclasses.RESOURCE, {"spec": {}})["Parameters"] == "<none>"
    bad = copy.deepcopy(ic)
    bad["spec"]["controller"] = "nginx"
    bad["spec"]["parameters"].update(scope="Namespace")
    assert causes(ingressclasses.RESOURCE, bad, ic) == [
        ("spec.controller",
         'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'),
        ("spec.parameters.namespace", "Required value: `parameters.scope` is set to "
                                      "'Namespace'"),
        ("spec.controller", 'Invalid value: "nginx": field is immutable'),
    ]
    ic["spec"]["parameters"]["namespace"] = "default"
    assert causes(ingressclasses.RESOURCE, ic) == [
        ("spec.parameters.namespace", "Forbidden: `parameters.scope` is set to 'Cluster'")]


# --- CustomResourceDefinition --------------------------------------------------------


def crontab_crd() -> Obj:
    spec_schema = {
        "type": "object",
        "description": "What the cron tab runs.",
        "properties": {
            "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
            "image": {"type": "string", "minLength": 1},
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1,
                         "format": "int32"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["port"], "maxItems": 8,
                      "items": {"type": "object", "required": ["port"], "properties": {
                          "name": {"type": "string"}, "port": {"type": "integer"}}}},
            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "size": {"x-kubernetes-int-or-string": True,
                     "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "mode": {"type": "string", "enum": ["fast", "slow"], "nullable": True,
                     "example": "fast"},
        },
        "required": ["cronSpec", "image"],
        "x-kubernetes-validations": [{"rule": "self.replicas <= 10",
                                      "message": "at most 10 replicas",
                                      "reason": "FieldValueInvalid",
                                      "fieldPath": ".replicas"}],
    }
    schema = {
        "type": "object",
        "externalDocs": {"description": "The manual", "url": "https://example.com/crontab"},
        "properties": {
            "spec": spec_schema,
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer"}, "labelSelector": {"type": "string"}}},
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                      "shortNames": ["ct"], "categories": ["all"]},
            "versions": [
                {"name": "v1", "served": True, "storage": True,
                 "schema": {"openAPIV3Schema": schema},
                 "subresources": {"status": {}, "scale": {
                     "specReplicasPath": ".spec.replicas",
                     "statusReplicasPath": ".status.replicas",
                     "labelSelectorPath": ".status.labelSelector"}},
                 "additionalPrinterColumns": [
                     {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec",
                      "description": "The schedule"},
                     {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                     {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                     {"name": "Image", "type": "string", "priority": 1,
                      "jsonPath": ".spec.image"}],
                 "selectableFields": [{"jsonPath": ".spec.image"}]},
                {"name": "v1beta1", "served": True, "storage": False, "deprecated": True,
                 "deprecationWarning": "stable.example.com/v1beta1 CronTab is deprecated",
                 "schema": {"openAPIV3Schema": copy.deepcopy(schema)}},
            ],
        },
    }


def test_crd_manifest_uses_only_declared_fields() -> None:
    crd = crontab_crd()
    check_manifest(crd, crds.RESOURCE)
    versions = crd["spec"]["versions"]
    versions[0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["ports"][
        "items"]["properties"]["port"]["minimum "] = 1
    versions[0]["subresources"]["scale"]["replicasPath"] = ".spec.replicas"
    assert problems(crd, DEFINITIONS[crds.CRD]) == [
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.ports.items"
        ".properties.port.minimum : unknown field",
        "spec.versions[0].subresources.scale.replicasPath: unknown field",
    ]


def test_crd_defaults() -> None:
    crd = crontab_crd()
    del crd["spec"]["names"]["singular"]
    crd["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {
        "conversionReviewVersions": ["v1"],
        "clientConfig": {"service": {"namespace": "system", "name": "converter"}}}}
    crds.default(crd)
    names = crd["spec"]["names"]
    assert (names["singular"], names["listKind"]) == ("crontab", "CronTabList")
    assert crd["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["port"] == 443
    assert crd["status"] == {"storedVersions": ["v1"]}
    assert causes(crds.RESOURCE, crd) == []
    plain = crontab_crd()
    crds.default(plain)
    assert plain["spec"]["conversion"] == {"strategy": "None"}
    plain["spec"]["versions"][0]["storage"] = False
    plain["spec"]["versions"][1]["storage"] = True
    crds.default(plain)
    assert plain["status"]["storedVersions"] == ["v1", "v1beta1"]


def test_crd_names_and_versions() -> None:
    crd = crontab_crd()
    crds.default(crd)
    crd["metadata"]["name"] = "crontab.stable.example.com"
    crd["spec"]["scope"] = "Global"
    crd["spec"]["names"].update(kind="Cron_Tab", shortNames=["CT"])
    crd["spec"]["versions"][1]["storage"] = True
    crd["spec"]["versions"][1]["name"] = "v1"
    assert [f for f, _ in causes(crds.RESOURCE, crd)] == [
        "metadata.name", "spec.scope", "spec.names.kind", "spec.names.shortNames[0]",
        "spec.versions", "spec.versions"]
    messages = dict(causes(crds.RESOURCE, crd))
    assert messages["metadata.name"] == (
        'Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group')
    assert messages["spec.scope"] == (
        'Unsupported value: "Global": supported values: "Cluster", "Namespaced"')
    assert messages["spec.names.kind"].startswith(
        'Invalid value: "Cron_Tab": may have mixed case, but should otherwise match: a DNS-1035')
    assert causes(crds.RESOURCE, {"metadata": {"name": ".x"}, "spec": {
        "group": "x", "names": {}, "scope": "Cluster", "versions": []}}) == [
        ("spec.group", 'Invalid value: "x": should be a domain with at least one dot'),
        ("spec.names.plural", "Required value"),
        ("spec.names.singular", "Required value"),
        ("spec.names.kind", "Required value"),
        ("spec.names.listKind", "Required value"),
        ("spec.versions", "Required value"),
    ]


def test_crd_schemas_must_be_structural() -> None:
    crd = crontab_crd()
    crds.default(crd)
    root = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = root["properties"]["spec"]["properties"]
    del spec["image"]["type"]
    spec["ports"]["items"] = [{"type": "object"}]
    spec["tags"] = {"type": "array", "uniqueItems": True, "items": {"type": "strin"}}
    spec["labels"]["properties"] = {"a": {"type": "string"}}
    spec["config"]["x-kubernetes-preserve-unknown-fields"] = False
    del crd["spec"]["versions"][1]["schema"]
    at = "spec.versions[0].schema.openAPIV3Schema.properties[spec].properties"
    assert causes(crds.RESOURCE, crd) == [
        (f"{at}[image].type", "Required value: must not be empty for specified object fields"),
        (f"{at}[labels].additionalProperties",
         "Forbidden: additionalProperties and properties are mutual exclusive"),
        (f"{at}[ports].items", "Forbidden: items must be a schema object and not an array"),
        (f"{at}[config].x-kubernetes-preserve-unknown-fields",
         "Invalid value: false: must be true or undefined"),
        (f"{at}[tags].uniqueItems", "Forbidden: uniqueItems cannot be set to true since the "
                                    "runtime complexity becomes quadratic"),
        (f"{at}[tags].items.type", 'Unsupported value: "strin": supported values: "array", '
                                   '"boolean", "integer", "number", "object", "string"'),
        ("spec.versions[1].schema.openAPIV3Schema", "Required value: schemas are required"),
    ]
    root["type"] = "array"
    root["items"] = {"type": "string"}
    assert ("spec.versions[0].schema.openAPIV3Schema.type",
            'Invalid value: "array": must be object at the root') in causes(crds.RESOURCE, crd)


def test_crd_subresources_columns_and_conversion() -> None:
    crd = crontab_crd()
    crds.default(crd)
    version = crd["spec"]["versions"][0]
    version["subresources"]["scale"].update(specReplicasPath=".status.wanted",
                                            labelSelectorPath="selector")
    version["additionalPrinterColumns"].append({"name": "Odd", "type": "list",
                                                "jsonPath": "spec.x", "format": "hex"})
    crd["spec"]["conversion"]["webhook"] = {"conversionReviewVersions": ["v1"]}
    at = "spec.versions[0]"
    assert causes(crds.RESOURCE, crd) == [
        (f"{at}.subresources.scale.specReplicasPath",
         'Invalid value: ".status.wanted": should be a json path under .spec'),
        (f"{at}.subresources.scale.labelSelectorPath",
         'Invalid value: "selector": must be a simple json path starting with .'),
        (f"{at}.additionalPrinterColumns[4].type", 'Unsupported value: "list": supported '
         'values: "boolean", "date", "integer", "number", "string"'),
        (f"{at}.additionalPrinterColumns[4].format", 'Unsupported value: "hex": supported '
         'values: "byte", "date", "date-time", "double", "float", "int32", "int64", '
         '"password"'),
        (f"{at}.additionalPrinterColumns[4].jsonPath",
         'Invalid value: "spec.x": must be a simple json path starting with .'),
        ("spec.conversion.webhook",
         "Forbidden: should not be set when strategy is not set to Webhook"),
    ]


def test_crd_updates() -> None:
    old = crontab_crd()
    crds.default(old)
    new = copy.deepcopy(old)
    new["spec"]["scope"] = "Cluster"
    assert causes(crds.RESOURCE, new, old) == []
    old["status"]["conditions"] = [{"type": "Established", "status": "True"}]
    assert causes(crds.RESOURCE, new, old) == [
        ("spec.scope", 'Invalid value: "Cluster": field is immutable')]
    new = copy.deepcopy(old)
    new["spec"]["group"] = "other.example.com"
    new["metadata"]["name"] = "crontabs.other.example.com"
    assert causes(crds.RESOURCE, new, old) == [
        ("spec.group", 'Invalid value: "other.example.com": field is immutable')]
    new = copy.deepcopy(old)
    new["spec"]["preserveUnknownFields"] = True
    assert [f for f, _ in causes(crds.RESOURCE, new, old)] == ["spec.preserveUnknownFields"]


def test_crd_columns() -> None:
    crd = crontab_crd()
    crd["metadata"]["creationTimestamp"] = "2024-05-01T10:00:00Z"
    assert cells(crds.RESOURCE, crd) == {"Name": "crontabs.stable.example.com",
                                         "Created At": "2024-05-01T10:00:00Z"}
