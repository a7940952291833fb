"""core/v1 Events and events.k8s.io/v1 Events are one resource with two
views (issue 6), as in Kubernetes: an event created through either API is
stored once and shown through both, converted (involvedObject <->
regarding, message <-> note, reportingComponent <-> reportingController,
source/firstTimestamp/lastTimestamp/count <-> their deprecated* names);
lists, field selectors, watches, updates and deletes see the one copy; and
`kubectl events` and `kubectl get events.events.k8s.io` find events created
through either. Runs with the API server on kubelite's store and on a real
etcd 3.4, with the official Python client and kubectl.
"""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.apiserverproc import KubectlRunner
from tests.rawhttp import Raw

pytestmark = pytest.mark.e2e

# A MicroTime as Kubernetes writes it. (This client turns the strings it is
# given into datetimes and writes them back in Python's ISO form; with
# microseconds that is still a MicroTime the API server accepts, and it is
# stored in Kubernetes' form.)
NOW = "2026-12-01T10:00:00.123456Z"


def core_event(ns: str, name: str) -> dict:
    """An old-style event, as client-go's core recorder writes it."""
    return {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": "web-0", "apiVersion": "v1"},
        "reason": "Pulled", "message": "Container image already present", "type": "Normal",
        "source": {"component": "kubelet", "host": "node-a"}, "count": 2,
        "firstTimestamp": "2026-12-01T10:00:00Z", "lastTimestamp": "2026-12-01T10:01:00Z",
    }


def new_event(ns: str, name: str) -> dict:
    """A new-style event, as client-go's events.k8s.io recorder writes it."""
    return {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name},
        "eventTime": NOW, "reportingController": "example.com/scheduler",
        "reportingInstance": "scheduler-1", "action": "Binding", "reason": "Scheduled",
        "regarding": {"kind": "Pod", "namespace": ns, "name": "web-1", "apiVersion": "v1"},
        "note": "Successfully assigned web-1 to node-a", "type": "Normal",
    }


def raw(response) -> dict:
    """A body as the server sent it. (The client's events.k8s.io model
    cannot hold an old-style event: it requires eventTime, which such an
    event does not have, through kube-apiserver either.)"""
    return json.loads(response.data)


def test_an_event_created_through_core_is_shown_by_events_k8s_io(api, ns):
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    core.create_namespaced_event(ns, core_event(ns, "pulled"))
    seen = raw(events.read_namespaced_event("pulled", ns, _preload_content=False))
    assert seen["apiVersion"] == "events.k8s.io/v1"
    assert seen["regarding"]["name"] == "web-0"
    assert seen["note"] == "Container image already present"
    assert seen["deprecatedSource"] == {"component": "kubelet", "host": "node-a"}
    assert seen["deprecatedCount"] == 2
    assert seen["deprecatedFirstTimestamp"].startswith("2026-12-01T10:00:00")
    assert seen["deprecatedLastTimestamp"].startswith("2026-12-01T10:01:00")
    for core_only in ("involvedObject", "message", "source", "count", "firstTimestamp"):
        assert core_only not in seen
    as_core = core.read_namespaced_event("pulled", ns)
    assert as_core.metadata.resource_version == seen["metadata"]["resourceVersion"]
    assert as_core.metadata.uid == seen["metadata"]["uid"]


def test_an_event_created_through_events_k8s_io_is_shown_by_core(api, ns):
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    created = events.create_namespaced_event(ns, new_event(ns, "scheduled"))
    seen = raw(core.read_namespaced_event("scheduled", ns, _preload_content=False))
    assert seen["apiVersion"] == "v1"
    assert seen["eventTime"] == NOW
    assert seen["involvedObject"]["name"] == "web-1"
    assert seen["message"] == "Successfully assigned web-1 to node-a"
    assert seen["reportingComponent"] == "example.com/scheduler"
    assert seen["reportingInstance"] == "scheduler-1"
    assert seen["action"] == "Binding" and seen["reason"] == "Scheduled"
    for new_only in ("regarding", "note", "reportingController"):
        assert new_only not in seen
    assert seen["metadata"]["uid"] == created.metadata.uid

    # One copy: a list through either API has both events, once each.
    core.create_namespaced_event(ns, core_event(ns, "pulled"))
    assert sorted(e.metadata.name for e in core.list_namespaced_event(ns).items) == [
        "pulled", "scheduled"]
    listed = raw(events.list_namespaced_event(ns, _preload_content=False))["items"]
    assert sorted(e["metadata"]["name"] for e in listed) == ["pulled", "scheduled"]
    picked = raw(events.list_namespaced_event(ns, field_selector="regarding.name=web-0",
                                              _preload_content=False))["items"]
    assert [e["metadata"]["name"] for e in picked] == ["pulled"]
    picked = core.list_namespaced_event(ns, field_selector="involvedObject.name=web-1")
    assert [e.metadata.name for e in picked.items] == ["scheduled"]


def test_updates_and_deletes_through_one_api_show_in_the_other(api, ns):
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    events.create_namespaced_event(ns, new_event(ns, "repeated"))
    events.patch_namespaced_event("repeated", ns, {"series": {
        "count": 4, "lastObservedTime": "2026-12-01T10:05:00.000000Z"}})
    seen = core.read_namespaced_event("repeated", ns)
    assert seen.series.count == 4
    core.patch_namespaced_event("repeated", ns, {"metadata": {"labels": {"seen": "yes"}}})
    assert events.read_namespaced_event("repeated", ns).metadata.labels == {"seen": "yes"}
    core.delete_namespaced_event("repeated", ns)
    with pytest.raises(ApiException) as caught:
        events.read_namespaced_event("repeated", ns)
    assert caught.value.status == 404

    # An old-style event (made through core) can be updated here too: only
    # a new one must be new-style.
    core.create_namespaced_event(ns, core_event(ns, "legacy"))
    labelled = raw(events.patch_namespaced_event(
        "legacy", ns, {"metadata": {"labels": {"seen": "yes"}}}, _preload_content=False))
    assert labelled["metadata"]["labels"] == {"seen": "yes"}
    assert labelled["deprecatedCount"] == 2


def test_a_watch_through_events_k8s_io_sees_core_events(apiserver, api, ns):
    core, events = client.CoreV1Api(api), client.EventsV1Api(api)
    rv = raw(events.list_namespaced_event(ns, _preload_content=False))["metadata"][
        "resourceVersion"]
    with Raw(apiserver).watch(f"/apis/events.k8s.io/v1/namespaces/{ns}/events?watch=true"
                              f"&resourceVersion={rv}&timeoutSeconds=20") as stream:
        core.create_namespaced_event(ns, core_event(ns, "via-core"))
        events.create_namespaced_event(ns, new_event(ns, "via-events"))
        seen = [stream.next(), stream.next()]
    assert [e["type"] for e in seen] == ["ADDED", "ADDED"]
    objects = [e["object"] for e in seen]
    assert [o["metadata"]["name"] for o in objects] == ["via-core", "via-events"]
    assert all(o["apiVersion"] == "events.k8s.io/v1" and "regarding" in o for o in objects)
    assert objects[0]["note"] == "Container image already present"


def test_kubectl_finds_events_created_through_either_api(apiserver, api, ns, tmp_path):
    kubectl = KubectlRunner(apiserver, str(tmp_path))
    client.CoreV1Api(api).create_namespaced_event(ns, core_event(ns, "pulled"))
    client.EventsV1Api(api).create_namespaced_event(ns, new_event(ns, "scheduled"))

    shown = kubectl("events", "-n", ns).stdout
    assert "Container image already present" in shown
    assert "Successfully assigned web-1 to node-a" in shown
    assert "Pod/web-0" in shown and "Pod/web-1" in shown

    listed = json.loads(kubectl("get", "events.events.k8s.io", "-n", ns, "-o", "json").stdout)
    notes = {e["metadata"]["name"]: e["note"] for e in listed["items"]}
    assert notes == {"pulled": "Container image already present",
                     "scheduled": "Successfully assigned web-1 to node-a"}
    table = kubectl("get", "events", "-n", ns).stdout
    assert "Pulled" in table and "Scheduled" in table
