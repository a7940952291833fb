"""Small builders for the scheduler's unit tests: nodes and pods as the
API serves them, and ways to run one plugin the way the framework does."""

from __future__ import annotations

from typing import Any

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.runtime import (
    run_filter_plugins,
    run_pre_filter_plugins,
    run_pre_score_plugins,
    run_score_plugins,
)
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Status

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


def node(
    name: str,
    *,
    cpu: str = "4",
    memory: str = "8Gi",
    pods: str | None = "110",
    labels: dict[str, str] | None = None,
    zone: str | None = None,
    taints: list[dict] | None = None,
    unschedulable: bool = False,
    images: list[dict] | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_labels = {HOSTNAME: name, **(labels or {})}
    if zone is not None:
        all_labels[ZONE] = zone
    allocatable = {"cpu": cpu, "memory": memory, **(extra or {})}
    if pods is not None:
        allocatable["pods"] = pods
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"allocatable": allocatable, "capacity": dict(allocatable)}
    if images:
        status["images"] = images
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": all_labels},
        "spec": spec,
        "status": status,
    }


def container(
    name: str = "c",
    *,
    image: str = "registry.example/app:1",
    requests: dict[str, str] | None = None,
    ports: list[dict] | None = None,
    restart_policy: str | None = None,
) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": image}
    if requests is not None:
        c["resources"] = {"requests": requests}
    if ports:
        c["ports"] = ports
    if restart_policy:
        c["restartPolicy"] = restart_policy
    return c


def pod(
    name: str,
    *,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    requests: dict[str, str] | None = None,
    containers: list[dict] | None = None,
    init_containers: list[dict] | None = None,
    node_name: str | None = None,
    phase: str | None = None,
    owner: dict | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """`spec` takes further PodSpec fields by their JSON names."""
    body: dict[str, Any] = {"containers": containers or [container(requests=requests)]}
    if init_containers:
        body["initContainers"] = init_containers
    if node_name:
        body["nodeName"] = node_name
    body.update(spec)
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}"}
    if labels:
        metadata["labels"] = labels
    if owner:
        metadata["ownerReferences"] = [owner]
    status: dict[str, Any] = {"phase": phase or ("Running" if node_name else "Pending")}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": body,
            "status": status}


def term(labels: dict[str, str], key: str = HOSTNAME, **extra: Any) -> dict[str, Any]:
    """A PodAffinityTerm selecting `labels`."""
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def filter_statuses(plugin: Any, pod_obj: dict, snapshot: Snapshot) -> dict[str, Status]:
    """Each node's status from PreFilter + Filter of one plugin; nodes left
    out by a PreFilter node set are left out."""
    profile = Profile.of([plugin])
    state = CycleState()
    info = PodInfo.of(pod_obj)
    narrowed, status, _ = run_pre_filter_plugins(profile, state, info, snapshot)
    if not status.is_success():
        return {n.name: status for n in snapshot.node_infos}
    return {
        n.name: run_filter_plugins(profile, state, info, n)
        for n in snapshot.node_infos
        if narrowed.all_nodes() or n.name in narrowed.node_names
    }


def reasons(statuses: dict[str, Status]) -> dict[str, tuple[str, ...]]:
    return {name: s.reasons for name, s in statuses.items()}


def scores(plugin: Any, pod_obj: dict, snapshot: Snapshot, nodes: list[str] | None = None
           ) -> dict[str, int]:
    """Normalized scores of one plugin (weight 1) over the given nodes
    (default: all); {} when its PreScore says Skip."""
    profile = Profile.of([plugin])
    state = CycleState()
    info = PodInfo.of(pod_obj)
    infos = [n for n in snapshot.node_infos if nodes is None or n.name in nodes]
    status = run_pre_score_plugins(profile, state, info, infos, snapshot)
    assert status.is_success(), status
    if plugin.name in state.skip_score_plugins:
        return {}
    totals, status = run_score_plugins(profile, state, info, infos)
    assert status.is_success(), status
    return {t.name: t.total for t in totals}
