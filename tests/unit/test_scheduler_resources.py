"""The scheduler's view of resources and the cluster: quantities in its
units, a pod's effective and non-zero requests, NodeInfo sums and the
Snapshot's pods and node order."""

from __future__ import annotations

from fractions import Fraction

from kubelite.scheduler.framework.nodeinfo import HostPortInfo
from kubelite.scheduler.framework.podinfo import HostPort, PodInfo
from kubelite.scheduler.framework.resources import (
    Resource,
    is_extended,
    is_scalar,
    milli_value,
    pod_requests,
    quantity,
    whole_value,
)
from kubelite.scheduler.framework.snapshot import Snapshot
from tests.unit.scheduler_objects import container, node, pod

MI = 1024 * 1024


def test_quantities_round_up_as_kubernetes_does():
    assert milli_value(quantity("100m")) == 100
    assert milli_value(quantity("0.5")) == 500
    assert milli_value(quantity("1u")) == 1  # a millionth of a cpu still takes one milli-cpu
    assert whole_value(quantity("1Gi")) == 1024 * MI
    assert whole_value(quantity("1.5")) == 2
    assert whole_value(quantity("1e3")) == 1000
    assert quantity("not a quantity") == 0


def test_resource_names():
    assert is_extended("example.com/gpu") and is_scalar("example.com/gpu")
    assert not is_extended("cpu") and not is_scalar("cpu")
    assert not is_extended("kubernetes.io/something") and is_scalar("kubernetes.io/something")
    assert is_scalar("hugepages-2Mi") and not is_extended("hugepages-2Mi")
    assert not is_extended("requests.example.com/gpu")


def test_pod_requests_sidecars_init_containers_and_overhead():
    # app 400m + sidecars 100m + 200m = 700m running; init "b" needs 800m
    # with sidecar "a" (100m) already up = 900m; init "d" 300m + 300m of
    # sidecars = 600m. The pod needs max(700m, 900m) + 50m overhead.
    p = pod(
        "p",
        containers=[container(requests={"cpu": "400m", "memory": "100Mi"})],
        init_containers=[
            container("a", requests={"cpu": "100m"}, restart_policy="Always"),
            container("b", requests={"cpu": "800m", "memory": "50Mi"}),
            container("c", requests={"cpu": "200m"}, restart_policy="Always"),
            container("d", requests={"cpu": "300m", "memory": "300Mi"}),
        ],
        overhead={"cpu": "50m", "memory": "10Mi"},
    )
    requests = pod_requests(p)
    assert milli_value(requests["cpu"]) == 950
    assert whole_value(requests["memory"]) == 310 * MI  # max(100Mi, 300Mi) + 10Mi


def test_non_zero_requests_only_for_missing_values():
    p = pod("p", containers=[container(requests={"memory": "0"}), container("d")])
    info = PodInfo.of(p)
    assert info.requests.milli_cpu == 0 and info.requests.memory == 0
    # cpu: 100m each for both containers; memory: explicit 0 + 200Mi default.
    assert info.non_zero_cpu == 200
    assert info.non_zero_memory == 200 * MI
    defaults = pod_requests(p, {"cpu": Fraction(1, 10)})
    assert milli_value(defaults["cpu"]) == 200


def test_node_info_sums_its_pods():
    snap = Snapshot(
        [node("n1", cpu="4", memory="8Gi", extra={"example.com/gpu": "2"})],
        [
            pod("a", node_name="n1", requests={"cpu": "1", "memory": "1Gi",
                                                 "example.com/gpu": "1"}),
            pod("b", node_name="n1"),
        ],
    )
    info = snap.get("n1")
    assert info.allocatable == Resource(4000, 8192 * MI, 0, 110, {"example.com/gpu": 2})
    assert info.requested.milli_cpu == 1000 and info.requested.memory == 1024 * MI
    assert info.requested.scalar == {"example.com/gpu": 1}
    assert info.non_zero_requested.milli_cpu == 1100
    assert info.non_zero_requested.memory == 1024 * MI + 200 * MI


def test_snapshot_counts_bound_unfinished_pods_on_known_nodes():
    snap = Snapshot(
        [node("n1")],
        [
            pod("running", node_name="n1"),
            pod("pending", node_name="n1", phase="Pending"),
            pod("done", node_name="n1", phase="Succeeded"),
            pod("failed", node_name="n1", phase="Failed"),
            pod("unbound"),
            pod("elsewhere", node_name="gone"),
        ],
    )
    assert [p.name for p in snap.get("n1").pods] == ["running", "pending"]


def test_snapshot_interleaves_zones():
    nodes = [
        node("a1", zone="a"), node("a2", zone="a"), node("a3", zone="a"),
        node("b1", zone="b"), node("none"), node("b2", zone="b"),
    ]
    assert [n.name for n in Snapshot(nodes).node_infos] == ["a1", "b1", "none", "a2", "b2", "a3"]


def test_snapshot_image_states_count_nodes():
    img = {"names": ["registry.example/app:1"], "sizeBytes": 300 * MI}
    snap = Snapshot([node("n1", images=[img]), node("n2", images=[img]), node("n3")])
    state = snap.get("n1").image_states["registry.example/app:1"]
    assert (state.size, state.num_nodes) == (300 * MI, 2)
    assert snap.get("n3").image_states == {}


def test_host_port_conflicts():
    used = HostPortInfo()
    used.add(HostPort("", "", 8080))  # 0.0.0.0/TCP
    used.add(HostPort("10.0.0.1", "UDP", 53))
    assert used.conflicts(HostPort("127.0.0.1", "TCP", 8080))
    assert not used.conflicts(HostPort("", "UDP", 8080))
    assert used.conflicts(HostPort("0.0.0.0", "UDP", 53))  # all IPs include 10.0.0.1
    assert not used.conflicts(HostPort("10.0.0.2", "UDP", 53))
    assert used.conflicts(HostPort("10.0.0.1", "UDP", 53))
