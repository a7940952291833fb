"""NodeName, NodeUnschedulable, NodePorts, TaintToleration, ImageLocality
and VolumeRestrictions: their decisions, reason strings and scores."""

from __future__ import annotations

from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.plugins import (
    ImageLocality,
    NodeName,
    NodePorts,
    NodeUnschedulable,
    TaintToleration,
    VolumeRestrictions,
)
from tests.unit.scheduler_objects import container, filter_statuses, node, pod, reasons, scores

MB = 1024 * 1024


def test_node_name():
    snap = Snapshot([node("n1"), node("n2")])
    got = filter_statuses(NodeName(), pod("p", nodeName="n2"), snap)
    assert reasons(got) == {"n1": ("node(s) didn't match the requested node name",), "n2": ()}
    assert got["n1"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert all(s.is_success() for s in filter_statuses(NodeName(), pod("p"), snap).values())


def test_node_unschedulable_and_its_toleration():
    snap = Snapshot([node("cordoned", unschedulable=True), node("ok")])
    got = filter_statuses(NodeUnschedulable(), pod("p"), snap)
    assert reasons(got) == {"cordoned": ("node(s) were unschedulable",), "ok": ()}
    assert got["cordoned"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    tolerant = pod("p", tolerations=[{"key": "node.kubernetes.io/unschedulable",
                                      "operator": "Exists", "effect": "NoSchedule"}])
    got = filter_statuses(NodeUnschedulable(), tolerant, snap)
    assert all(s.is_success() for s in got.values())


def _with_ports(name, *ports, node_name=None):
    return pod(name, node_name=node_name, containers=[container(ports=list(ports))])


def test_node_ports():
    snap = Snapshot(
        [node("n1"), node("n2")],
        [
            _with_ports("web", {"containerPort": 80, "hostPort": 8080}, node_name="n1"),
            _with_ports("dns", {"containerPort": 53, "hostPort": 53, "protocol": "UDP",
                                "hostIP": "10.0.0.1"}, node_name="n2"),
        ],
    )
    reason = ("node(s) didn't have free ports for the requested pod ports",)
    same_port = _with_ports("p", {"containerPort": 1, "hostPort": 8080, "hostIP": "127.0.0.1"})
    got = filter_statuses(NodePorts(), same_port, snap)
    assert reasons(got) == {"n1": reason, "n2": ()}
    assert got["n1"].code == Code.UNSCHEDULABLE
    other_protocol = _with_ports("p", {"containerPort": 1, "hostPort": 8080, "protocol": "UDP"})
    assert reasons(filter_statuses(NodePorts(), other_protocol, snap)) == {"n1": (), "n2": ()}
    any_ip = _with_ports("p", {"containerPort": 1, "hostPort": 53, "protocol": "UDP"})
    assert reasons(filter_statuses(NodePorts(), any_ip, snap)) == {"n1": (), "n2": reason}
    other_ip = _with_ports("p", {"containerPort": 1, "hostPort": 53, "protocol": "UDP",
                                 "hostIP": "10.0.0.2"})
    assert reasons(filter_statuses(NodePorts(), other_ip, snap)) == {"n1": (), "n2": ()}
    # A pod without host ports skips the plugin altogether.
    assert filter_statuses(NodePorts(), pod("p"), snap)["n1"].is_success()


def test_taint_toleration_filter():
    snap = Snapshot([
        node("gpu", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
        node("cp", taints=[{"key": "node-role.kubernetes.io/control-plane",
                            "effect": "NoSchedule"}]),
        node("soft", taints=[{"key": "x", "value": "y", "effect": "PreferNoSchedule"}]),
    ])
    got = filter_statuses(TaintToleration(), pod("p"), snap)
    assert reasons(got) == {
        "gpu": ("node(s) had untolerated taint {dedicated: gpu}",),
        "cp": ("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",),
        "soft": (),
    }
    assert got["gpu"].code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    tolerant = pod("p", tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
        {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
    ])
    assert all(s.is_success() for s in filter_statuses(TaintToleration(), tolerant, snap).values())
    wrong_value = pod("p", tolerations=[{"key": "dedicated", "value": "cpu"}])
    assert not filter_statuses(TaintToleration(), wrong_value, snap)["gpu"].is_success()


def test_taint_toleration_score_counts_prefer_no_schedule_in_reverse():
    soft = [{"key": "a", "value": "1", "effect": "PreferNoSchedule"},
            {"key": "b", "value": "2", "effect": "PreferNoSchedule"}]
    snap = Snapshot([node("clean"), node("one", taints=soft[:1]), node("two", taints=soft)])
    # raw counts 0, 1, 2 -> 100 - 100 * count / 2
    assert scores(TaintToleration(), pod("p"), snap) == {"clean": 100, "one": 50, "two": 0}
    # A toleration without effect covers PreferNoSchedule taints.
    tolerant = pod("p", tolerations=[{"key": "b", "operator": "Exists"}])
    assert scores(TaintToleration(), tolerant, snap) == {"clean": 100, "one": 0, "two": 0}
    assert scores(TaintToleration(), pod("p"), Snapshot([node("n1"), node("n2")])) == {
        "n1": 100, "n2": 100}


def test_image_locality():
    big = {"names": ["registry.example/big:1"], "sizeBytes": 500 * MB}
    small = {"names": ["docker.io/library/busybox:latest", "busybox:latest"],
             "sizeBytes": 300 * MB}
    snap = Snapshot([node("n1", images=[big, small]), node("n2", images=[big]), node("n3")])
    one = pod("p", containers=[container(image="registry.example/big:1")])
    # int(500Mi * 2/3) = 349525333; (349525333 - 23Mi) * 100 / (1000Mi - 23Mi) = 31
    assert scores(ImageLocality(), one, snap) == {"n1": 31, "n2": 31, "n3": 0}
    two = pod("p", containers=[container(image="registry.example/big:1"),
                               container("b", image="busybox")])
    # n1: 349525333 + int(300Mi / 3) = 454382933 over [23Mi, 2000Mi] -> 20;
    # n2 has only the big image: 349525333 over [23Mi, 2000Mi] -> 15.
    assert scores(ImageLocality(), two, snap) == {"n1": 20, "n2": 15, "n3": 0}


def _disk_pod(name, volume, node_name=None):
    return pod(name, node_name=node_name, volumes=[{"name": "v", **volume}])


def test_volume_restrictions():
    pd = {"gcePersistentDisk": {"pdName": "disk-1"}}
    pd_ro = {"gcePersistentDisk": {"pdName": "disk-1", "readOnly": True}}
    ebs = {"awsElasticBlockStore": {"volumeID": "vol-1", "readOnly": True}}
    rbd = {"rbd": {"monitors": ["m1", "m2"], "image": "img"}}
    snap = Snapshot(
        [node("n1"), node("n2"), node("n3"), node("n4")],
        [_disk_pod("a", pd, "n1"), _disk_pod("b", pd_ro, "n2"), _disk_pod("c", ebs, "n3"),
         _disk_pod("d", rbd, "n4")],
    )
    reason = ("node(s) had no available disk",)
    got = filter_statuses(VolumeRestrictions(), _disk_pod("p", pd), snap)
    assert reasons(got) == {"n1": reason, "n2": reason, "n3": (), "n4": ()}
    assert got["n1"].code == Code.UNSCHEDULABLE
    got = filter_statuses(VolumeRestrictions(), _disk_pod("p", pd_ro), snap)
    assert reasons(got) == {"n1": reason, "n2": (), "n3": (), "n4": ()}
    got = filter_statuses(VolumeRestrictions(), _disk_pod("p", ebs), snap)
    assert reasons(got) == {"n1": (), "n2": (), "n3": reason, "n4": ()}
    shared_monitor = {"rbd": {"monitors": ["m2"], "pool": "rbd", "image": "img"}}
    got = filter_statuses(VolumeRestrictions(), _disk_pod("p", shared_monitor), snap)
    assert reasons(got) == {"n1": (), "n2": (), "n3": (), "n4": reason}
    other_image = {"rbd": {"monitors": ["m2"], "image": "other"}}
    assert all(s.is_success() for s in
               filter_statuses(VolumeRestrictions(), _disk_pod("p", other_image), snap).values())
