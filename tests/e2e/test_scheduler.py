"""`kubelite scheduler` against `kubelite apiserver`, driven by the real
kubectl: pods created as users create them are placed as kube-scheduler
would place them, on small clusters each test builds.

Most nodes are registered here the way a kubelet registers itself (a Node
with its capacity in status) and no agent runs for them, so pods bound to
them stay Pending, which is all scheduling needs. Where a pod's life
matters (a preempted victim must stop, a node must join while a pod
waits), `kubelite agent --simulate` runs the nodes. Each test gets fresh nodes and
a namespace and removes both, so the FailedScheduling counts ("0/3 nodes")
are its own. The pure decisions of every plugin are tested without
processes in tests/unit; here a representative set runs end to end.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.agentproc import AgentProcess
from tests.apiserverproc import APIServerProcess, KubectlRunner
from tests.schedulerproc import FAST_ELECTION, SchedulerProcess

WAIT = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = APIServerProcess(str(tmp_path_factory.mktemp("sched-api")))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def kubectl(server, tmp_path_factory) -> KubectlRunner:
    return KubectlRunner(server, str(tmp_path_factory.mktemp("kubectl-home")))


@pytest.fixture(scope="module")
def scheduler(server, tmp_path_factory):
    proc = SchedulerProcess(server.kubeconfig,
                            str(tmp_path_factory.mktemp("sched") / "scheduler.log"),
                            extra=FAST_ELECTION)
    proc.start()
    yield proc
    proc.stop()


class Cluster:
    """What one test made: its namespace and nodes, removed at the end."""

    def __init__(self, kubectl: KubectlRunner, tmp_path) -> None:
        self.kubectl = kubectl
        self.tmp_path = tmp_path
        self.id = uuid.uuid4().hex[:6]
        self.ns = f"sched-{self.id}"
        self.nodes: list[str] = []
        self.agents: list[AgentProcess] = []
        kubectl("create", "namespace", self.ns)

    def simulated(self, name: str, count: int = 1, capacity: str = "cpu=4") -> list[str]:
        """`count` simulated nodes <name>0 .. (short names), run by an agent
        until the test ends."""
        agent = AgentProcess(self.kubectl.server.kubeconfig,
                             str(self.tmp_path / f"agent-{name}.log"), count=count,
                             prefix=f"{self.id}-{name}",
                             extra=["--capacity", capacity, "--pod-ready-delay", "0.2"])
        self.agents.append(agent)
        self.nodes.extend(agent.names)
        agent.start()
        return [n.removeprefix(f"{self.id}-") for n in agent.names]

    def node(self, name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
             labels: dict | None = None, taints: list | None = None,
             images: list | None = None, **extra: str) -> str:
        full = f"{self.id}-{name}"
        capacity = {"cpu": cpu, "memory": memory, "pods": pods, **extra}
        obj = {"apiVersion": "v1", "kind": "Node",
               "metadata": {"name": full,
                            "labels": {"kubernetes.io/hostname": full, **(labels or {})}},
               "spec": {"taints": taints or []},
               "status": {"capacity": capacity, "allocatable": capacity,
                          "conditions": [{"type": "Ready", "status": "True"}],
                          "images": images or []}}
        self.kubectl("create", "-f", "-", stdin=json.dumps(obj))
        self.nodes.append(full)
        return full

    def pod(self, name: str, cpu: str | None = None, memory: str | None = None,
            labels: dict | None = None, container: dict | None = None, **spec) -> str:
        requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
        obj = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": self.ns, "labels": labels or {}},
               "spec": {"containers": [{"name": "c", "image": "busybox",
                                        "resources": {"requests": requests},
                                        **(container or {})}], **spec}}
        self.kubectl("create", "-f", "-", stdin=json.dumps(obj))
        return name

    def get(self, kind: str, name: str) -> dict:
        return json.loads(self.kubectl("get", kind, name, "-n", self.ns, "-o", "json").stdout)

    def bound(self, *names: str, timeout: float = WAIT) -> dict[str, str]:
        """Wait until every pod named has a node; pod -> node (the test's
        short node names)."""
        deadline = time.monotonic() + timeout
        found: dict[str, str] = {}
        while time.monotonic() < deadline:
            items = json.loads(self.kubectl("get", "pods", "-n", self.ns, "-o", "json").stdout)
            found = {p["metadata"]["name"]: p["spec"].get("nodeName", "")
                     for p in items["items"]}
            if all(found.get(n) for n in names):
                return {n: found[n].removeprefix(f"{self.id}-") for n in names}
            time.sleep(0.2)
        raise AssertionError(f"pods not bound within {timeout}s: {found}")

    def events(self, name: str, reason: str) -> list[dict]:
        out = self.kubectl("get", "events", "-n", self.ns, "-o", "json", "--field-selector",
                           f"involvedObject.name={name},reason={reason}").stdout
        return json.loads(out)["items"]

    def failed_message(self, name: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(name, "FailedScheduling")
            if found:
                return found[-1]["message"]
            time.sleep(0.2)
        raise AssertionError(f"no FailedScheduling event for {name} within {timeout}s")

    def cleanup(self) -> None:
        # Force: no kubelet confirms the deletion of a bound pod.
        self.kubectl("delete", "pods", "--all", "-n", self.ns, "--grace-period=0", "--force",
                     "--wait=true", ok=False)
        self.kubectl("delete", "namespace", self.ns, "--wait=false", ok=False)
        for agent in self.agents:
            agent.stop()
        if self.nodes:
            self.kubectl("delete", "nodes", *self.nodes, ok=False)


@pytest.fixture
def cluster(kubectl, scheduler, tmp_path):
    made = Cluster(kubectl, tmp_path)
    yield made
    made.cleanup()


def running_on(cluster: Cluster, name: str, node: str, cpu: str = "0", **labels) -> None:
    """A pod already bound to `node` (as if scheduled before)."""
    cluster.pod(name, cpu=cpu, labels=labels, nodeName=f"{cluster.id}-{node}")


# --- filters and scores ------------------------------------------------------------


def test_least_allocated_node_is_chosen(cluster):
    cluster.node("busy")
    cluster.node("idle")
    running_on(cluster, "hog", "busy", cpu="3")
    cluster.pod("web", cpu="500m", memory="256Mi")
    assert cluster.bound("web") == {"web": "idle"}
    scheduled = cluster.events("web", "Scheduled")
    assert [e["message"] for e in scheduled] == [
        f"Successfully assigned {cluster.ns}/web to {cluster.id}-idle"]
    assert scheduled[0]["source"]["component"] == "default-scheduler"
    condition = [c for c in cluster.get("pod", "web")["status"]["conditions"]
                 if c["type"] == "PodScheduled"]
    assert [(c["status"]) for c in condition] == ["True"]


def test_node_selector_and_required_affinity(cluster):
    cluster.node("plain")
    cluster.node("ssd", labels={"disk": "ssd", "zone": "a"})
    cluster.pod("by-selector", nodeSelector={"disk": "ssd"})
    cluster.pod("by-affinity", affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}})
    assert cluster.bound("by-selector", "by-affinity") == {"by-selector": "ssd",
                                                           "by-affinity": "ssd"}


def test_taints_and_tolerations(cluster, kubectl):
    cluster.node("tainted")
    cluster.node("clean")
    kubectl("taint", "nodes", f"{cluster.id}-tainted", "dedicated=db:NoSchedule")
    cluster.pod("app")
    cluster.pod("db", nodeSelector={"kubernetes.io/hostname": f"{cluster.id}-tainted"},
                tolerations=[{"key": "dedicated", "operator": "Equal", "value": "db",
                              "effect": "NoSchedule"}])
    assert cluster.bound("app", "db") == {"app": "clean", "db": "tainted"}
    cluster.pod("stray", nodeSelector={"kubernetes.io/hostname": f"{cluster.id}-tainted"})
    assert cluster.failed_message("stray").startswith(
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had untolerated taint {dedicated: db}.")


def test_prefer_no_schedule_taint_is_avoided(cluster, kubectl):
    cluster.node("soft")
    cluster.node("other")
    kubectl("taint", "nodes", f"{cluster.id}-soft", "spot=true:PreferNoSchedule")
    for i in range(3):
        cluster.pod(f"p{i}")
    assert set(cluster.bound("p0", "p1", "p2").values()) == {"other"}


def test_cordoned_node_is_skipped(cluster, kubectl):
    cluster.node("cordoned")
    cluster.node("open")
    kubectl("cordon", f"{cluster.id}-cordoned")
    for i in range(3):
        cluster.pod(f"p{i}")
    assert set(cluster.bound("p0", "p1", "p2").values()) == {"open"}


def test_host_ports_conflict(cluster):
    cluster.node("a")
    cluster.node("b")
    port = {"ports": [{"containerPort": 80, "hostPort": 8080}]}
    cluster.pod("one", container=port)
    cluster.pod("two", container=port)
    placed = cluster.bound("one", "two")
    assert sorted(placed.values()) == ["a", "b"]
    cluster.pod("three", container=port)
    assert cluster.failed_message("three").startswith(
        "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod "
        "ports.")


def test_pod_anti_affinity_and_affinity(cluster):
    for name in ("a", "b", "c"):
        cluster.node(name)
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}},
         "topologyKey": "kubernetes.io/hostname"}]}}
    for i in range(3):
        cluster.pod(f"db{i}", labels={"app": "db"}, affinity=anti)
    placed = cluster.bound("db0", "db1", "db2")
    assert sorted(placed.values()) == ["a", "b", "c"]
    cluster.pod("cache", affinity={"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "db"}},
             "topologyKey": "kubernetes.io/hostname"}]}}, labels={"app": "cache"})
    assert cluster.bound("cache")["cache"] in placed.values()
    cluster.pod("db3", labels={"app": "db"}, affinity=anti)
    assert cluster.failed_message("db3").startswith(
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.")


def test_topology_spread_across_zones(cluster):
    for name, zone in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        cluster.node(name, labels={"topology.kubernetes.io/zone": zone})
    spread = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
               "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app": "web"}}}]
    names = [f"w{i}" for i in range(4)]
    for name in names:
        cluster.pod(name, labels={"app": "web"}, topologySpreadConstraints=spread)
        cluster.bound(name)
    zones = [node[0] for node in cluster.bound(*names).values()]
    assert sorted(zones) == ["a", "a", "b", "b"]


def test_image_locality(cluster):
    cluster.node("cold")
    cluster.node("warm", images=[{"names": ["example.com/big:1"], "sizeBytes": 900_000_000}])
    cluster.pod("big", container={"image": "example.com/big:1"})
    assert cluster.bound("big") == {"big": "warm"}


def test_service_pods_spread_by_default(cluster, kubectl):
    """The default constraints of PodTopologySpread spread a service's pods
    over hostnames."""
    cluster.node("a")
    cluster.node("b")
    kubectl("create", "service", "clusterip", "web", "--tcp=80:80", "-n", cluster.ns)
    names = [f"w{i}" for i in range(4)]
    for name in names:
        cluster.pod(name, labels={"app": "web"})
        cluster.bound(name)
    assert sorted(cluster.bound(*names).values()) == ["a", "a", "b", "b"]


def test_extended_resources(cluster):
    cluster.node("plain")
    cluster.node("gpu", **{"example.com/gpu": "1"})
    cluster.pod("train", container={"resources": {"limits": {"example.com/gpu": "1"}}})
    assert cluster.bound("train") == {"train": "gpu"}
    cluster.pod("train2", container={"resources": {"limits": {"example.com/gpu": "1"}}})
    assert cluster.failed_message("train2").startswith(
        "0/2 nodes are available: 2 Insufficient example.com/gpu.")


def test_init_containers_count_as_kubernetes_counts_them(cluster):
    """The larger of the biggest init container and the sum of the app
    containers is what a pod requests."""
    cluster.node("small", cpu="2")
    cluster.node("large", cpu="4")
    running_on(cluster, "half", "large", cpu="1")
    cluster.pod("init-heavy", cpu="500m", initContainers=[
        {"name": "setup", "image": "busybox", "resources": {"requests": {"cpu": "2500m"}}}])
    assert cluster.bound("init-heavy") == {"init-heavy": "large"}


# --- what happens when nothing fits ------------------------------------------------------


def test_impossible_pod_message_then_fits_when_a_node_is_added(cluster):
    for name in ("a", "b", "c"):
        cluster.node(name, cpu="1")
    cluster.pod("big", cpu="2")
    assert cluster.failed_message("big") == (
        "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
        "3 No preemption victims found for incoming pod..")
    condition = next(c for c in cluster.get("pod", "big")["status"]["conditions"]
                     if c["type"] == "PodScheduled")
    assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
    assert condition["message"].startswith("0/3 nodes are available: 3 Insufficient cpu.")
    # A node joins as a kubelet joins: the waiting pod is moved back to
    # the active queue by the Node add and bound, with no restart.
    assert cluster.simulated("d") == ["d0"]
    assert cluster.bound("big") == {"big": "d0"}


def test_message_mixes_resource_and_affinity_reasons(cluster):
    """As kube-scheduler words it: the node short of cpu could be freed by
    preemption (it has nothing to evict), the two that do not match the
    selector could not."""
    cluster.node("small", cpu="1", labels={"tier": "gold"})
    cluster.node("x", cpu="4")
    cluster.node("y", cpu="4")
    cluster.pod("picky", cpu="2", nodeSelector={"tier": "gold"})
    assert cluster.failed_message("picky") == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
        "affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims "
        "found for incoming pod, 2 Preemption is not helpful for scheduling..")


def test_high_priority_pod_preempts(cluster, kubectl):
    kubectl("apply", "-f", "-", stdin=json.dumps({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": f"{cluster.id}-high"}, "value": 1000}))
    try:
        # Simulated, so that the victim's deletion is confirmed by its node
        # as a kubelet confirms it once the container stopped.
        cluster.simulated("only", capacity="cpu=2")
        for i in range(2):
            cluster.pod(f"low{i}", cpu="1")
        cluster.bound("low0", "low1")
        cluster.pod("vip", cpu="1", priorityClassName=f"{cluster.id}-high")
        assert cluster.bound("vip") == {"vip": "only0"}
        pods = json.loads(kubectl("get", "pods", "-n", cluster.ns, "-o", "json").stdout)
        left = sorted(p["metadata"]["name"] for p in pods["items"])
        assert len(left) == 2 and "vip" in left  # exactly one low pod was evicted, and is gone
        victim = ({"low0", "low1"} - set(left)).pop()
        preempted = cluster.events(victim, "Preempted")
        vip_uid = cluster.get("pod", "vip")["metadata"]["uid"]
        assert [e["message"] for e in preempted] == [
            f"Preempted by pod {vip_uid} on node {cluster.id}-only0"]
    finally:
        kubectl("delete", "priorityclass", f"{cluster.id}-high", ok=False)


def test_pods_for_another_scheduler_are_left_alone(cluster):
    cluster.node("a")
    cluster.pod("mine")
    cluster.pod("theirs", schedulerName="other-scheduler")
    cluster.bound("mine")
    # By the time a later pod is bound, the other scheduler's pod was seen
    # long before: it is still unbound, with no event from this scheduler.
    cluster.pod("later")
    cluster.bound("later")
    theirs = cluster.get("pod", "theirs")
    assert not theirs["spec"].get("nodeName")
    assert cluster.events("theirs", "FailedScheduling") == []
    assert cluster.events("theirs", "Scheduled") == []
