"""What the simulated nodes are told to be: `SimConfig`, and the parsers of
the flags that fill it (capacity, labels, taints, delays). Pure: a bad value
raises `ValueError` with a message naming the flag."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kubelite.api import validation as v
from kubelite.client.leaderelection import parse_duration

# What each simulated node has unless --capacity or --max-pods says otherwise.
DEFAULT_CAPACITY: Mapping[str, str] = MappingProxyType({
    "cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "100Gi",
})
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Each node's pod range: the i-th /24 of --pod-cidr-base.
NODE_POD_PREFIX = 24
# The kubelet's nodeStatusReportFrequency: status is sent again at least this
# often even when nothing changed.
STATUS_REPORT_FREQUENCY = 300.0


def _pairs(text: str, flag: str) -> list[tuple[str, str]]:
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag}: {item!r} is not key=value")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_capacity(text: str) -> dict[str, str]:
    """"cpu=32,memory=256Gi,pods=110" -> {"cpu": "32", ...}: resource names
    with non-negative quantities."""
    capacity: dict[str, str] = {}
    for name, value in _pairs(text, "--capacity"):
        problems = v.is_qualified_name(name)
        if problems:
            raise ValueError(f"--capacity: {name!r} is not a resource name: {problems[0]}")
        amount = v.parse_quantity(value)
        if amount is None or amount < 0:
            raise ValueError(f"--capacity: {name}={value!r} is not a non-negative quantity")
        capacity[name] = value
    return capacity


def parse_labels(text: str) -> dict[str, str]:
    """"k=v,k2=v2" -> {"k": "v", "k2": "v2"}, each a valid label."""
    labels: dict[str, str] = {}
    for key, value in _pairs(text, "--node-labels"):
        problems = v.is_valid_label_key(key) or v.is_valid_label_value(value)
        if problems:
            raise ValueError(f"--node-labels: {key}={value}: {problems[0]}")
        labels[key] = value
    return labels


def parse_taints(text: str) -> list[dict[str, str]]:
    """"key=value:Effect,key2:Effect" (the kubelet's --register-with-taints)
    -> [{"key": ..., "value": ..., "effect": ...}, ...]."""
    taints: list[dict[str, str]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        spec, sep, effect = item.rpartition(":")
        if not sep or not spec:
            raise ValueError(f"--register-with-taints: {item!r} is not key=value:Effect")
        if effect not in TAINT_EFFECTS:
            raise ValueError(f"--register-with-taints: {item!r}: the effect must be one of "
                             f"{', '.join(TAINT_EFFECTS)}")
        key, _, value = spec.partition("=")
        problems = v.is_qualified_name(key) or (value and v.is_valid_label_value(value))
        if problems:
            raise ValueError(f"--register-with-taints: {item!r}: {problems[0]}")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints


def parse_seconds(text: str) -> float:
    """A number of seconds ("1", "0.5") or a Go duration ("10s", "1m")."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = parse_duration(text)
    if seconds < 0:
        raise ValueError(f"{text!r} is negative")
    return seconds


@dataclass(frozen=True)
class SimConfig:
    count: int
    name_prefix: str = "sim-node-"
    capacity: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CAPACITY))
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Mapping[str, str], ...] = ()
    zones: int = 1
    node_status_update_frequency: float = 10.0
    node_status_report_frequency: float = STATUS_REPORT_FREQUENCY
    lease_duration_seconds: int = 40
    pod_ready_delay: float = 1.0
    pod_cidr_base: str = "10.244.0.0/16"
    node_ip_base: str = "10.0.0.0/16"

    @property
    def renew_interval(self) -> float:
        """The kubelet renews its lease every quarter of its duration."""
        return self.lease_duration_seconds * 0.25

    def node_name(self, index: int) -> str:
        return f"{self.name_prefix}{index}"

    @property
    def pod_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.pod_cidr_base, strict=False)

    @property
    def node_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.node_ip_base, strict=False)

    def validate(self) -> None:
        if self.count < 1:
            raise ValueError("--simulate: the number of nodes must be at least 1")
        last = self.node_name(self.count - 1)
        problems = v.is_dns1123_subdomain(last)
        if problems:
            raise ValueError(f"--node-name-prefix: {last!r} is not a valid node name: "
                             f"{problems[0]}")
        if self.zones < 0:
            raise ValueError("--zones must not be negative")
        if self.node_status_update_frequency <= 0:
            raise ValueError("--node-status-update-frequency must be positive")
        if self.lease_duration_seconds < 1:
            raise ValueError("--node-lease-duration-seconds must be at least 1")
        for flag, text in (("--pod-cidr-base", self.pod_cidr_base),
                           ("--node-ip-base", self.node_ip_base)):
            try:
                ipaddress.IPv4Network(text, strict=False)
            except ValueError as e:
                raise ValueError(f"{flag}: {text!r} is not an IPv4 range: {e}") from None
        pods = self.pod_network
        ranges = 2 ** (NODE_POD_PREFIX - pods.prefixlen) if pods.prefixlen <= NODE_POD_PREFIX \
            else 0
        if ranges < self.count:
            raise ValueError(
                f"--pod-cidr-base {pods} holds {ranges} /{NODE_POD_PREFIX} node ranges, "
                f"not enough for {self.count} nodes (give a larger one, e.g. "
                f"{_enough(pods, self.count)})")
        hosts = self.node_network.num_addresses - 2
        if hosts < self.count:
            raise ValueError(f"--node-ip-base {self.node_network} holds {max(hosts, 0)} "
                             f"addresses, not enough for {self.count} nodes")


def _enough(network: ipaddress.IPv4Network, count: int) -> str:
    prefix = NODE_POD_PREFIX - max(0, (count - 1).bit_length())
    return str(ipaddress.IPv4Network(f"{network.network_address}/{prefix}", strict=False))
