"""The event recorder against `kubelite apiserver` on both stores: repeats
of one event are one Event whose count goes up (seen through the API and
through the real kubectl), similar events are combined, and recording
never waits for the server."""

from __future__ import annotations

import json

from kubelite.client.config import load_kubeconfig
from kubelite.client.events import COMBINED_PREFIX, EventRecorder
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client
from tests.apiserverproc import KubectlRunner

CONFIGMAPS = resource_for("v1", "configmaps")
NODES = resource_for("v1", "nodes")
EVENTS = resource_for("v1", "events")


async def test_repeats_are_one_event_with_a_count(apiserver, ns: str, tmp_path) -> None:
    client = Client(load_kubeconfig(apiserver.kubeconfig), "events-test")
    recorder = EventRecorder(client, "kubelite-test", host="host-1")
    try:
        subject = await client.create(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "subject"}}, ns)
        for _ in range(5):
            recorder.event(subject, "Normal", "Synced", "synced the subject")
        recorder.eventf(subject, "Warning", "Failed", "failed %d times", 3)
        assert await recorder.flush(30)
        listed = await client.list(EVENTS, ns, field_selector="involvedObject.name=subject")
    finally:
        await recorder.stop()
        await client.close()
    by_reason = {e["reason"]: e for e in listed["items"]}
    assert sorted(by_reason) == ["Failed", "Synced"]
    synced = by_reason["Synced"]
    assert synced["count"] == 5 and synced["type"] == "Normal"
    assert synced["message"] == "synced the subject"
    assert synced["firstTimestamp"] <= synced["lastTimestamp"]
    assert synced["source"] == {"component": "kubelite-test", "host": "host-1"}
    assert synced["involvedObject"]["uid"] == subject["metadata"]["uid"]
    assert synced["involvedObject"]["kind"] == "ConfigMap"
    assert synced["metadata"]["name"].startswith("subject.")
    assert by_reason["Failed"]["count"] == 1
    assert by_reason["Failed"]["message"] == "failed 3 times"

    kubectl = KubectlRunner(apiserver, str(tmp_path))
    out = kubectl("get", "events", "-n", ns, "--field-selector", "reason=Synced",
                  "-o", "json").stdout
    (shown,) = json.loads(out)["items"]
    assert shown["count"] == 5 and shown["metadata"]["name"] == synced["metadata"]["name"]


async def test_similar_events_are_combined(apiserver, ns: str) -> None:
    client = Client(load_kubeconfig(apiserver.kubeconfig), "events-test")
    recorder = EventRecorder(client, "kubelite-test")
    try:
        node = await client.create(NODES, {"apiVersion": "v1", "kind": "Node",
                                           "metadata": {"name": f"node-{ns}"}})
        for i in range(12):
            recorder.event(node, "Warning", "Unhealthy", f"probe {i} failed")
        assert await recorder.flush(30)
        # A cluster-scoped object's events live in "default".
        listed = await client.list(EVENTS, "default",
                                   field_selector=f"involvedObject.name=node-{ns}")
        await client.delete(NODES, f"node-{ns}")
    finally:
        await recorder.stop()
        await client.close()
    messages = {e["message"]: e["count"] for e in listed["items"]}
    assert len(messages) == 10
    assert messages[COMBINED_PREFIX + "probe 11 failed"] == 3
    assert all(messages[f"probe {i} failed"] == 1 for i in range(9))
