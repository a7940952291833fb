"""Resource quantities as the scheduler counts them.

Quantities ("100m", "1Gi", "2") are parsed exactly and rounded up the way
Kubernetes' Quantity.MilliValue() / Value() round: cpu is counted in
milli-cpu, everything else (memory, ephemeral-storage, pods, extended and
hugepages resources) in whole units.

A pod's effective requests (component-helpers' PodRequests, as 1.32 has it,
without pod-level resources or in-place resize):

    max(sum of app containers + sum of restartable (sidecar) init containers,
        max over init containers i of (init container i's requests
                                       + sidecars declared before i))
    + pod overhead

`NON_ZERO_DEFAULTS` are the requests scoring assumes for a container that
sets no cpu or memory request at all (100m, 200Mi); an explicit "0" stays 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from kubelite.api.validation import is_qualified_name, parse_quantity

CPU = "cpu"
MEMORY = "memory"
EPHEMERAL_STORAGE = "ephemeral-storage"
PODS = "pods"

DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
NON_ZERO_DEFAULTS: Mapping[str, Fraction] = {
    CPU: Fraction(DEFAULT_MILLI_CPU_REQUEST, 1000),
    MEMORY: Fraction(DEFAULT_MEMORY_REQUEST),
}

ResourceList = dict[str, Fraction]


def quantity(value: Any) -> Fraction:
    """The exact value of a quantity; 0 for one that does not parse (the
    API server rejects those, so only hand-made objects have them)."""
    parsed = parse_quantity(value)
    return parsed if parsed is not None else Fraction(0)


def milli_value(q: Fraction) -> int:
    """Quantity.MilliValue(): thousandths, rounded up."""
    return math.ceil(q * 1000)


def whole_value(q: Fraction) -> int:
    """Quantity.Value(): units, rounded up."""
    return math.ceil(q)


def scaled(name: str, q: Fraction) -> int:
    """A quantity in the unit the scheduler counts `name` in."""
    return milli_value(q) if name == CPU else whole_value(q)


def resource_list(raw: Mapping[str, Any] | None) -> ResourceList:
    """A `requests`/`allocatable`/`overhead` map parsed to exact values."""
    return {name: quantity(value) for name, value in (raw or {}).items()}


# --- resource names ----------------------------------------------------------


def is_prefixed_native(name: str) -> bool:
    return "kubernetes.io/" in name


def is_native(name: str) -> bool:
    return "/" not in name or is_prefixed_native(name)


def is_extended(name: str) -> bool:
    """An extended resource ("example.com/gpu"): not native, not a quota
    name, and a qualified name once prefixed with "requests."."""
    if is_native(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def is_attachable_volumes(name: str) -> bool:
    return name.startswith("attachable-volumes-")


def is_scalar(name: str) -> bool:
    """The resources NodeInfo keeps in its scalar map: extended, hugepages,
    prefixed native and attachable-volume resources."""
    return (
        is_extended(name)
        or is_hugepages(name)
        or is_prefixed_native(name)
        or is_attachable_volumes(name)
    )


# --- a pod's requests --------------------------------------------------------


def _add(into: ResourceList, more: Mapping[str, Fraction]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, Fraction(0)) + value


def _max(into: ResourceList, other: Mapping[str, Fraction]) -> None:
    for name, value in other.items():
        if name not in into or value > into[name]:
            into[name] = value


def _container_requests(
    container: Mapping[str, Any], non_missing: Mapping[str, Fraction] | None
) -> ResourceList:
    requests = resource_list((container.get("resources") or {}).get("requests"))
    for name, value in (non_missing or {}).items():
        requests.setdefault(name, value)
    return requests


def is_restartable_init_container(container: Mapping[str, Any]) -> bool:
    """A sidecar: an init container with restartPolicy Always."""
    return container.get("restartPolicy") == "Always"


def pod_requests(
    pod: Mapping[str, Any], non_missing: Mapping[str, Fraction] | None = None
) -> ResourceList:
    """The pod's effective requests (see the module docstring). With
    `non_missing`, a container that lacks one of those resources is
    counted as requesting the given value."""
    spec = pod.get("spec") or {}
    total: ResourceList = {}
    for container in spec.get("containers") or []:
        _add(total, _container_requests(container, non_missing))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or []:
        requests = _container_requests(container, non_missing)
        if is_restartable_init_container(container):
            _add(total, requests)
            _add(sidecars, requests)
            during = dict(sidecars)
        else:
            during = dict(requests)
            _add(during, sidecars)
        _max(init_peak, during)
    _max(total, init_peak)
    _add(total, resource_list(spec.get("overhead")))
    return total


# --- Resource ----------------------------------------------------------------


@dataclass
class Resource:
    """Amounts in the scheduler's units: milli-cpu, bytes, pod count, and
    whole units for scalar (extended, hugepages, ...) resources."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pod_number: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_list(cls, resources: Mapping[str, Fraction]) -> Resource:
        """framework.NewResource: a parsed resource list in scheduler units;
        names the scheduler does not track are dropped."""
        result = cls()
        for name, value in resources.items():
            if name == CPU:
                result.milli_cpu += milli_value(value)
            elif name == MEMORY:
                result.memory += whole_value(value)
            elif name == PODS:
                result.allowed_pod_number += whole_value(value)
            elif name == EPHEMERAL_STORAGE:
                result.ephemeral_storage += whole_value(value)
            elif is_scalar(name):
                result.scalar[name] = result.scalar.get(name, 0) + whole_value(value)
        return result

    def add(self, other: Resource, sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral_storage += sign * other.ephemeral_storage
        for name, value in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + sign * value

    def get(self, name: str) -> int:
        """The amount of one named resource (0 when absent)."""
        if name == CPU:
            return self.milli_cpu
        if name == MEMORY:
            return self.memory
        if name == EPHEMERAL_STORAGE:
            return self.ephemeral_storage
        if name == PODS:
            return self.allowed_pod_number
        return self.scalar.get(name, 0)

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral_storage or self.scalar)
