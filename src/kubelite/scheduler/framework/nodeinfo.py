"""NodeInfo: one node and what the pods assigned to it add up to.

- `requested`: the sum of the pods' effective requests;
- `non_zero_requested`: the same for cpu and memory, with 100m / 200Mi for
  containers that request none (what scoring spreads by);
- `allocatable`: status.allocatable;
- `used_ports`: host ports taken, per host IP ("0.0.0.0" when unset);
- `image_states`: the node's images by name, with their size and on how
  many nodes of the snapshot they are (for ImageLocality);
- read once from the node, for the filters that look at every node:
  `taints`, split into `no_schedule_taints` (NoSchedule and NoExecute, in
  the node's order: what Filter checks) and `prefer_no_schedule_taints`
  (what TaintToleration scores), and `unschedulable` (spec.unschedulable).

`clone()` and `remove_pod()` are for "what if" questions (preemption,
nominated pods): a copy to add pods to and take pods from without
touching the snapshot's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kubelite.scheduler.framework.podinfo import HostPort, PodInfo
from kubelite.scheduler.framework.resources import Resource
from kubelite.scheduler.framework.tolerations import does_not_schedule, prefers_no_schedule

Obj = dict[str, Any]
BIND_ALL_IP = "0.0.0.0"


@dataclass(frozen=True)
class ImageStateSummary:
    size: int
    num_nodes: int


class HostPortInfo:
    """Used (protocol, port) pairs per host IP."""

    def __init__(self) -> None:
        self._by_ip: dict[str, set[tuple[str, int]]] = {}

    @staticmethod
    def _normal(port: HostPort) -> tuple[str, tuple[str, int]]:
        return port.ip or BIND_ALL_IP, (port.protocol or "TCP", port.port)

    def add(self, port: HostPort) -> None:
        if port.port <= 0:
            return
        ip, pair = self._normal(port)
        self._by_ip.setdefault(ip, set()).add(pair)

    def remove(self, port: HostPort) -> None:
        if port.port <= 0:
            return
        ip, pair = self._normal(port)
        used = self._by_ip.get(ip)
        if used is not None:
            used.discard(pair)
            if not used:
                del self._by_ip[ip]

    def clone(self) -> HostPortInfo:
        copy = HostPortInfo()
        copy._by_ip = {ip: set(pairs) for ip, pairs in self._by_ip.items()}
        return copy

    def conflicts(self, port: HostPort) -> bool:
        """Whether `port` is taken: on its IP or 0.0.0.0, or, for 0.0.0.0,
        on any IP."""
        if port.port <= 0:
            return False
        ip, pair = self._normal(port)
        if ip == BIND_ALL_IP:
            return any(pair in used for used in self._by_ip.values())
        return any(pair in self._by_ip.get(key, ()) for key in (BIND_ALL_IP, ip))


@dataclass
class NodeInfo:
    node: Obj
    name: str
    labels: dict[str, str]
    allocatable: Resource
    pods: list[PodInfo] = field(default_factory=list)
    pods_with_affinity: list[PodInfo] = field(default_factory=list)
    pods_with_required_anti_affinity: list[PodInfo] = field(default_factory=list)
    requested: Resource = field(default_factory=Resource)
    non_zero_requested: Resource = field(default_factory=Resource)
    used_ports: HostPortInfo = field(default_factory=HostPortInfo)
    image_states: dict[str, ImageStateSummary] = field(default_factory=dict)
    # Read from `node` once (see the module docstring).
    spec: Obj = field(init=False, repr=False, compare=False)
    taints: list[Mapping[str, Any]] = field(init=False, repr=False, compare=False)
    no_schedule_taints: list[Mapping[str, Any]] = field(init=False, repr=False, compare=False)
    prefer_no_schedule_taints: list[Mapping[str, Any]] = field(
        init=False, repr=False, compare=False)
    unschedulable: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.spec = self.node.get("spec") or {}
        self.taints = self.spec.get("taints") or []
        self.no_schedule_taints = [t for t in self.taints if does_not_schedule(t)]
        self.prefer_no_schedule_taints = [t for t in self.taints if prefers_no_schedule(t)]
        self.unschedulable = bool(self.spec.get("unschedulable"))

    @classmethod
    def of(cls, node: Obj, pods: Iterable[PodInfo] = ()) -> NodeInfo:
        metadata = node.get("metadata") or {}
        info = cls(
            node=node,
            name=metadata.get("name") or "",
            labels=metadata.get("labels") or {},
            allocatable=Resource.from_quantities((node.get("status") or {}).get("allocatable")),
        )
        for pod in pods:
            info.add_pod(pod)
        return info

    def add_pod(self, pod: PodInfo) -> None:
        self.pods.append(pod)
        if pod._has_affinity:
            self.pods_with_affinity.append(pod)
        if pod._has_required_anti_affinity:
            self.pods_with_required_anti_affinity.append(pod)
        self.requested.add(pod.requests)
        self.non_zero_requested.milli_cpu += pod.non_zero_cpu
        self.non_zero_requested.memory += pod.non_zero_memory
        for port in pod.host_ports:
            self.used_ports.add(port)

    def remove_pod(self, pod: PodInfo) -> None:
        """Take `pod` (matched by uid, else namespace and name) off the node;
        ValueError when it is not there."""
        index = _index_of(self.pods, pod)
        if index is None:
            raise ValueError(f"no corresponding pod {pod.name} in pods of node {self.name}")
        gone = self.pods.pop(index)
        for kept in (self.pods_with_affinity, self.pods_with_required_anti_affinity):
            at = _index_of(kept, gone)
            if at is not None:
                kept.pop(at)
        self.requested.add(gone.requests, -1)
        self.non_zero_requested.milli_cpu -= gone.non_zero_cpu
        self.non_zero_requested.memory -= gone.non_zero_memory
        for port in gone.host_ports:
            self.used_ports.remove(port)

    def clone(self) -> NodeInfo:
        """A copy whose pods and sums can change without changing this one
        (the pods themselves and the image states are shared)."""
        return replace(
            self,
            pods=list(self.pods),
            pods_with_affinity=list(self.pods_with_affinity),
            pods_with_required_anti_affinity=list(self.pods_with_required_anti_affinity),
            requested=replace(self.requested, scalar=dict(self.requested.scalar)),
            non_zero_requested=replace(
                self.non_zero_requested, scalar=dict(self.non_zero_requested.scalar)
            ),
            used_ports=self.used_ports.clone(),
        )


def _index_of(pods: list[PodInfo], pod: PodInfo) -> int | None:
    uid = pod.uid
    for i, candidate in enumerate(pods):
        if uid and candidate.uid == uid:
            return i
        if not uid and (candidate.namespace, candidate.name) == (pod.namespace, pod.name):
            return i
    return None
