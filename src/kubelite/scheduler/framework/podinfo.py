"""PodInfo: a pod (the dict the API serves) with what the scheduler derives
from it once: its effective and non-zero requests, its host ports, and its
inter-pod (anti-)affinity terms parsed.

An affinity term matches a pod when the pod's namespace is in the term's
namespaces or the term's namespaceSelector matches that namespace's labels,
and the term's labelSelector matches the pod's labels. A term without
`namespaces` and without `namespaceSelector` means "the pod's own
namespace"; a missing labelSelector or namespaceSelector matches nothing,
an empty one ({}) everything. A term's selectors are compiled once
(matchers.py) for the loops that match them against many pods.

What the plugins read of a pod on every node (its spec and metadata, uid,
priority, tolerations, nodeName, whether it is terminating or has pod
affinity) is read once here, when the PodInfo is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.selectors import LabelSelector, from_label_selector_object
from kubelite.scheduler.framework.matchers import Matcher, compile_selector
from kubelite.scheduler.framework.resources import (
    CPU,
    MEMORY,
    NON_ZERO_DEFAULT_UNITS,
    Resource,
    pod_requests_scaled,
)

Obj = dict[str, Any]
HOSTNAME_LABEL = "kubernetes.io/hostname"


def label_selector(obj: Mapping[str, Any] | None) -> LabelSelector | None:
    """metav1.LabelSelectorAsSelector: None (matches nothing) for a missing
    selector; ValueError for an invalid one."""
    if obj is None:
        return None
    return from_label_selector_object(obj)


def selector_matches(selector: LabelSelector | None, labels: Mapping[str, str] | None) -> bool:
    return selector is not None and selector.matches(labels)


@dataclass
class AffinityTerm:
    """A parsed PodAffinityTerm."""

    namespaces: set[str]
    selector: LabelSelector | None
    topology_key: str
    namespace_selector: LabelSelector | None
    selects: Matcher = field(init=False, repr=False, compare=False)
    selects_namespace: Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.selects = compile_selector(self.selector)
        self.selects_namespace = compile_selector(self.namespace_selector)

    def matches(self, pod: PodInfo, namespace_labels: Mapping[str, str] | None) -> bool:
        """Whether `pod` is selected; `namespace_labels` are the labels of
        the pod's namespace (for namespaceSelector)."""
        if pod.namespace in self.namespaces or self.selects_namespace(namespace_labels):
            return self.selects(pod.labels)
        return False


@dataclass
class WeightedAffinityTerm:
    term: AffinityTerm
    weight: int


def _affinity_term(namespace: str, raw: Mapping[str, Any]) -> AffinityTerm:
    namespaces = raw.get("namespaces") or []
    ns_selector_raw = raw.get("namespaceSelector")
    own = set() if namespaces or ns_selector_raw is not None else {namespace}
    return AffinityTerm(
        namespaces=set(namespaces) | own,
        selector=label_selector(raw.get("labelSelector")),
        topology_key=raw.get("topologyKey") or "",
        namespace_selector=label_selector(ns_selector_raw),
    )


def _terms(namespace: str, raw_terms: list[Any]) -> list[AffinityTerm]:
    return [_affinity_term(namespace, t) for t in raw_terms]


def _weighted_terms(namespace: str, raw_terms: list[Any]) -> list[WeightedAffinityTerm]:
    return [
        WeightedAffinityTerm(
            _affinity_term(namespace, t.get("podAffinityTerm") or {}), int(t.get("weight") or 0)
        )
        for t in raw_terms
    ]


def pod_priority(pod: Mapping[str, Any]) -> int:
    """spec.priority, 0 when unset (corev1helpers.PodPriority: a pod created
    when no default class existed and naming none)."""
    priority = (pod.get("spec") or {}).get("priority")
    return priority if isinstance(priority, int) and not isinstance(priority, bool) else 0


@dataclass(frozen=True)
class HostPort:
    ip: str
    protocol: str
    port: int


def host_ports(pod: Mapping[str, Any]) -> list[HostPort]:
    """The host ports the pod's app containers ask for (1.32 does not count
    init or sidecar containers' ports)."""
    ports = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            number = int(port.get("hostPort") or 0)
            if number > 0:
                ports.append(
                    HostPort(port.get("hostIP") or "", port.get("protocol") or "", number)
                )
    return ports


@dataclass
class PodInfo:
    """A pod and what is derived from it; build with `PodInfo.of(pod)`."""

    pod: Obj
    name: str
    namespace: str
    labels: dict[str, str]
    requests: Resource
    non_zero_cpu: int
    non_zero_memory: int
    host_ports: list[HostPort]
    required_affinity_terms: list[AffinityTerm] = field(default_factory=list)
    required_anti_affinity_terms: list[AffinityTerm] = field(default_factory=list)
    preferred_affinity_terms: list[WeightedAffinityTerm] = field(default_factory=list)
    preferred_anti_affinity_terms: list[WeightedAffinityTerm] = field(default_factory=list)
    # The first selector that did not parse, if any: the terms of that kind
    # are then left out, as upstream leaves them out.
    parse_error: str = ""
    # Read from `pod` once (see the module docstring).
    metadata: Obj = field(init=False, repr=False, compare=False)
    spec: Obj = field(init=False, repr=False, compare=False)
    uid: str = field(init=False, repr=False, compare=False)
    priority: int = field(init=False, repr=False, compare=False)
    tolerations: list[Obj] = field(init=False, repr=False, compare=False)
    node_name: str = field(init=False, repr=False, compare=False)
    terminating: bool = field(init=False, repr=False, compare=False)
    _has_affinity: bool = field(init=False, repr=False, compare=False)
    _has_required_anti_affinity: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pod = self.pod
        self.metadata = pod.get("metadata") or {}
        self.spec = spec = pod.get("spec") or {}
        self.uid = self.metadata.get("uid") or ""
        self.priority = pod_priority(pod)
        self.tolerations = spec.get("tolerations") or []
        self.node_name = spec.get("nodeName") or ""
        self.terminating = bool(self.metadata.get("deletionTimestamp"))
        affinity = spec.get("affinity") or {}
        self._has_affinity = affinity.get("podAffinity") is not None or (
            affinity.get("podAntiAffinity") is not None
        )
        anti = affinity.get("podAntiAffinity") or {}
        self._has_required_anti_affinity = bool(
            anti.get("requiredDuringSchedulingIgnoredDuringExecution")
        )

    @classmethod
    def of(cls, pod: Obj) -> PodInfo:
        non_zero = pod_requests_scaled(pod, NON_ZERO_DEFAULT_UNITS)
        metadata = pod.get("metadata") or {}
        info = cls(
            pod=pod,
            name=metadata.get("name") or "",
            namespace=metadata.get("namespace") or "",
            labels=metadata.get("labels") or {},
            requests=Resource.from_scaled(pod_requests_scaled(pod)),
            non_zero_cpu=non_zero.get(CPU, 0),
            non_zero_memory=non_zero.get(MEMORY, 0),
            host_ports=host_ports(pod),
        )
        if info._has_affinity:
            info._parse_affinity()
        return info

    def _parse_affinity(self) -> None:
        affinity = self.spec.get("affinity") or {}
        ns = self.namespace
        parts = (
            ("podAffinity", "requiredDuringSchedulingIgnoredDuringExecution", _terms,
             "required_affinity_terms"),
            ("podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", _terms,
             "required_anti_affinity_terms"),
            ("podAffinity", "preferredDuringSchedulingIgnoredDuringExecution", _weighted_terms,
             "preferred_affinity_terms"),
            ("podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution",
             _weighted_terms, "preferred_anti_affinity_terms"),
        )
        for kind, when, parse, attr in parts:
            raw = (affinity.get(kind) or {}).get(when) or []
            try:
                setattr(self, attr, parse(ns, raw))
            except ValueError as err:
                self.parse_error = self.parse_error or f"{attr}: {err}"

    def has_affinity(self) -> bool:
        """Has podAffinity or podAntiAffinity (required or preferred)."""
        return self._has_affinity

    def has_required_anti_affinity(self) -> bool:
        return self._has_required_anti_affinity
