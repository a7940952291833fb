"""Unit tests for the leader-election decision (pure: a record read, the
local time, an identity) and the flags."""

from __future__ import annotations

import argparse

import pytest

from kubelite.client.leaderelection import (
    CREATE,
    STANDBY,
    UPDATE,
    ElectionState,
    LeaderElectionConfig,
    LeaderElectionRecord,
    add_leader_election_flags,
    decide,
    leader_election_config_from_flags,
    micro_time,
    parse_duration,
)

T0, T1 = "2024-01-01T00:00:00.000000Z", "2024-01-01T00:00:05.000000Z"


def held_by(holder: str, transitions: int = 0, renew: str = T0) -> LeaderElectionRecord:
    return LeaderElectionRecord(holder, 15, T0, renew, transitions)


def test_decide_is_a_function_of_its_inputs() -> None:
    other = held_by("other")
    first, observed, seen_at = decide(other, None, 0.0, 100, "me", 15, T0)
    assert first.action == STANDBY and (observed, seen_at) == (other, 100)
    # The same record again: still observed since 100, so free at 115.
    later, observed, seen_at = decide(other, observed, seen_at, 115, "me", 15, T1)
    assert later.action == UPDATE and seen_at == 100
    assert later.record == LeaderElectionRecord("me", 15, T1, T1, 1)
    created, observed, seen_at = decide(None, None, 0.0, 5, "me", 15, T0)
    assert created.action == CREATE and observed is None


def test_no_lease_means_create_it() -> None:
    decision = ElectionState("me", 15).decide(None, now=100, wall=T0)
    assert decision.action == CREATE
    assert decision.record == LeaderElectionRecord("me", 15, T0, T0, 0)


def test_a_live_lease_of_another_means_stand_by() -> None:
    state = ElectionState("me", 15)
    assert state.decide(held_by("other"), now=100, wall=T0).action == STANDBY
    assert state.leader == "other" and not state.is_leader
    # Unchanged record: its age counts from when we first saw it, on our clock.
    assert state.decide(held_by("other"), now=114.9, wall=T0).action == STANDBY
    takeover = state.decide(held_by("other"), now=115, wall=T1)
    assert takeover.action == UPDATE
    assert takeover.record == LeaderElectionRecord("me", 15, T1, T1, 1)


def test_a_renewed_lease_restarts_the_wait() -> None:
    state = ElectionState("me", 15)
    state.decide(held_by("other"), now=100, wall=T0)
    renewed = held_by("other", renew=T1)
    assert state.decide(renewed, now=110, wall=T0).action == STANDBY
    assert state.observed_time == 110
    assert state.decide(renewed, now=124, wall=T0).action == STANDBY
    assert state.decide(renewed, now=125.1, wall=T0).action == UPDATE


def test_the_record_times_are_not_trusted() -> None:
    # A renewTime far in the past (a skewed clock) does not make the lease
    # expired: only the local time since the record last changed counts.
    state = ElectionState("me", 15)
    old = LeaderElectionRecord("other", 15, "1999-01-01T00:00:00.000000Z",
                               "1999-01-01T00:00:00.000000Z", 4)
    assert state.decide(old, now=100, wall=T0).action == STANDBY


def test_the_records_own_duration_counts() -> None:
    state = ElectionState("me", 15)
    short = LeaderElectionRecord("other", 2, T0, T0, 0)
    state.decide(short, now=100, wall=T0)
    assert state.decide(short, now=102, wall=T1).action == UPDATE


def test_an_empty_holder_is_free_at_once() -> None:
    state = ElectionState("me", 15)
    released = LeaderElectionRecord("", 1, T0, T0, 3)
    decision = state.decide(released, now=100, wall=T1)
    assert decision.action == UPDATE
    assert decision.record == LeaderElectionRecord("me", 15, T1, T1, 4)


def test_the_leader_renews_keeping_acquire_time_and_transitions() -> None:
    state = ElectionState("me", 15)
    state.observe(LeaderElectionRecord("me", 15, T0, T0, 2), now=100)
    assert state.is_leader and state.lease_valid(114) and not state.lease_valid(115)
    decision = state.decide(LeaderElectionRecord("me", 15, T0, T0, 2), now=104, wall=T1)
    assert decision.action == UPDATE
    assert decision.record == LeaderElectionRecord("me", 15, T0, T1, 2)
    assert state.renewal(T1) == decision.record


def test_release() -> None:
    state = ElectionState("me", 15)
    assert state.release(T1) is None  # not ours to release
    state.observe(LeaderElectionRecord("me", 15, T0, T0, 2), now=100)
    assert state.release(T1) == LeaderElectionRecord("", 1, T1, T1, 2)


def test_record_round_trips_through_a_lease_spec() -> None:
    record = LeaderElectionRecord("me", 15, T0, T1, 3)
    spec = record.lease_spec()
    assert spec == {"holderIdentity": "me", "leaseDurationSeconds": 15, "acquireTime": T0,
                    "renewTime": T1, "leaseTransitions": 3}
    assert LeaderElectionRecord.from_lease({"spec": spec}) == record
    assert LeaderElectionRecord.from_lease({}) == LeaderElectionRecord()


def test_micro_time() -> None:
    assert micro_time(0) == "1970-01-01T00:00:00.000000Z"
    assert micro_time(1.5) == "1970-01-01T00:00:01.500000Z"


@pytest.mark.parametrize("config, message", [
    (LeaderElectionConfig(name=""), "needs a lease name"),
    (LeaderElectionConfig(name="x", lease_duration=10, renew_deadline=10), "leaseDuration"),
    (LeaderElectionConfig(name="x", renew_deadline=2.4, retry_period=2), "JitterFactor"),
    (LeaderElectionConfig(name="x", retry_period=0), "positive"),
])
def test_config_validation(config: LeaderElectionConfig, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.validate()


@pytest.mark.parametrize("text, seconds", [
    ("15s", 15), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("1.5s", 1.5), ("0", 0),
    ("2m", 120), ("100us", 1e-4),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "15", "s", "1x", "1s2"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_leader_election_flags(p, "kube-scheduler")
    return p


def test_flags_defaults_are_kube_schedulers() -> None:
    config = leader_election_config_from_flags(parser().parse_args([]))
    assert config == LeaderElectionConfig(namespace="kube-system", name="kube-scheduler",
                                          lease_duration=15, renew_deadline=10, retry_period=2)


def test_flags_set_everything() -> None:
    args = parser().parse_args([
        "--leader-elect", "--leader-elect-lease-duration", "30s",
        "--leader-elect-renew-deadline=20s", "--leader-elect-retry-period", "4s",
        "--leader-elect-resource-lock", "leases", "--leader-elect-resource-name", "sched",
        "--leader-elect-resource-namespace", "kubelite-system"])
    config = leader_election_config_from_flags(args)
    assert config is not None
    assert (config.namespace, config.name) == ("kubelite-system", "sched")
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (30, 20, 4)


def test_leader_elect_false_and_bad_lock() -> None:
    assert leader_election_config_from_flags(parser().parse_args(["--leader-elect=false"])) \
        is None
    with pytest.raises(SystemExit):
        parser().parse_args(["--leader-elect-resource-lock", "endpoints"])
    with pytest.raises(ValueError, match="renewDeadline"):
        leader_election_config_from_flags(parser().parse_args(
            ["--leader-elect-renew-deadline", "20s"]))
