"""`kubelite server` as a user runs it, with simulated nodes beside it:
pods created with kubectl are scheduled and run; the server stopped and
started again over the same data keeps them where they are and goes on
scheduling (the scheduler takes its Lease again, the agent's nodes carry
on through the outage)."""

from __future__ import annotations

import json
import time

import pytest

from tests.agentproc import AgentProcess
from tests.apiserverproc import KubectlRunner, ServerProcess

WAIT = 30.0


@pytest.fixture
def cluster(tmp_path):
    server = ServerProcess(str(tmp_path / "data"))
    server.start()
    agent = AgentProcess(server.kubeconfig, str(tmp_path / "agent.log"), count=2,
                         extra=["--capacity", "cpu=2", "--pod-ready-delay", "0.2"])
    try:
        agent.start()
        yield server, agent, KubectlRunner(server, str(tmp_path / "home"))
    finally:
        agent.stop()
        server.stop()


def pods(kubectl: KubectlRunner) -> dict[str, dict]:
    items = json.loads(kubectl("get", "pods", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p for p in items}


def running(kubectl: KubectlRunner, *names: str) -> dict[str, tuple[str, str]]:
    """Wait until each pod named is Running; name -> (node, pod IP)."""
    deadline = time.monotonic() + WAIT
    found: dict[str, dict] = {}
    while time.monotonic() < deadline:
        found = pods(kubectl)
        if all((found.get(n, {}).get("status") or {}).get("phase") == "Running"
               for n in names):
            return {n: (found[n]["spec"]["nodeName"], found[n]["status"]["podIP"])
                    for n in names}
        time.sleep(0.2)
    raise AssertionError(f"not all of {names} Running within {WAIT}s: "
                         f"{ {n: (p.get('status') or {}).get('phase') for n, p in found.items()} }")


def test_pods_run_and_stay_across_a_server_restart(cluster):
    server, agent, kubectl = cluster
    kubectl("run", "web", "--image=nginx:1.25")
    before = running(kubectl, "web")
    assert before["web"][0] in agent.names

    server.stop()
    server.start()
    assert running(kubectl, "web") == before  # same node, same address
    uid = pods(kubectl)["web"]["metadata"]["uid"]

    kubectl("run", "api", "--image=nginx:1.25")
    after = running(kubectl, "api")
    assert after["api"][0] in agent.names and after["api"][1] != before["web"][1]
    assert pods(kubectl)["web"]["metadata"]["uid"] == uid
    scheduled = json.loads(kubectl("get", "events", "-o", "json", "--field-selector",
                                   "reason=Scheduled").stdout)["items"]
    assert sorted(e["involvedObject"]["name"] for e in scheduled) == ["api", "web"]
