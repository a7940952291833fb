"""A write that fails undoes only what it did itself (issue 6): creating a
CRD or a Service a second time is AlreadyExists and leaves the first one as
it was (the CRD still served with its objects, the Service still holding
its addresses); an update refused after it claimed a new node port gives
that port back; a small range is given out to its last address. Runs with
the API server on kubelite's store and on a real etcd 3.4.
"""

from __future__ import annotations

import uuid

from tests.apiserverproc import APIServerProcess
from tests.rawhttp import Raw

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def crd(group: str) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                     "openAPIV3Schema": {"type": "object",
                                         "x-kubernetes-preserve-unknown-fields": True}}}]},
    }


def test_creating_a_crd_again_keeps_the_first_and_its_objects(raw):
    group = f"g{uuid.uuid4().hex[:6]}.example.com"
    assert raw.request("POST", CRDS, crd(group)).status == 201
    path = f"/apis/{group}/v1/namespaces/default/gadgets"
    for _ in range(50):  # served a moment after it is stored
        made = raw.request("POST", path, {"apiVersion": f"{group}/v1", "kind": "Gadget",
                                          "metadata": {"name": "g1"}})
        if made.status != 404:
            break
    assert made.status == 201, made.body
    again = raw.request("POST", CRDS, crd(group))
    assert again.status == 409 and again.json()["reason"] == "AlreadyExists"
    assert raw.request("GET", f"{path}/g1").status == 200
    assert [i["metadata"]["name"] for i in raw.request("GET", path).json()["items"]] == ["g1"]


def service(name: str, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"port": 80}], **spec}}


def test_creating_a_service_again_keeps_its_addresses(raw):
    name = f"s-{uuid.uuid4().hex[:6]}"
    first = raw.request("POST", "/api/v1/namespaces/default/services",
                        service(name, type="NodePort"))
    assert first.status == 201
    port = first.json()["spec"]["ports"][0]["nodePort"]
    ip = first.json()["spec"]["clusterIP"]
    again = raw.request("POST", "/api/v1/namespaces/default/services",
                        service(name, type="NodePort"))
    assert again.status == 409 and again.json()["reason"] == "AlreadyExists"
    # Its addresses are still its own: nobody else may take them.
    thief = raw.request("POST", "/api/v1/namespaces/default/services", service(
        f"t-{uuid.uuid4().hex[:6]}", type="NodePort", clusterIP=ip,
        ports=[{"port": 80, "nodePort": port}]))
    assert thief.status == 422
    assert "already allocated" in thief.json()["message"]


def test_a_refused_update_gives_back_the_port_it_claimed(raw):
    name = f"u-{uuid.uuid4().hex[:6]}"
    made = raw.request("POST", "/api/v1/namespaces/default/services",
                       service(name, type="NodePort"))
    assert made.status == 201
    old_port = made.json()["spec"]["ports"][0]["nodePort"]
    new_port = 30000 + (old_port - 30000 + 1) % 2768
    body = made.json()
    body["spec"]["ports"] = [{"port": 80, "nodePort": new_port}]
    body["spec"]["sessionAffinity"] = "Sometimes"  # invalid: refused after the claim
    refused = raw.request("PUT", f"/api/v1/namespaces/default/services/{name}", body)
    assert refused.status == 422, refused.body
    other = raw.request("POST", "/api/v1/namespaces/default/services", service(
        f"o-{uuid.uuid4().hex[:6]}", type="NodePort", ports=[{"port": 80,
                                                               "nodePort": new_port}]))
    assert other.status == 201, other.body


def test_every_address_of_a_small_range_is_given_then_it_is_full(tmp_path):
    """Random tries alone would miss the last free addresses of a small range;
    the allocator then walks the range, and says so once all are taken."""
    proc = APIServerProcess(str(tmp_path / "c"), extra=[
        "--service-cluster-ip-range", "10.0.0.0/29",  # .2 to .6: .1 is `kubernetes`
        "--service-node-port-range", "30000-30004"])
    try:
        proc.start()
        raw = Raw(proc)
        made = []
        for i in range(5):
            reply = raw.request("POST", "/api/v1/namespaces/default/services",
                                service(f"s{i}", type="NodePort"))
            assert reply.status == 201, reply.body
            made.append(reply.json()["spec"])
        assert sorted(s["clusterIP"] for s in made) == [f"10.0.0.{n}" for n in range(2, 7)]
        assert sorted(s["ports"][0]["nodePort"] for s in made) == list(range(30000, 30005))
        full = raw.request("POST", "/api/v1/namespaces/default/services", service("s5"))
        assert full.status == 500
        assert full.json()["message"] == (
            "Internal error occurred: failed to allocate a serviceIP: range is full")
    finally:
        proc.stop()


def _holds(raw: Raw, ip: str) -> bool:
    """Whether `ip` is still claimed: another service asking for it is refused."""
    reply = raw.request("POST", "/api/v1/namespaces/default/services", service(
        f"probe-{uuid.uuid4().hex[:6]}", clusterIP=ip))
    if reply.status == 201:
        raw.request("DELETE", f"/api/v1/namespaces/default/services/"
                              f"{reply.json()['metadata']['name']}")
        return False
    assert reply.status == 422 and "already allocated" in reply.json()["message"], reply.body
    return True


def test_refused_updates_leave_other_services_addresses_alone(raw):
    a = raw.request("POST", "/api/v1/namespaces/default/services",
                    service(f"a-{uuid.uuid4().hex[:6]}")).json()
    b = raw.request("POST", "/api/v1/namespaces/default/services",
                    service(f"b-{uuid.uuid4().hex[:6]}")).json()
    path = f"/api/v1/namespaces/default/services/{a['metadata']['name']}"
    theirs = b["spec"]["clusterIP"]

    # A dry run asking for B's address (refused: a cluster IP is immutable).
    body = {**a, "spec": {**a["spec"], "clusterIP": theirs, "clusterIPs": [theirs]}}
    refused = raw.request("PUT", path + "?dryRun=All", body)
    assert refused.status == 422, refused.body
    assert _holds(raw, theirs)
    # The same for real, and a change to ExternalName that keeps B's address.
    assert raw.request("PUT", path, body).status == 422
    external = {**a, "spec": {**a["spec"], "type": "ExternalName", "externalName": "x.example",
                              "clusterIP": theirs, "clusterIPs": [theirs]}}
    assert raw.request("PUT", path, external).status == 422
    assert _holds(raw, theirs)
    assert _holds(raw, a["spec"]["clusterIP"])


def test_a_dry_run_asking_for_a_taken_address_is_refused(raw):
    taken = raw.request("POST", "/api/v1/namespaces/default/services",
                        service(f"t-{uuid.uuid4().hex[:6]}")).json()["spec"]["clusterIP"]
    reply = raw.request("POST", "/api/v1/namespaces/default/services?dryRun=All", service(
        f"d-{uuid.uuid4().hex[:6]}", clusterIP=taken))
    assert reply.status == 422 and "already allocated" in reply.json()["message"]
    free = raw.request("POST", "/api/v1/namespaces/default/services?dryRun=All",
                       service(f"d-{uuid.uuid4().hex[:6]}"))
    assert free.status == 201 and free.json()["spec"]["clusterIP"] != taken
