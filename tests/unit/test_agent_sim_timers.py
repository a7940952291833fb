"""The due times of the simulator's periodic work: phases that spread N
nodes over an interval, the next slot of a phase, and the timer heap."""

import pytest

from kubelite.agent.sim.timers import Timers, next_slot, phase


def test_phases_spread_nodes_evenly_over_the_interval():
    assert [phase(i, 4, 10.0) for i in range(4)] == [0.0, 2.5, 5.0, 7.5]
    assert phase(0, 1, 10.0) == 0.0


@pytest.mark.parametrize("offset, after, expected", [
    (2.5, 0.0, 2.5),
    (2.5, 2.5, 12.5),    # strictly later
    (2.5, 2.4, 2.5),
    (2.5, 100.0, 102.5),
    (7.5, 1000.3, 1007.5),
])
def test_next_slot(offset, after, expected):
    assert next_slot(offset, 10.0, after) == pytest.approx(expected)


def test_pop_due_returns_what_is_due_soonest_first():
    timers = Timers()
    timers.set("b", 2.0)
    timers.set("a", 1.0)
    timers.set("c", 5.0)
    assert len(timers) == 3 and "a" in timers
    assert timers.next_due() == 1.0
    assert timers.pop_due(2.0) == [(1.0, "a"), (2.0, "b")]
    assert "a" not in timers and len(timers) == 1
    assert timers.pop_due(4.9) == []
    assert timers.next_due() == 5.0


def test_set_replaces_and_cancel_removes():
    timers = Timers()
    timers.set("a", 1.0)
    timers.set("a", 3.0)
    assert timers.due("a") == 3.0
    assert timers.pop_due(2.0) == []  # the old entry is void
    assert timers.next_due() == 3.0
    timers.cancel("a")
    timers.cancel("never set")
    assert timers.due("a") is None
    assert timers.next_due() is None
    assert timers.pop_due(10.0) == []


def test_sooner_only_brings_forward():
    timers = Timers()
    timers.sooner("a", 5.0)   # unset: set
    assert timers.due("a") == 5.0
    timers.sooner("a", 8.0)   # later: ignored
    assert timers.due("a") == 5.0
    timers.sooner("a", 2.0)
    assert timers.due("a") == 2.0
    assert timers.pop_due(5.0) == [(2.0, "a")]
