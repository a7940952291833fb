"""Leases: which exist, when each expires, and which keys each one holds.

The Lessor is pure bookkeeping: callers pass the clock in (`now`, seconds on
a monotonic clock) and carry out what it decides. Grants and revocations
reach it through the Raft log (so every member agrees); keep-alives and
expiry checks are the leader's own business and never touch the log, as in
etcd. Expired leases are reported by `expired()`; the server then proposes
their revocation, which deletes their keys in one revision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kubelite.store import errors

# etcd's limits: a TTL is raised to the minimum the election timeout allows
# (3/2 of it: 1.5 s with the default 1 s, rounded up) and may not exceed
# MaxLeaseTTL.
MIN_TTL = 2
MAX_TTL = 9_000_000_000


@dataclass
class Lease:
    id: int
    ttl: int
    expiry: float = math.inf
    keys: set[bytes] = field(default_factory=set)

    def remaining(self, now: float) -> float:
        return self.expiry - now


class Lessor:
    def __init__(self, min_ttl: int = MIN_TTL) -> None:
        self.min_ttl = min_ttl
        self.leases: dict[int, Lease] = {}

    def exists(self, lease_id: int) -> bool:
        return lease_id in self.leases

    def lookup(self, lease_id: int) -> Lease:
        lease = self.leases.get(lease_id)
        if lease is None:
            raise errors.LEASE_NOT_FOUND
        return lease

    @staticmethod
    def check_grant(ttl: int) -> None:
        if ttl > MAX_TTL:
            raise errors.LEASE_TTL_TOO_LARGE

    def grant(self, lease_id: int, ttl: int, now: float) -> Lease:
        """Create a lease (applied from the log); it expires ttl from now."""
        if lease_id in self.leases:
            raise errors.LEASE_EXIST
        self.check_grant(ttl)
        lease = Lease(lease_id, max(ttl, self.min_ttl))
        lease.expiry = now + lease.ttl
        self.leases[lease_id] = lease
        return lease

    def restore(self, lease_id: int, ttl: int) -> None:
        """Bring back a persisted lease; `promote` sets its expiry."""
        self.leases[lease_id] = Lease(lease_id, ttl)

    def revoke(self, lease_id: int) -> set[bytes]:
        """Forget the lease and return the keys it held (to be deleted)."""
        lease = self.leases.pop(lease_id, None)
        if lease is None:
            raise errors.LEASE_NOT_FOUND
        return lease.keys

    def renew(self, lease_id: int, now: float) -> int:
        """A keep-alive: the lease lives another full TTL. Returns the TTL."""
        lease = self.lookup(lease_id)
        if lease.remaining(now) <= 0:
            raise errors.LEASE_NOT_FOUND
        lease.expiry = now + lease.ttl
        return lease.ttl

    def promote(self, now: float) -> None:
        """On becoming leader every lease gets a full TTL, as in etcd: no
        lease may expire for time during which no leader could renew it."""
        for lease in self.leases.values():
            lease.expiry = now + lease.ttl

    def attach(self, lease_id: int, key: bytes) -> None:
        self.lookup(lease_id).keys.add(key)

    def detach(self, lease_id: int, key: bytes) -> None:
        lease = self.leases.get(lease_id)
        if lease is not None:
            lease.keys.discard(key)

    def expired(self, now: float, limit: int = 1000) -> list[int]:
        """Leases whose time is up, oldest first, at most `limit`."""
        due = [lease for lease in self.leases.values() if lease.expiry <= now]
        due.sort(key=lambda lease: lease.expiry)
        return [lease.id for lease in due[:limit]]

    def time_to_live(self, lease_id: int, now: float) -> tuple[int, int, list[bytes]]:
        """(seconds left, granted TTL, keys) as LeaseTimeToLive reports them."""
        lease = self.lookup(lease_id)
        left = max(int(lease.remaining(now)), 0)
        return left, lease.ttl, sorted(lease.keys)
