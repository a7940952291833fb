"""`kubelite agent --simulate 3` against a real `kubelite apiserver`, seen
through the real kubectl: the nodes register Ready with their capacity,
labels and taints, their Leases are renewed, pods bound to them (by hand:
no scheduler runs here) go Running with an address from the node's pod
range, `true` pods succeed, annotated pods fail, deletions are confirmed
after the grace period, and a restarted agent adopts its nodes and leaves
running pods alone."""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.agentproc import AgentProcess
from tests.apiserverproc import APIServerProcess, KubectlRunner
from tests.waiting import wait_until

NODES = 3
PREFIX = "simt-"
AGENT_FLAGS = [
    "--zones", "3",
    "--capacity", "cpu=16,memory=64Gi,pods=50", "--node-labels", "pool=sim,tier=gold",
    "--register-with-taints", "dedicated=sim:NoSchedule",
    "--pod-ready-delay", "0.2", "--node-lease-duration-seconds", "4",
    "--node-status-update-frequency", "1s",
]
WAIT = 30.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agent-sim")
    api = APIServerProcess(str(tmp / "cluster"))
    api.start()
    agent = AgentProcess(api.kubeconfig, str(tmp / "agent.log"), count=NODES, prefix=PREFIX,
                         extra=AGENT_FLAGS)
    try:
        agent.start()
        kubectl = KubectlRunner(api, str(tmp / "home"))
        yield api, agent, kubectl
    finally:
        agent.stop()
        api.stop()


@pytest.fixture(scope="module")
def kubectl(cluster) -> KubectlRunner:
    return cluster[2]


@pytest.fixture(scope="module")
def agent(cluster) -> AgentProcess:
    return cluster[1]


@pytest.fixture(scope="module")
def ns(kubectl):
    name = f"sim-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    yield name
    # Pods bound to nodes nobody runs would wait for a kubelet: force them.
    kubectl("delete", "pods", "--all", "-n", name, "--force", "--grace-period=0", ok=False)
    kubectl("delete", "namespace", name, "--wait=false", ok=False)


def wait_for(what: str, probe: Callable[[], Any], agent: AgentProcess,
             timeout: float = WAIT) -> Any:
    """wait_until, failing at once if the agent exits; failures show its log."""
    def checked() -> Any:
        if agent.proc is not None and agent.proc.poll() is not None:
            raise AssertionError(f"the agent exited {agent.proc.returncode}")
        return probe()

    try:
        return wait_until(what, checked, timeout, period=0.2)
    except AssertionError as e:
        raise AssertionError(f"{e} (waiting for {what})\n--- agent log ---\n"
                             f"{agent.log_tail()}") from None


def get(kubectl: KubectlRunner, *args: str) -> Any:
    result = kubectl("get", *args, "-o", "json", ok=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def nodes(kubectl: KubectlRunner) -> dict[str, dict]:
    items = (get(kubectl, "nodes") or {}).get("items") or []
    return {n["metadata"]["name"]: n for n in items if n["metadata"]["name"].startswith(PREFIX)}


def ready(node: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def all_ready(kubectl: KubectlRunner) -> dict[str, dict] | None:
    found = nodes(kubectl)
    return found if len(found) == NODES and all(map(ready, found.values())) else None


def pod(name: str, ns: str, node: str, annotations: dict | None = None,
        **container: Any) -> str:
    manifest = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations or {}},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Never",
            "tolerations": [{"key": "dedicated", "operator": "Exists"}],
            "containers": [{"name": "c", "image": "busybox:1.36", **container}],
        },
    }
    return json.dumps(manifest)


def phase_of(kubectl: KubectlRunner, ns: str, name: str, phase: str) -> dict | None:
    found = get(kubectl, "pod", name, "-n", ns)
    return found if found and (found.get("status") or {}).get("phase") == phase else None


def test_nodes_register_ready_with_capacity_labels_and_taints(kubectl, agent):
    found = wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    assert sorted(found) == [f"{PREFIX}{i}" for i in range(NODES)]
    zones = set()
    for i in range(NODES):
        node = found[f"{PREFIX}{i}"]
        labels = node["metadata"]["labels"]
        assert labels["pool"] == "sim" and labels["tier"] == "gold"
        assert labels["kubernetes.io/hostname"] == f"{PREFIX}{i}"
        assert labels["topology.kubernetes.io/region"] == "region-0"
        zones.add(labels["topology.kubernetes.io/zone"])
        assert node["spec"]["taints"] == [
            {"key": "dedicated", "value": "sim", "effect": "NoSchedule"}]
        assert node["spec"]["podCIDR"] == f"10.244.{i}.0/24"
        status = node["status"]
        for key in ("capacity", "allocatable"):
            assert {k: status[key][k] for k in ("cpu", "memory", "pods")} == {
                "cpu": "16", "memory": "64Gi", "pods": "50"}
        assert {"type": "InternalIP", "address": f"10.0.0.{i + 1}"} in status["addresses"]
    assert zones == {"zone-0", "zone-1", "zone-2"}
    # kubectl's own view agrees.
    wide = kubectl("get", "nodes", "-l", "pool=sim", "--no-headers").stdout
    assert len(re.findall(r"\bReady\b", wide)) == NODES


def test_leases_are_renewed(kubectl, agent):
    wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    node_uids = {name: n["metadata"]["uid"] for name, n in nodes(kubectl).items()}

    def leases() -> dict[str, dict] | None:
        items = (get(kubectl, "leases", "-n", "kube-node-lease") or {}).get("items") or []
        found = {x["metadata"]["name"]: x for x in items if x["metadata"]["name"] in node_uids}
        return found if len(found) == NODES else None

    first = wait_for("3 node leases", leases, agent)
    for name, lease in first.items():
        assert lease["spec"]["holderIdentity"] == name
        assert lease["spec"]["leaseDurationSeconds"] == 4
        assert lease["metadata"]["ownerReferences"][0]["uid"] == node_uids[name]

    def renewed() -> bool:
        now = leases() or {}
        return len(now) == NODES and all(
            now[n]["spec"]["renewTime"] > first[n]["spec"]["renewTime"] for n in first)

    wait_for("every renewTime to advance", renewed, agent)


def test_a_bound_pod_runs_with_an_address_from_its_node(kubectl, agent, ns):
    wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    kubectl("apply", "-f", "-", stdin=pod("web", ns, f"{PREFIX}1", command=["sleep", "1d"]))
    running = wait_for("web Running", lambda: phase_of(kubectl, ns, "web", "Running"), agent)
    status = running["status"]
    assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network("10.244.1.0/24")
    assert status["hostIP"] == "10.0.0.2"
    assert status["startTime"]
    [cs] = status["containerStatuses"]
    assert cs["ready"] is True and "running" in cs["state"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    shown = kubectl("get", "pod", "web", "-n", ns, "--no-headers").stdout.split()
    assert shown[1:3] == ["1/1", "Running"]


def test_true_succeeds_and_the_annotation_fails(kubectl, agent, ns):
    wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    kubectl("apply", "-f", "-", stdin=pod("ok", ns, f"{PREFIX}0", command=["true"]))
    kubectl("apply", "-f", "-", stdin=pod(
        "bad", ns, f"{PREFIX}2", annotations={"kubelite.io/simulate-exit-code": "7"},
        command=["sleep", "1d"]))
    done = wait_for("ok Succeeded", lambda: phase_of(kubectl, ns, "ok", "Succeeded"), agent)
    term = done["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (0, "Completed")
    failed = wait_for("bad Failed", lambda: phase_of(kubectl, ns, "bad", "Failed"), agent)
    term = failed["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["exitCode"], term["reason"]) == (7, "Error")


def test_deletion_is_confirmed_after_the_grace_period(kubectl, agent, ns):
    wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    kubectl("apply", "-f", "-", stdin=pod("doomed", ns, f"{PREFIX}0", command=["sleep", "1d"]))
    # A pod on a node no agent runs: its deletion waits for a kubelet forever.
    kubectl("apply", "-f", "-", stdin=pod("orphan", ns, "no-such-node", command=["sleep", "1d"]))
    wait_for("doomed Running", lambda: phase_of(kubectl, ns, "doomed", "Running"), agent)
    kubectl("delete", "pod", "doomed", "orphan", "-n", ns, "--grace-period=2", "--wait=false")
    wait_for("doomed to disappear", lambda: get(kubectl, "pod", "doomed", "-n", ns) is None,
             agent)
    # The API server only marked them: the simulated kubelet confirmed ours.
    orphan = get(kubectl, "pod", "orphan", "-n", ns)
    assert orphan is not None and orphan["metadata"]["deletionTimestamp"]
    assert orphan["metadata"]["deletionGracePeriodSeconds"] == 2


def test_a_restarted_agent_adopts_its_nodes_and_leaves_running_pods(kubectl, agent, ns):
    wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    kubectl("apply", "-f", "-", stdin=pod("steady", ns, f"{PREFIX}2", command=["sleep", "1d"]))
    before = wait_for("steady Running", lambda: phase_of(kubectl, ns, "steady", "Running"),
                      agent)
    uids = {name: n["metadata"]["uid"] for name, n in nodes(kubectl).items()}

    agent.stop()
    assert agent.proc is not None and agent.proc.returncode == 0, agent.log_tail()
    agent.start()  # (it waits for the registration)
    assert "registered 3 nodes (0 created, 3 adopted)" in agent.log_since_start()
    # A pod bound after the restart runs: the new agent's informer works.
    kubectl("apply", "-f", "-", stdin=pod("later", ns, f"{PREFIX}0", command=["sleep", "1d"]))
    wait_for("later Running", lambda: phase_of(kubectl, ns, "later", "Running"), agent)

    after_nodes = wait_for("3 Ready nodes", lambda: all_ready(kubectl), agent)
    assert {name: n["metadata"]["uid"] for name, n in after_nodes.items()} == uids
    after = get(kubectl, "pod", "steady", "-n", ns)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["status"]["podIP"] == before["status"]["podIP"]
