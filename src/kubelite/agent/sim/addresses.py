"""Addresses of simulated nodes and their pods, pure. They are only data:
nothing sends traffic to them.

Node i's InternalIP is the (i+1)-th address of --node-ip-base (10.0.0.1,
10.0.0.2, ... 10.0.1.0, ...); its pod range the i-th /24 of --pod-cidr-base
(10.244.0.0/24, 10.244.1.0/24, ...) unless the Node already has one. A
node's `IPPool` hands out pod IPs from its range as the host-local CNI
plugin does: the network address, the gateway (.1) and the broadcast
address are never given, and allocation goes round from the last address
given, so that a released address is not reused at once.
"""

from __future__ import annotations

import ipaddress

from kubelite.agent.sim.config import NODE_POD_PREFIX


def node_ip(base: ipaddress.IPv4Network, index: int) -> str:
    return str(base.network_address + index + 1)


def node_pod_cidr(base: ipaddress.IPv4Network, index: int) -> str:
    size = 2 ** (32 - NODE_POD_PREFIX)
    return f"{base.network_address + index * size}/{NODE_POD_PREFIX}"


class IPPool:
    """One node's pod addresses, each held by an owner (a pod's UID)."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.IPv4Network(cidr, strict=False)
        first = int(self.network.network_address)
        # Usable: after the network address and the gateway, before broadcast.
        self._low, self._high = first + 2, first + self.network.num_addresses - 2
        self._next = self._low
        self._by_owner: dict[str, int] = {}
        self._owner_of: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._by_owner)

    @property
    def size(self) -> int:
        return max(0, self._high - self._low + 1)

    def contains(self, ip: str) -> bool:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return False
        return self._low <= value <= self._high

    def get(self, owner: str) -> str | None:
        value = self._by_owner.get(owner)
        return None if value is None else str(ipaddress.IPv4Address(value))

    def reserve(self, owner: str, ip: str) -> bool:
        """Record that `owner` holds `ip` (as a pod's status says after a
        restart). False if the address is outside the pool or held by
        another owner."""
        if not self.contains(ip):
            return False
        value = int(ipaddress.IPv4Address(ip))
        holder = self._owner_of.get(value)
        if holder is not None and holder != owner:
            return False
        self.release(owner)
        self._by_owner[owner] = value
        self._owner_of[value] = owner
        return True

    def allocate(self, owner: str) -> str | None:
        """The address `owner` holds, or a free one for it; None when the
        pool is exhausted."""
        held = self.get(owner)
        if held is not None:
            return held
        for _ in range(self.size):
            value = self._next
            self._next = self._low if value >= self._high else value + 1
            if value not in self._owner_of:
                self._by_owner[owner] = value
                self._owner_of[value] = owner
                return str(ipaddress.IPv4Address(value))
        return None

    def release(self, owner: str) -> None:
        value = self._by_owner.pop(owner, None)
        if value is not None:
            del self._owner_of[value]
