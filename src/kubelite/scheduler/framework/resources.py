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

Speed without changing a value: parsed quantities are memoized (a cluster
uses few distinct strings), and `pod_requests_scaled` adds and compares
plain integers in scheduler units when every quantity of the pod is a
whole number of those units (then the exact sum, rounded up, is the sum of
the integers), falling back to exact fractions otherwise ("1u" of cpu).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
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

NON_ZERO_DEFAULT_UNITS: Mapping[str, int] = {
    CPU: DEFAULT_MILLI_CPU_REQUEST,
    MEMORY: DEFAULT_MEMORY_REQUEST,
}

ResourceList = dict[str, Fraction]
_ZERO = Fraction(0)


@lru_cache(maxsize=4096, typed=True)
def _parsed(value: Any) -> Fraction:
    parsed = parse_quantity(value)
    return parsed if parsed is not None else _ZERO


def quantity(value: Any) -> Fraction:
    """The exact value of a quantity; 0 for one that does not parse (the
    API server rejects those, so only hand-made objects have them)."""
    try:
        return _parsed(value)
    except TypeError:  # unhashable: not a quantity
        return _ZERO


def milli_value(q: Fraction) -> int:
    """Quantity.MilliValue(): thousandths, rounded up."""
    return math.ceil(q * 1000)


def whole_value(q: Fraction) -> int:
    """Quantity.Value(): units, rounded up."""
    return math.ceil(q)


def scaled(name: str, q: Fraction) -> int:
    """A quantity in the unit the scheduler counts `name` in."""
    return milli_value(q) if name == CPU else whole_value(q)


@lru_cache(maxsize=4096, typed=True)
def _units(in_milli: bool, value: Any) -> tuple[int, bool]:
    q = quantity(value)
    exact = q * 1000 if in_milli else q
    return math.ceil(exact), exact.denominator == 1


def scaled_quantity(name: str, value: Any) -> int:
    """`scaled(name, quantity(value))`, memoized."""
    try:
        return _units(name == CPU, value)[0]
    except TypeError:
        return 0


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


@lru_cache(maxsize=1024)
def is_scalar_name(name: str) -> bool:
    """`is_scalar`, memoized (resource names are few)."""
    return is_scalar(name)


# --- a pod's requests --------------------------------------------------------
# Written once over any numbers: exact Fractions (pod_requests) or whole
# scheduler units (pod_requests_scaled).

Parse = Callable[[str, Any], Any]


def _add(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def _max(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    for name, value in other.items():
        if name not in into or value > into[name]:
            into[name] = value


def _parsed_list(raw: Mapping[str, Any] | None, parse: Parse) -> dict[str, Any]:
    return {name: parse(name, value) for name, value in (raw or {}).items()}


def _container_requests(
    container: Mapping[str, Any], non_missing: Mapping[str, Any] | None, parse: Parse
) -> dict[str, Any]:
    requests = _parsed_list((container.get("resources") or {}).get("requests"), parse)
    for name, value in (non_missing or {}).items():
        requests.setdefault(name, value)
    return requests


def is_restartable_init_container(container: Mapping[str, Any]) -> bool:
    """A sidecar: an init container with restartPolicy Always."""
    return container.get("restartPolicy") == "Always"


def _effective_requests(
    pod: Mapping[str, Any], non_missing: Mapping[str, Any] | None, parse: Parse
) -> dict[str, Any]:
    spec = pod.get("spec") or {}
    total: dict[str, Any] = {}
    for container in spec.get("containers") or []:
        _add(total, _container_requests(container, non_missing, parse))
    init_containers = spec.get("initContainers")
    if init_containers:
        sidecars: dict[str, Any] = {}
        init_peak: dict[str, Any] = {}
        for container in init_containers:
            requests = _container_requests(container, non_missing, parse)
            if is_restartable_init_container(container):
                _add(total, requests)
                _add(sidecars, requests)
                during = dict(sidecars)
            else:
                during = dict(requests)
                _add(during, sidecars)
            _max(init_peak, during)
        _max(total, init_peak)
    _add(total, _parsed_list(spec.get("overhead"), parse))
    return total


def pod_requests(
    pod: Mapping[str, Any], non_missing: Mapping[str, Fraction] | None = None
) -> ResourceList:
    """The pod's effective requests (see the module docstring). With
    `non_missing`, a container that lacks one of those resources is
    counted as requesting the given value."""
    return _effective_requests(pod, non_missing, lambda name, value: quantity(value))


class _Inexact(Exception):
    """A quantity that is not a whole number of scheduler units."""


def _whole_units(name: str, value: Any) -> int:
    try:
        units, exact = _units(name == CPU, value)
    except TypeError:
        return 0
    if not exact:
        raise _Inexact
    return units


def pod_requests_scaled(
    pod: Mapping[str, Any], non_missing: Mapping[str, int] | None = None
) -> dict[str, int]:
    """`pod_requests` in scheduler units (milli-cpu, whole units), each
    rounded up; `non_missing` in those units too (NON_ZERO_DEFAULT_UNITS)."""
    try:
        return _effective_requests(pod, non_missing, _whole_units)
    except _Inexact:
        exact_defaults = None
        if non_missing is not None:
            exact_defaults = {
                name: Fraction(value, 1000) if name == CPU else Fraction(value)
                for name, value in non_missing.items()
            }
        return {name: scaled(name, q) for name, q in pod_requests(pod, exact_defaults).items()}


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
        return cls.from_scaled({name: scaled(name, value) for name, value in resources.items()})

    @classmethod
    def from_scaled(cls, resources: Mapping[str, int]) -> Resource:
        """The same from amounts already in scheduler units."""
        result = cls()
        for name, value in resources.items():
            if name == CPU:
                result.milli_cpu += value
            elif name == MEMORY:
                result.memory += value
            elif name == PODS:
                result.allowed_pod_number += value
            elif name == EPHEMERAL_STORAGE:
                result.ephemeral_storage += value
            elif is_scalar_name(name):
                result.scalar[name] = result.scalar.get(name, 0) + value
        return result

    @classmethod
    def from_quantities(cls, raw: Mapping[str, Any] | None) -> Resource:
        """The same from a raw map of quantities (status.allocatable)."""
        return cls.from_scaled(
            {name: scaled_quantity(name, value) for name, value in (raw or {}).items()}
        )

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
