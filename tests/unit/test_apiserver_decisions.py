"""Pure decisions of the API server added for restarts, contention and wire
fidelity (issue 6): the bootstrap objects wanted for the live API servers,
the service address repair plan, delete preconditions, watch option
validation, Status field order, timestamps in Kubernetes' form, and the
served view of stored objects (zero status, other-shape conversions)."""

from __future__ import annotations

import pytest

from kubelite.api import all as api_all
from kubelite.api.resource import REGISTRY
from kubelite.apiserver import errors
from kubelite.apiserver.allocators import IP_PREFIX, PORT_PREFIX, repair_plan
from kubelite.apiserver.bootstrap import (
    kubernetes_endpoints,
    kubernetes_service,
    kubernetes_slices,
    service_reconciled,
)
from kubelite.apiserver.fieldvalidation import canonical_time, check
from kubelite.apiserver.registry import (
    Options,
    Registry,
    bookmark,
    check_preconditions,
    validate_watch_options,
)

assert api_all

CONFIGMAPS = REGISTRY[("", "v1", "configmaps")]


# -- bootstrap --------------------------------------------------------------------


def test_kubernetes_endpoints_list_every_live_server_by_port():
    assert kubernetes_endpoints([]) == {"metadata": {
        "name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}}
    endpoints = kubernetes_endpoints([("10.0.0.2", 6443), ("10.0.0.10", 6443),
                                      ("10.0.0.1", 7443), ("10.0.0.2", 6443)])
    assert endpoints["subsets"] == [
        {"addresses": [{"ip": "10.0.0.2"}, {"ip": "10.0.0.10"}],
         "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]},
        {"addresses": [{"ip": "10.0.0.1"}],
         "ports": [{"name": "https", "port": 7443, "protocol": "TCP"}]},
    ]


def test_kubernetes_slices_leave_out_loopback_addresses():
    slices = kubernetes_slices([("10.0.0.2", 6443), ("127.0.0.1", 6443), ("10.0.0.3", 7443)])
    assert [s["metadata"]["name"] for s in slices] == ["kubernetes", "kubernetes-ipv4-7443"]
    assert slices[0]["endpoints"] == [{"addresses": ["10.0.0.2"],
                                       "conditions": {"ready": True}}]
    assert all(s["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
               for s in slices)
    assert kubernetes_slices([("127.0.0.1", 6443)]) == []


def test_kubernetes_slices_by_address_family_and_only_addresses_a_slice_may_hold():
    servers = [("fd00::2", 6443), ("10.0.0.2", 6443), ("169.254.1.1", 6443), ("::1", 6443),
               ("fe80::1", 6443), ("0.0.0.0", 6443)]
    slices = kubernetes_slices(servers)
    assert [(s["metadata"]["name"], s["addressType"]) for s in slices] == [
        ("kubernetes", "IPv4"), ("kubernetes-ipv6-6443", "IPv6")]
    assert [e["addresses"] for e in slices[1]["endpoints"]] == [["fd00::2"]]
    # The Endpoints hold every one, the families apart.
    subsets = kubernetes_endpoints(servers)["subsets"]
    assert [[a["ip"] for a in s["addresses"]] for s in subsets] == [
        ["0.0.0.0", "10.0.0.2", "169.254.1.1"], ["::1", "fd00::2", "fe80::1"]]


def test_the_kubernetes_service_is_put_back_but_keeps_its_address():
    wanted = kubernetes_service("10.96.0.1", 6443)
    drifted = {"metadata": {"name": "kubernetes"},
               "spec": {"clusterIP": "10.96.0.1", "type": "NodePort",
                        "ports": [{"port": 443, "targetPort": 9999}]}}
    fixed = service_reconciled(wanted)(drifted)
    assert fixed["spec"]["type"] == "ClusterIP"
    assert fixed["spec"]["ports"] == wanted["spec"]["ports"]
    assert fixed["spec"]["clusterIP"] == "10.96.0.1"


# -- address repair ---------------------------------------------------------------


def svc(name: str, ip: str, *node_ports: int) -> dict:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"clusterIP": ip, "clusterIPs": [ip],
                     "type": "NodePort" if node_ports else "ClusterIP",
                     "ports": [{"port": 80, "nodePort": p} for p in node_ports]}}


def test_repair_reclaims_held_addresses_and_frees_leaks_seen_twice():
    services = [svc("a", "10.96.0.5", 30001), svc("b", "10.96.0.6")]
    claims = {IP_PREFIX + "10.96.0.5": 10, PORT_PREFIX + "30001": 11,
              IP_PREFIX + "10.96.0.9": 12, PORT_PREFIX + "30002": 13}
    first = repair_plan(claims, services, {})
    assert first.claim == {IP_PREFIX + "10.96.0.6": {"namespace": "default", "name": "b"}}
    assert first.release == {}  # a leak is only suspected the first time
    assert first.suspects == {IP_PREFIX + "10.96.0.9": 12, PORT_PREFIX + "30002": 13}

    # Next pass: the port was claimed again meanwhile (a create in flight),
    # the IP is still the same leaked key.
    claims[PORT_PREFIX + "30002"] = 20
    second = repair_plan(claims, services, first.suspects)
    assert second.release == {IP_PREFIX + "10.96.0.9": 12}  # as seen: released only so
    assert second.suspects == {PORT_PREFIX + "30002": 20}


# -- preconditions and watch options ----------------------------------------------


def test_delete_preconditions_word_their_failure_as_kubernetes():
    obj = {"metadata": {"uid": "u1", "resourceVersion": "7"}}
    check_preconditions(CONFIGMAPS, "c", obj, {})
    check_preconditions(CONFIGMAPS, "c", obj, {"uid": "u1", "resourceVersion": "7"})
    with pytest.raises(errors.StatusError) as caught:
        check_preconditions(CONFIGMAPS, "c", obj, {"uid": "u2"})
    assert caught.value.code == 409 and caught.value.message == (
        'Operation cannot be fulfilled on configmaps "c": Precondition failed: UID in '
        "precondition: u2, UID in object meta: u1")
    with pytest.raises(errors.StatusError) as caught:
        check_preconditions(CONFIGMAPS, "c", obj, {"resourceVersion": "6"})
    assert caught.value.message.endswith(
        "Precondition failed: ResourceVersion in precondition: 6, ResourceVersion in object "
        "meta: 7")


@pytest.mark.parametrize("opts", [
    Options(),
    Options(resource_version="5"),
    Options(send_initial_events=True, resource_version_match="NotOlderThan"),
    Options(send_initial_events=False, resource_version_match="NotOlderThan"),
])
def test_watch_options_kubernetes_accepts(opts):
    validate_watch_options(opts)


@pytest.mark.parametrize("opts, fields", [
    (Options(send_initial_events=True), ["resourceVersionMatch"]),
    (Options(resource_version_match="NotOlderThan"), ["resourceVersionMatch"]),
    (Options(send_initial_events=True, resource_version_match="Exact"),
     ["resourceVersionMatch", "resourceVersionMatch"]),
    (Options(send_initial_events=True, resource_version_match="NotOlderThan",
             continue_token="x"), ["resourceVersionMatch"]),
])
def test_watch_options_kubernetes_refuses(opts, fields):
    with pytest.raises(errors.StatusError) as caught:
        validate_watch_options(opts)
    assert caught.value.code == 422
    assert [c["field"] for c in caught.value.details["causes"]] == fields
    assert caught.value.message.startswith('ListOptions.meta.k8s.io "" is invalid: ')


def test_the_initial_events_end_bookmark():
    mark = bookmark(42, initial_events_end=True)
    assert (mark.type, mark.revision) == ("BOOKMARK", 42)
    assert mark.object == {"metadata": {"resourceVersion": "42", "annotations": {
        "k8s.io/initial-events-end": "true"}}}
    assert bookmark(43).object == {"metadata": {"resourceVersion": "43"}}


# -- Status layout ----------------------------------------------------------------


def test_status_fields_in_kube_apiserver_order_without_empty_ones():
    err = errors.StatusError(422, "Invalid", "bad", {
        "causes": [{"field": "spec.x", "message": "m", "reason": "FieldValueInvalid"}],
        "kind": "Pod", "name": "", "group": ""})
    status = err.status
    assert list(status) == ["kind", "apiVersion", "metadata", "status", "message", "reason",
                            "details", "code"]
    assert status["details"] == {"kind": "Pod", "causes": [
        {"reason": "FieldValueInvalid", "message": "m", "field": "spec.x"}]}
    assert list(status["details"]["causes"][0]) == ["reason", "message", "field"]
    assert "details" not in errors.bad_request("no").status
    assert errors.path_not_found().status["details"] == {}


# -- timestamps -------------------------------------------------------------------


@pytest.mark.parametrize("text, micro, canonical", [
    ("2026-12-01T10:00:00Z", False, "2026-12-01T10:00:00Z"),
    ("2026-12-01T10:00:00+00:00", False, "2026-12-01T10:00:00Z"),
    ("2026-12-01T11:30:00.75+01:30", False, "2026-12-01T10:00:00Z"),
    ("2026-12-01T10:00:00.123456Z", True, "2026-12-01T10:00:00.123456Z"),
    ("2026-12-01T12:00:00.123456+02:00", True, "2026-12-01T10:00:00.123456Z"),
    ("2026-12-01T10:00:00Z", True, None),  # a MicroTime needs its six digits
    ("2026-12-01T10:00:00.1234567Z", True, None),
    ("2026-12-01 10:00:00Z", False, None),
    ("2026-13-01T10:00:00Z", False, None),
    ("yesterday", False, None),
])
def test_timestamps_in_kubernetes_form(text, micro, canonical):
    assert canonical_time(text, micro) == canonical


def test_decoding_rewrites_times_and_refuses_bad_ones():
    from kubelite.api.schema import DEFINITIONS

    event = {"metadata": {"name": "e", "creationTimestamp": "2026-12-01T10:00:00+00:00"},
             "eventTime": "2026-12-01T10:00:00.500000+00:00",
             "firstTimestamp": "2026-12-01T11:00:00+01:00", "lastTimestamp": None}
    decoded = check(event, DEFINITIONS["io.k8s.api.core.v1.Event"])
    assert decoded.type_errors == []
    assert decoded.obj["metadata"]["creationTimestamp"] == "2026-12-01T10:00:00Z"
    assert decoded.obj["eventTime"] == "2026-12-01T10:00:00.500000Z"
    assert decoded.obj["firstTimestamp"] == "2026-12-01T10:00:00Z"
    bad = check({**event, "eventTime": "2026-12-01T10:00:00Z"},
                DEFINITIONS["io.k8s.api.core.v1.Event"])
    assert bad.type_errors == [
        'eventTime: parsing time "2026-12-01T10:00:00Z" as "2006-01-02T15:04:05.000000Z07:00"']


# -- the served view --------------------------------------------------------------


def test_served_objects_carry_the_zero_status_and_their_api_shape():
    deployments = REGISTRY[("apps", "v1", "deployments")]
    assert Registry.served(deployments, {"metadata": {}})["status"] == {}
    services = REGISTRY[("", "v1", "services")]
    served = Registry.served(services, {"metadata": {}, "status": {"conditions": []}})
    assert served["status"] == {"conditions": [], "loadBalancer": {}}
    assert "status" not in Registry.served(CONFIGMAPS, {"metadata": {}})

    events = REGISTRY[("events.k8s.io", "v1", "events")]
    stored = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
              "involvedObject": {"name": "p"}, "message": "m"}
    assert Registry.served(events, stored) == {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
        "regarding": {"name": "p"}, "note": "m"}
    assert events.to_stored(Registry.served(events, dict(stored))) == stored
