"""A simulated Node as the kubelet registers and reports it, and its Lease:
labels (hostname, zones and region, the user's), taints, pod range,
capacity and allocatable, the four conditions, when a report is due, and
what a restarted simulator patches on a Node it adopts."""

from kubelite.agent.sim import leases, nodes
from kubelite.agent.sim.config import SimConfig
from kubelite.agent.sim.timefmt import parse_time

HOST = nodes.HostInfo(kernel_version="6.1.0-test", architecture="amd64")
T0 = 1_700_000_000.0


def cfg(**kw) -> SimConfig:
    c = SimConfig(**{"count": 6, **kw})
    c.validate()
    return c


def test_node_object_labels_taints_and_pod_range():
    c = cfg(zones=3, labels={"tier": "gold"},
            taints=({"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},))
    node = nodes.node_object(c, 4, HOST, T0)
    assert node["apiVersion"] == "v1" and node["kind"] == "Node"
    meta = node["metadata"]
    assert meta["name"] == "sim-node-4"
    assert meta["labels"] == {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": "sim-node-4",
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "simulated",
        "topology.kubernetes.io/region": "region-0",
        "topology.kubernetes.io/zone": "zone-1",
        "tier": "gold",
    }
    assert meta["annotations"] == {
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        "kubelite.io/simulated-node": "true"}
    assert node["spec"] == {
        "podCIDR": "10.244.4.0/24", "podCIDRs": ["10.244.4.0/24"],
        "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}
    # It registers with its status, as a kubelet does.
    assert node["status"] == nodes.node_status(c, 4, HOST, T0)


def test_zones_round_robin_and_none():
    c = cfg(zones=3)
    zones = [nodes.node_object(c, i, HOST, T0)["metadata"]["labels"][nodes.ZONE_LABEL]
             for i in range(6)]
    assert zones == ["zone-0", "zone-1", "zone-2", "zone-0", "zone-1", "zone-2"]
    labels = nodes.node_object(cfg(zones=0), 0, HOST, T0)["metadata"]["labels"]
    assert nodes.ZONE_LABEL not in labels and nodes.REGION_LABEL not in labels
    # No taints given: the spec has none.
    assert "taints" not in nodes.node_object(cfg(), 0, HOST, T0)["spec"]


def test_user_labels_win_over_defaults():
    c = cfg(zones=2, labels={nodes.ZONE_LABEL: "us-east-1a",
                             "node.kubernetes.io/instance-type": "m5.large"})
    labels = nodes.node_object(c, 1, HOST, T0)["metadata"]["labels"]
    assert labels[nodes.ZONE_LABEL] == "us-east-1a"
    assert labels["node.kubernetes.io/instance-type"] == "m5.large"
    assert labels[nodes.HOSTNAME_LABEL] == "sim-node-1"


def test_status_capacity_addresses_and_info():
    c = cfg(capacity={"cpu": "8", "memory": "16Gi", "pods": "20"})
    status = nodes.node_status(c, 2, HOST, T0)
    assert status["capacity"] == {"cpu": "8", "memory": "16Gi", "pods": "20"}
    assert status["allocatable"] == status["capacity"]
    assert status["addresses"] == [{"type": "InternalIP", "address": "10.0.0.3"},
                                   {"type": "Hostname", "address": "sim-node-2"}]
    assert status["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    info = status["nodeInfo"]
    assert info["kernelVersion"] == "6.1.0-test"
    assert info["architecture"] == "amd64" and info["operatingSystem"] == "linux"
    assert info["kubeletVersion"].startswith("v1.")
    # Stable per node, different between nodes.
    assert info == nodes.node_status(c, 2, HOST, T0 + 50)["nodeInfo"]
    assert info["systemUUID"] != nodes.node_status(c, 3, HOST, T0)["nodeInfo"]["systemUUID"]


def test_conditions_as_the_kubelet_words_them():
    conds = nodes.conditions(T0)
    assert [(c["type"], c["status"], c["reason"]) for c in conds] == [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    ready = conds[3]
    assert ready["message"] == "kubelet is posting ready status"
    assert ready["lastHeartbeatTime"] == ready["lastTransitionTime"] == "2023-11-14T22:13:20Z"


def test_conditions_keep_their_transition_time():
    before = nodes.conditions(T0)
    before[3] = {**before[3], "status": "False"}  # Ready was False (e.g. set by someone)
    after = nodes.conditions(T0 + 100, before)
    by_type = {c["type"]: c for c in after}
    assert parse_time(by_type["MemoryPressure"]["lastTransitionTime"]) == T0
    assert parse_time(by_type["MemoryPressure"]["lastHeartbeatTime"]) == T0 + 100
    # Ready changed: a new transition.
    assert parse_time(by_type["Ready"]["lastTransitionTime"]) == T0 + 100


def test_heartbeat_moves_only_the_condition_heartbeats():
    status = nodes.node_status(cfg(), 0, HOST, T0)
    beat = nodes.heartbeat(status, T0 + 300)
    assert list(beat) == ["conditions"]
    assert all(parse_time(c["lastHeartbeatTime"]) == T0 + 300 for c in beat["conditions"])
    assert all(parse_time(c["lastTransitionTime"]) == T0 for c in beat["conditions"])


def test_fingerprint_ignores_heartbeat_times_only():
    c = cfg()
    a = nodes.node_status(c, 0, HOST, T0)
    assert nodes.fingerprint(a) == nodes.fingerprint(nodes.node_status(c, 0, HOST, T0 + 77))
    bigger = nodes.node_status(cfg(capacity={"cpu": "64"}), 0, HOST, T0)
    assert nodes.fingerprint(a) != nodes.fingerprint(bigger)
    pressured = {**a, "conditions": [{**a["conditions"][0], "status": "True"},
                                     *a["conditions"][1:]]}
    assert nodes.fingerprint(a) != nodes.fingerprint(pressured)


def test_report_due_when_changed_or_after_the_report_frequency():
    fp = nodes.fingerprint(nodes.node_status(cfg(), 0, HOST, T0))
    other = ("something else",)
    assert nodes.report_due(None, None, fp, T0, 300.0)          # never sent
    assert not nodes.report_due(T0, fp, fp, T0 + 10, 300.0)     # unchanged, recent
    assert nodes.report_due(T0, other, fp, T0 + 10, 300.0)      # changed
    assert not nodes.report_due(T0, fp, fp, T0 + 299.9, 300.0)
    assert nodes.report_due(T0, fp, fp, T0 + 300, 300.0)        # five minutes passed


def test_adoption_restores_default_labels_and_pod_range():
    c = cfg(zones=3, labels={"tier": "gold"})
    registered = nodes.node_object(c, 1, HOST, T0)
    assert nodes.adoption_patch(registered, c, 1, HOST) is None
    # Someone removed a default label, the mark and the pod range; the user's
    # own label (and one the user added later) are left alone.
    meta = registered["metadata"]
    tampered = {
        "metadata": {"name": meta["name"],
                     "labels": {k: v for k, v in meta["labels"].items()
                                if k != nodes.ZONE_LABEL and k != "tier"} | {"extra": "x"},
                     "annotations": {}},
        "spec": {},
    }
    assert nodes.adoption_patch(tampered, c, 1, HOST) == {
        "metadata": {"labels": {nodes.ZONE_LABEL: "zone-1"},
                     "annotations": {nodes.SIMULATED_ANNOTATION: "true"}},
        "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24"]},
    }


def test_adoption_keeps_a_pod_range_the_node_has():
    c = cfg()
    node = nodes.node_object(c, 0, HOST, T0)
    node["spec"] = {"podCIDR": "10.99.0.0/24", "podCIDRs": ["10.99.0.0/24"]}
    assert nodes.adoption_patch(node, c, 0, HOST) is None
    assert nodes.pod_cidr_of(node, c, 0) == "10.99.0.0/24"
    # One too small or malformed is not used for pods: ours is.
    assert nodes.pod_cidr_of({"spec": {"podCIDR": "10.99.0.0/31"}}, c, 5) == "10.244.5.0/24"
    assert nodes.pod_cidr_of({"spec": {"podCIDR": "junk"}}, c, 5) == "10.244.5.0/24"


def test_lease_object_held_and_owned_by_the_node():
    lease = leases.lease_object("sim-node-0", "uid-0", 40, T0 + 0.25)
    assert lease == {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "sim-node-0", "namespace": "kube-node-lease",
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node",
                                          "name": "sim-node-0", "uid": "uid-0"}]},
        "spec": {"holderIdentity": "sim-node-0", "leaseDurationSeconds": 40,
                 "renewTime": "2023-11-14T22:13:20.250000Z"},
    }


def test_renewed_moves_renew_time_and_leaves_the_input_alone():
    lease = leases.lease_object("sim-node-0", "uid-0", 40, T0)
    lease["metadata"]["resourceVersion"] = "17"
    again = leases.renewed(lease, "sim-node-0", "uid-0", 40, T0 + 10)
    assert parse_time(again["spec"]["renewTime"]) == T0 + 10
    assert again["metadata"]["resourceVersion"] == "17"  # a PUT on what was read
    assert parse_time(lease["spec"]["renewTime"]) == T0
    assert again["metadata"]["ownerReferences"] == lease["metadata"]["ownerReferences"]


def test_renewed_takes_a_lease_over_for_a_new_node():
    # The Node was deleted and registered again (a new uid); someone else
    # held the lease with another duration.
    stale = {"metadata": {"name": "sim-node-0", "namespace": "kube-node-lease",
                          "ownerReferences": [
                              {"apiVersion": "v1", "kind": "Node", "name": "sim-node-0",
                               "uid": "old"},
                              {"apiVersion": "v1", "kind": "ConfigMap", "name": "keep",
                               "uid": "cm"}]},
             "spec": {"holderIdentity": "other", "leaseDurationSeconds": 15}}
    again = leases.renewed(stale, "sim-node-0", "new", 40, T0)
    assert again["spec"]["holderIdentity"] == "sim-node-0"
    assert again["spec"]["leaseDurationSeconds"] == 40
    assert [(o["kind"], o["uid"]) for o in again["metadata"]["ownerReferences"]] == [
        ("ConfigMap", "cm"), ("Node", "new")]
