"""What the simulated nodes are told to be: `SimConfig`, and the parsers of
the flags that fill it (capacity, labels, taints, delays). Pure: a bad value
raises `ValueError` with a message naming the flag."""

from __future__ import annotations

import argparse
import ipaddress
import math
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
# The pod ranges' base when --pod-cidr-base is not given: this, or for more
# than its 256 nodes the smallest block around it that holds them all
# (10.244.0.0/14 for 1,024 nodes, 10.240.0.0/12 for 4,096).
DEFAULT_POD_CIDR_BASE = "10.244.0.0/16"
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
    -> [{"key": ..., "value": ..., "effect": ...}, ...]; a key and effect
    may appear once."""
    taints: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
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
        if (key, effect) in seen:
            raise ValueError(f"--register-with-taints: {item!r}: duplicated taints with the "
                             "same key and effect")
        seen.add((key, effect))
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints


def parse_seconds(text: str) -> float:
    """A number of seconds ("1", "0.5") or a Go duration ("10s", "1m"),
    finite and not negative."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parse_duration(text)
        except argparse.ArgumentTypeError:
            raise ValueError(f"{text!r} is neither seconds nor a duration") from None
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is not a finite number of seconds")
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
    pod_cidr_base: str = ""  # "": DEFAULT_POD_CIDR_BASE, grown to hold `count` nodes
    node_ip_base: str = "10.0.0.0/16"

    @property
    def renew_interval(self) -> float:
        """The kubelet renews its lease every quarter of its duration."""
        return self.lease_duration_seconds * 0.25

    def node_name(self, index: int) -> str:
        return f"{self.name_prefix}{index}"

    @property
    def pod_network(self) -> ipaddress.IPv4Network:
        if self.pod_cidr_base:
            return ipaddress.IPv4Network(self.pod_cidr_base, strict=False)
        default = ipaddress.IPv4Network(DEFAULT_POD_CIDR_BASE)
        if _node_ranges(default) >= self.count:
            return default
        return ipaddress.IPv4Network(_enough(default, self.count))

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
        if not (math.isfinite(self.pod_ready_delay) and self.pod_ready_delay >= 0):
            raise ValueError("--pod-ready-delay must be a non-negative number of seconds")
        if self.lease_duration_seconds < 1:
            raise ValueError("--node-lease-duration-seconds must be at least 1")
        for flag, text in (("--pod-cidr-base", self.pod_cidr_base),
                           ("--node-ip-base", self.node_ip_base)):
            if not text and flag == "--pod-cidr-base":
                continue
            try:
                ipaddress.IPv4Network(text, strict=False)
            except ValueError as e:
                raise ValueError(f"{flag}: {text!r} is not an IPv4 range: {e}") from None
        pods = self.pod_network
        ranges = _node_ranges(pods)
        if ranges < self.count:
            raise ValueError(
                f"--pod-cidr-base {pods} holds {ranges} /{NODE_POD_PREFIX} node ranges, "
                f"not enough for {self.count} nodes (give a larger one, e.g. "
                f"{_enough(pods, self.count)})")
        if pods.overlaps(self.node_network):
            raise ValueError(f"--pod-cidr-base {pods} overlaps --node-ip-base "
                             f"{self.node_network}")
        hosts = self.node_network.num_addresses - 2
        if hosts < self.count:
            raise ValueError(f"--node-ip-base {self.node_network} holds {max(hosts, 0)} "
                             f"addresses, not enough for {self.count} nodes")


def _node_ranges(network: ipaddress.IPv4Network) -> int:
    """How many node pod ranges (/NODE_POD_PREFIX) `network` holds."""
    if network.prefixlen > NODE_POD_PREFIX:
        return 0
    return 2 ** (NODE_POD_PREFIX - network.prefixlen)


def _enough(network: ipaddress.IPv4Network, count: int) -> str:
    prefix = NODE_POD_PREFIX - max(0, (count - 1).bit_length())
    return str(ipaddress.IPv4Network(f"{network.network_address}/{prefix}", strict=False))
