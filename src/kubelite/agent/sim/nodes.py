"""A simulated Node as a kubelet registers and reports it, pure.

`node_object` is what registration creates (labels, taints, pod range and
the first status); `node_status` is what the kubelet's status setters
report: capacity and allocatable, the four conditions worded as the
kubelet words them, the addresses, the kubelet's endpoint and nodeInfo.
`adoption_patch` is what a restarted kubelet reconciles on a Node that
already exists (its default labels; here also a missing pod range).
`report_due` is the kubelet's rule for sending status again: when it
changed, or when nodeStatusReportFrequency has passed since the last
report.
"""

from __future__ import annotations

import ipaddress
import os
import platform
import uuid
from dataclasses import dataclass
from typing import Any

from kubelite.agent.sim.addresses import node_ip, node_pod_cidr
from kubelite.agent.sim.config import SimConfig
from kubelite.agent.sim.timefmt import rfc3339

Obj = dict[str, Any]

KUBELET_VERSION = "v1.32.0-kubelite-sim"
CONTAINER_RUNTIME_VERSION = "sim://1.0"
OS_IMAGE = "kubelite simulated node"
KUBELET_PORT = 10250
INSTANCE_TYPE = "simulated"
REGION = "region-0"
# Marks the nodes this simulator made, as kwok marks its own.
SIMULATED_ANNOTATION = "kubelite.io/simulated-node"
# The kubelet sets it at registration: volumes are attached by the controller.
ATTACH_DETACH_ANNOTATION = "volumes.kubernetes.io/controller-managed-attach-detach"

HOSTNAME_LABEL = "kubernetes.io/hostname"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"

# type, status, reason, message: in the order the kubelet lists them.
CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)

_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
            "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


@dataclass(frozen=True)
class HostInfo:
    """What the simulated nodes borrow from the machine they run on."""

    kernel_version: str
    architecture: str  # as Go names it: amd64, arm64, ...

    @classmethod
    def of_this_machine(cls) -> HostInfo:
        machine = platform.machine().lower()
        return cls(os.uname().release, _GO_ARCH.get(machine, machine))


def default_labels(cfg: SimConfig, index: int, host: HostInfo) -> dict[str, str]:
    """The labels the kubelet owns (and puts back after a restart)."""
    labels = {
        "beta.kubernetes.io/arch": host.architecture,
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": host.architecture,
        HOSTNAME_LABEL: cfg.node_name(index),
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": INSTANCE_TYPE,
    }
    if cfg.zones:
        labels[REGION_LABEL] = REGION
        labels[ZONE_LABEL] = f"zone-{index % cfg.zones}"
    # A default the user set with --node-labels is the user's.
    labels.update({k: val for k, val in cfg.labels.items() if k in labels})
    return labels


def node_object(cfg: SimConfig, index: int, host: HostInfo, now: float) -> Obj:
    """The Node registration creates: with its status, as a kubelet
    registers, so that the scheduler sees its room from the first event."""
    cidr = node_pod_cidr(cfg.pod_network, index)
    spec: Obj = {"podCIDR": cidr, "podCIDRs": [cidr]}
    if cfg.taints:
        spec["taints"] = [dict(t) for t in cfg.taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": cfg.node_name(index),
            "labels": {**default_labels(cfg, index, host), **cfg.labels},
            "annotations": {ATTACH_DETACH_ANNOTATION: "true", SIMULATED_ANNOTATION: "true"},
        },
        "spec": spec,
        "status": node_status(cfg, index, host, now),
    }


def conditions(now: float, previous: list[Obj] | None = None) -> list[Obj]:
    """The four conditions, heartbeat `now`; a condition whose status is
    what it was keeps its lastTransitionTime."""
    before = {c.get("type"): c for c in previous or [] if isinstance(c, dict)}
    stamp = rfc3339(now)
    out = []
    for kind, status, reason, message in CONDITIONS:
        old = before.get(kind) or {}
        since = old.get("lastTransitionTime") if old.get("status") == status else None
        out.append({"type": kind, "status": status, "lastHeartbeatTime": stamp,
                    "lastTransitionTime": since or stamp, "reason": reason,
                    "message": message})
    return out


def _node_uuid(name: str, what: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_DNS, f"{what}.{name}.kubelite.sim")


def node_info(name: str, host: HostInfo) -> Obj:
    return {
        "machineID": _node_uuid(name, "machine").hex,
        "systemUUID": str(_node_uuid(name, "system")),
        "bootID": str(_node_uuid(name, "boot")),
        "kernelVersion": host.kernel_version,
        "osImage": OS_IMAGE,
        "containerRuntimeVersion": CONTAINER_RUNTIME_VERSION,
        "kubeletVersion": KUBELET_VERSION,
        "kubeProxyVersion": "",
        "operatingSystem": "linux",
        "architecture": host.architecture,
    }


def node_status(cfg: SimConfig, index: int, host: HostInfo, now: float,
                previous_conditions: list[Obj] | None = None) -> Obj:
    name = cfg.node_name(index)
    return {
        "capacity": dict(cfg.capacity),
        "allocatable": dict(cfg.capacity),
        "conditions": conditions(now, previous_conditions),
        "addresses": [{"type": "InternalIP", "address": node_ip(cfg.node_network, index)},
                      {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
        "nodeInfo": node_info(name, host),
    }


def heartbeat(status: Obj, now: float) -> Obj:
    """The status patch of a report where nothing changed: the conditions
    with a new heartbeat."""
    return {"conditions": conditions(now, status.get("conditions"))}


def fingerprint(status: Obj) -> tuple:
    """What counts as a change of status: everything but heartbeat times."""
    conds = tuple((c.get("type"), c.get("status"), c.get("reason"), c.get("message"))
                  for c in status.get("conditions") or [])
    rest = tuple(sorted((k, repr(val)) for k, val in status.items() if k != "conditions"))
    return conds, rest


def report_due(last_report: float | None, last: tuple | None, current: tuple, now: float,
               report_frequency: float) -> bool:
    """Whether to send status now: never sent, changed since, or not sent
    for report_frequency seconds."""
    if last_report is None or last != current:
        return True
    return now - last_report >= report_frequency


def adoption_patch(existing: Obj, cfg: SimConfig, index: int, host: HostInfo) -> Obj | None:
    """What to change on a Node that already exists with our name: the
    default labels the kubelet owns, and a pod range if it has none. None if
    it is as it should be. The user's labels and taints are only set at
    registration, as the kubelet sets them."""
    meta = existing.get("metadata") or {}
    labels = meta.get("labels") or {}
    patch: Obj = {}
    wanted = {k: val for k, val in default_labels(cfg, index, host).items()
              if labels.get(k) != val}
    annotations = meta.get("annotations") or {}
    if wanted or annotations.get(SIMULATED_ANNOTATION) != "true":
        patch["metadata"] = {}
        if wanted:
            patch["metadata"]["labels"] = wanted
        if annotations.get(SIMULATED_ANNOTATION) != "true":
            patch["metadata"]["annotations"] = {SIMULATED_ANNOTATION: "true"}
    if not (existing.get("spec") or {}).get("podCIDR"):
        cidr = node_pod_cidr(cfg.pod_network, index)
        patch["spec"] = {"podCIDR": cidr, "podCIDRs": [cidr]}
    return patch or None


def pod_cidr_of(node: Obj, cfg: SimConfig, index: int) -> str:
    """The node's pod range: its own if it has a usable one, else ours."""
    cidr = (node.get("spec") or {}).get("podCIDR") or ""
    try:
        if ipaddress.IPv4Network(cidr, strict=False).num_addresses >= 4:
            return cidr
    except ValueError:
        pass
    return node_pod_cidr(cfg.pod_network, index)
