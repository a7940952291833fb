"""Leader election on a coordination.k8s.io/v1 Lease, as client-go's
tools/leaderelection does it, so that one of several replicas of a
component does the work and another takes over when it stops.

The Lease's spec is the election record: holderIdentity,
leaseDurationSeconds, acquireTime, renewTime, leaseTransitions. A
candidate never trusts the times written in it (other machines' clocks):
it notes on its own clock when it last saw the record *change*, and takes
the lease over only once a whole leaseDurationSeconds has passed since
then without a change (or at once if no one holds it). Optimistic
concurrency (the Lease's resourceVersion on every write) makes sure two
candidates cannot both take it.

`decide(current, observed, observed_time, now, identity, duration, wall)`
is that decision, pure: given the record read (None if there is no
Lease), what this candidate saw before and when, and the local time, it
says create, update (acquire or renew) or stand by, and what to remember.
`ElectionState` keeps that memory for one candidate.

`LeaderElector(client, config, identity, on_started_leading, ...)` is the
loop around it. `run()` tries to acquire every retry period (jittered up
to 1.2x); once leader it calls on_started_leading (a coroutine function
runs as a task, cancelled when leadership ends) and renews every retry
period; a renewal that has not succeeded within the renew deadline ends
the leadership, and on_stopped_leading is called. `stop()` (or cancelling
run) ends it cleanly; with release_on_cancel (the default) the lease is
given up on the way out (holder "", duration 1 s) so a standby takes over
at its next try. Defaults: lease 15 s, renew deadline 10 s, retry 2 s.

`add_leader_election_flags(parser, name)` gives kube-scheduler's flags;
`leader_election_config_from_flags(args)` reads them.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import random
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kubelite.client.errors import ApiError, NotFound, TransportError
from kubelite.client.resources import resource_for
from kubelite.client.rest import Client

log = logging.getLogger("kubelite.client.leaderelection")

JITTER_FACTOR = 1.2
Obj = dict[str, Any]


def micro_time(seconds: float | None = None) -> str:
    """A metav1.MicroTime: RFC 3339 with microseconds, in UTC."""
    moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaderElectionRecord:
    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: str | None = None
    renew_time: str | None = None
    leader_transitions: int = 0

    @classmethod
    def from_lease(cls, lease: Obj) -> LeaderElectionRecord:
        spec = lease.get("spec") or {}
        return cls(holder_identity=spec.get("holderIdentity") or "",
                   lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
                   acquire_time=spec.get("acquireTime"), renew_time=spec.get("renewTime"),
                   leader_transitions=int(spec.get("leaseTransitions") or 0))

    def lease_spec(self) -> Obj:
        return {"holderIdentity": self.holder_identity,
                "leaseDurationSeconds": self.lease_duration_seconds,
                "acquireTime": self.acquire_time, "renewTime": self.renew_time,
                "leaseTransitions": self.leader_transitions}


CREATE, UPDATE, STANDBY = "create", "update", "standby"


@dataclass(frozen=True)
class Decision:
    action: str  # CREATE, UPDATE or STANDBY
    record: LeaderElectionRecord | None = None  # what to write


def decide(current: LeaderElectionRecord | None, observed: LeaderElectionRecord | None,
           observed_time: float, now: float, identity: str, lease_duration: float,
           wall: str) -> tuple[Decision, LeaderElectionRecord | None, float]:
    """The election decision, pure. `current` is the record just read
    (None: no Lease yet); `observed` and `observed_time` are the record this
    candidate saw before and when (its own clock) it first saw it; `now` is
    that clock now and `wall` the MicroTime to write. Returns the decision
    and the observation to keep."""
    mine = LeaderElectionRecord(identity, int(lease_duration), wall, wall, 0)
    if current is None:
        return Decision(CREATE, mine), observed, observed_time
    if current != observed:
        observed, observed_time = current, now
    valid = observed_time + current.lease_duration_seconds > now
    if current.holder_identity == identity:
        renewal = replace(mine, acquire_time=current.acquire_time,
                          leader_transitions=current.leader_transitions)
        return Decision(UPDATE, renewal), observed, observed_time
    if current.holder_identity and valid:
        return Decision(STANDBY), observed, observed_time
    takeover = replace(mine, leader_transitions=current.leader_transitions + 1)
    return Decision(UPDATE, takeover), observed, observed_time


class ElectionState:
    """What one candidate has observed, on its own clock, and `decide`
    applied to it."""

    def __init__(self, identity: str, lease_duration: float) -> None:
        self.identity = identity
        self.lease_duration = lease_duration
        self.observed: LeaderElectionRecord | None = None
        self.observed_time = 0.0

    @property
    def is_leader(self) -> bool:
        return self.observed is not None and self.observed.holder_identity == self.identity

    @property
    def leader(self) -> str:
        return self.observed.holder_identity if self.observed else ""

    def lease_valid(self, now: float) -> bool:
        if self.observed is None:
            return False
        return self.observed_time + self.observed.lease_duration_seconds > now

    def observe(self, record: LeaderElectionRecord, now: float) -> None:
        """After a successful write: the record is what we wrote, now."""
        self.observed, self.observed_time = record, now

    def renewal(self, wall: str) -> LeaderElectionRecord:
        """The record a leader writes to renew (its acquireTime and
        transitions kept)."""
        assert self.observed is not None
        return LeaderElectionRecord(self.identity, int(self.lease_duration),
                                    self.observed.acquire_time, wall,
                                    self.observed.leader_transitions)

    def decide(self, current: LeaderElectionRecord | None, now: float, wall: str) -> Decision:
        """Given the record just read (None: no Lease yet), what to do."""
        decision, self.observed, self.observed_time = decide(
            current, self.observed, self.observed_time, now, self.identity,
            self.lease_duration, wall)
        return decision

    def release(self, wall: str) -> LeaderElectionRecord | None:
        """The record that gives the lease up, if we hold it."""
        if not self.is_leader:
            return None
        assert self.observed is not None
        return LeaderElectionRecord("", 1, wall, wall, self.observed.leader_transitions)


@dataclass
class LeaderElectionConfig:
    namespace: str = "kube-system"
    name: str = ""
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True

    def validate(self) -> None:
        if not self.name:
            raise ValueError("leader election needs a lease name")
        if min(self.lease_duration, self.renew_deadline, self.retry_period) <= 0:
            raise ValueError("lease duration, renew deadline and retry period must be positive")
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if self.renew_deadline <= JITTER_FACTOR * self.retry_period:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")


def default_identity() -> str:
    """hostname_<uuid>, as kube-scheduler and kube-controller-manager name
    themselves."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


async def _call(fn: Callable[..., Any] | None, *args: Any) -> None:
    if fn is None:
        return
    try:
        result = fn(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("leader election callback %r failed", fn)


class LeaderElector:
    def __init__(self, client: Client, config: LeaderElectionConfig, identity: str,
                 on_started_leading: Callable[[], Any],
                 on_stopped_leading: Callable[[], Any] | None = None,
                 on_new_leader: Callable[[str], Any] | None = None, *,
                 recorder: Any = None, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], str] = micro_time) -> None:
        config.validate()
        if not identity:
            raise ValueError("leader election needs an identity")
        self.client = client
        self.config = config
        self.identity = identity
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.on_new_leader = on_new_leader
        self.recorder = recorder
        self.clock = clock
        self.wall = wall
        self.state = ElectionState(identity, config.lease_duration)
        self._leases = resource_for("coordination.k8s.io/v1", "leases")
        self._lease: Obj | None = None
        self._reported = ""
        self._stop = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self.state.is_leader

    @property
    def leader(self) -> str:
        """The holder last observed ("" if none)."""
        return self.state.leader

    def stop(self) -> None:
        """Ask run() to end: it stops leading (releasing the lease if
        configured) and returns."""
        self._stop.set()

    async def _pause(self, seconds: float) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns
        # normally when a cancel arrives just as what it awaits finishes,
        # and a cancelled run() would go on leading (so everywhere here).
        try:
            async with asyncio.timeout(max(0.0, seconds)):
                await self._stop.wait()
        except TimeoutError:
            pass

    def _record_event(self, what: str) -> None:
        if self.recorder is not None and self._lease is not None:
            self.recorder.event(self._lease, "Normal", "LeaderElection", f"{self.identity} {what}")

    async def _report_transition(self) -> None:
        if self.state.leader != self._reported:
            self._reported = self.state.leader
            await _call(self.on_new_leader, self._reported)

    def _describe(self) -> str:
        return f"{self.config.namespace}/{self.config.name}"

    async def _write(self, record: LeaderElectionRecord, create: bool) -> bool:
        try:
            if create:
                self._lease = await self.client.create(self._leases, {
                    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.config.name, "namespace": self.config.namespace},
                    "spec": record.lease_spec()})
            else:
                assert self._lease is not None
                self._lease = await self.client.update(
                    self._leases, {**self._lease, "spec": record.lease_spec()})
        except (ApiError, TransportError) as e:
            log.info("lease %s: write failed: %s", self._describe(), e)
            return False
        self.state.observe(record, self.clock())
        return True

    async def try_acquire_or_renew(self) -> bool:
        """One attempt; True if we hold the lease afterwards."""
        now = self.clock()
        # The fast path: a leader renews with the Lease it last wrote.
        if self.state.is_leader and self.state.lease_valid(now) and self._lease is not None:
            if await self._write(self.state.renewal(self.wall()), create=False):
                return True
        try:
            lease = await self.client.get(self._leases, self.config.name, self.config.namespace)
        except NotFound:
            lease = None
        except (ApiError, TransportError) as e:
            log.info("lease %s: cannot read it: %s", self._describe(), e)
            return False
        current = None if lease is None else LeaderElectionRecord.from_lease(lease)
        decision = self.state.decide(current, now, self.wall())
        if lease is not None:
            self._lease = lease
        if decision.action == STANDBY:
            return False
        assert decision.record is not None
        return await self._write(decision.record, create=decision.action == CREATE)

    async def _acquire(self) -> bool:
        log.info("attempting to acquire leader lease %s...", self._describe())
        while not self._stop.is_set():
            acquired = await self.try_acquire_or_renew()
            await self._report_transition()
            if acquired:
                log.info("successfully acquired lease %s", self._describe())
                self._record_event("became leader")
                return True
            period = self.config.retry_period
            await self._pause(period + random.random() * JITTER_FACTOR * period)
        return False

    async def _renew_once(self) -> bool:
        """Renew, retrying every retry period until the renew deadline."""
        deadline = self.clock() + self.config.renew_deadline
        while not self._stop.is_set():
            remaining = deadline - self.clock()
            if remaining <= 0:
                return False
            try:
                async with asyncio.timeout(remaining):
                    renewed = await self.try_acquire_or_renew()
            except TimeoutError:
                renewed = False
            if renewed:
                return True
            if not self.is_leader and self.state.observed is not None \
                    and self.state.observed.holder_identity:
                return False  # someone else holds it now
            await self._pause(min(self.config.retry_period, deadline - self.clock()))
        return True  # stopping, not failing

    async def _release(self) -> None:
        record = self.state.release(self.wall())
        if record is None or self._lease is None:
            return
        try:
            async with asyncio.timeout(self.config.renew_deadline):
                await self._write(record, create=False)
        except TimeoutError:
            log.warning("lease %s: release timed out", self._describe())

    async def run(self) -> None:
        """Campaign, lead, and return once leadership ends or stop() is
        called. Safe to cancel (the lease is still released)."""
        if not await self._acquire():
            return
        leading = asyncio.create_task(_call(self.on_started_leading))
        try:
            while not self._stop.is_set():
                if not await self._renew_once():
                    log.warning("failed to renew lease %s: leadership lost", self._describe())
                    break
                await self._report_transition()
                await self._pause(self.config.retry_period)
        finally:
            leading.cancel()
            try:
                await leading
            except asyncio.CancelledError:
                pass
            if self.config.release_on_cancel:
                await asyncio.shield(self._release())
            self._record_event("stopped leading")
            await _call(self.on_stopped_leading)


# --- flags ------------------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """A Go duration ("15s", "1m30s", "500ms") in seconds."""
    text = text.strip()
    if text in ("0", "-0", "+0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}")
    return sign * total


def _go_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {text!r}")


def add_leader_election_flags(parser: argparse.ArgumentParser, resource_name: str,
                              resource_namespace: str = "kube-system") -> None:
    """kube-scheduler's leader election flags, defaults included."""
    group = parser.add_argument_group("leader election")
    group.add_argument("--leader-elect", type=_go_bool, nargs="?", const=True, default=True,
                       help="start a leader election client and gain leadership before "
                            "doing any work (default true; --leader-elect=false to run alone)")
    group.add_argument("--leader-elect-lease-duration", type=parse_duration, default=15.0,
                       metavar="DURATION",
                       help="how long a standby waits after the last observed renewal "
                            "before taking leadership over (default 15s)")
    group.add_argument("--leader-elect-renew-deadline", type=parse_duration, default=10.0,
                       metavar="DURATION",
                       help="how long the leader keeps trying to renew before it stops "
                            "leading (default 10s)")
    group.add_argument("--leader-elect-retry-period", type=parse_duration, default=2.0,
                       metavar="DURATION",
                       help="how long to wait between attempts (default 2s)")
    group.add_argument("--leader-elect-resource-lock", default="leases", choices=["leases"],
                       help="the kind of lock object (only leases)")
    group.add_argument("--leader-elect-resource-name", default=resource_name,
                       help=f"the name of the lease (default {resource_name})")
    group.add_argument("--leader-elect-resource-namespace", default=resource_namespace,
                       help=f"the namespace of the lease (default {resource_namespace})")


def leader_election_config_from_flags(args: argparse.Namespace) -> LeaderElectionConfig | None:
    """The config the flags describe; None with --leader-elect=false."""
    if not args.leader_elect:
        return None
    config = LeaderElectionConfig(
        namespace=args.leader_elect_resource_namespace, name=args.leader_elect_resource_name,
        lease_duration=args.leader_elect_lease_duration,
        renew_deadline=args.leader_elect_renew_deadline,
        retry_period=args.leader_elect_retry_period)
    config.validate()
    return config
