"""The framework's pieces: Status, CycleState, how the runtime runs each
extension point, numFeasibleNodesToFind, host selection and the FitError
message."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.fit_error import fit_error_message
from kubelite.scheduler.framework.interface import NodePluginScores, PreFilterResult
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.runtime import (
    run_filter_plugins,
    run_pre_filter_plugins,
    run_score_plugins,
)
from kubelite.scheduler.framework.schedule_one import (
    ScheduleResult,
    num_feasible_nodes_to_find,
    select_host,
)
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import (
    SKIP,
    SUCCESS,
    Code,
    Status,
    unresolvable,
    unschedulable,
)
from tests.unit.scheduler_objects import node, pod


class Fake:
    """A plugin with a canned PreFilter and Filter answer."""

    def __init__(self, name, pre=SUCCESS, nodes=None, verdict=SUCCESS):
        self.name, self.pre, self.nodes, self.verdict = name, pre, nodes, verdict
        self.filtered = 0

    def pre_filter(self, state, pod, snapshot):
        return (PreFilterResult(frozenset(self.nodes)) if self.nodes is not None else None,
                self.pre)

    def filter(self, state, pod, node):
        self.filtered += 1
        return self.verdict


class FakeScore:
    def __init__(self, name, value):
        self.name, self.value = name, value

    def score(self, state, pod, node):
        return self.value


SNAP = Snapshot([node("n1"), node("n2")])
POD = PodInfo.of(pod("p"))


def test_status():
    s = unschedulable("Insufficient cpu", "Insufficient memory")
    assert s.message() == "Insufficient cpu, Insufficient memory"
    assert s.is_rejected() and not s.is_success()
    assert unresolvable("x").is_rejected() and not Status(Code.ERROR).is_rejected()
    assert s.with_plugin("NodeResourcesFit").plugin == "NodeResourcesFit"
    assert str(Code.UNSCHEDULABLE_AND_UNRESOLVABLE) == "UnschedulableAndUnresolvable"


def test_cycle_state_clone():
    class Counts:
        def __init__(self, n):
            self.n = n

        def clone(self):
            return Counts(self.n)

    state = CycleState()
    state.write("a", Counts(1))
    state.write("b", [1])
    state.skip_filter_plugins.add("X")
    copy = state.clone()
    copy.read("a").n = 2
    assert state.read("a").n == 1 and copy.read("b") is state.read("b")
    assert copy.skip_filter_plugins == {"X"}
    with pytest.raises(KeyError):
        state.read("missing")


def test_pre_filter_skip_drops_the_filter():
    skipper = Fake("Skipper", pre=SKIP, verdict=unschedulable("no"))
    profile = Profile.of([skipper])
    state = CycleState()
    _, status, _ = run_pre_filter_plugins(profile, state, POD, SNAP)
    assert status.is_success() and state.skip_filter_plugins == {"Skipper"}
    assert run_filter_plugins(profile, state, POD, SNAP.get("n1")).is_success()
    assert skipper.filtered == 0


def test_pre_filter_rejections():
    later = Fake("Later")
    profile = Profile.of([Fake("Soft", pre=unschedulable("soft")), later])
    _, status, _ = run_pre_filter_plugins(profile, CycleState(), POD, SNAP)
    assert (status.code, status.plugin) == (Code.UNSCHEDULABLE, "Soft")
    hard = Profile.of([Fake("Hard", pre=unresolvable("hard")), Fake("Never", pre=Status(
        Code.ERROR, ("should not run",)))])
    _, status, _ = run_pre_filter_plugins(hard, CycleState(), POD, SNAP)
    assert (status.code, status.message(), status.plugin) == (
        Code.UNSCHEDULABLE_AND_UNRESOLVABLE, "hard", "Hard")
    broken = Profile.of([Fake("Broken", pre=Status(Code.ERROR, ("boom",)))])
    _, status, _ = run_pre_filter_plugins(broken, CycleState(), POD, SNAP)
    assert status.code == Code.ERROR
    assert status.message() == 'running PreFilter plugin "Broken": boom'


def test_pre_filter_node_sets_intersect():
    profile = Profile.of([Fake("A", nodes={"n1", "n2"}), Fake("B", nodes={"n2", "n3"})])
    result, status, restricting = run_pre_filter_plugins(profile, CycleState(), POD, SNAP)
    assert status.is_success() and result.node_names == {"n2"} and restricting == ["A", "B"]
    disjoint = Profile.of([Fake("A", nodes={"n1"}), Fake("B", nodes={"n2"})])
    _, status, _ = run_pre_filter_plugins(disjoint, CycleState(), POD, SNAP)
    assert status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.message() == "node(s) didn't satisfy plugin(s) [A B] simultaneously"
    empty = Profile.of([Fake("A", nodes=set())])
    _, status, _ = run_pre_filter_plugins(empty, CycleState(), POD, SNAP)
    assert status.message() == "node(s) didn't satisfy plugin A"


def test_filter_stops_at_the_first_rejection():
    second = Fake("Second", verdict=unschedulable("second"))
    profile = Profile.of([Fake("First", verdict=unresolvable("first")), second])
    status = run_filter_plugins(profile, CycleState(), POD, SNAP.get("n1"))
    assert (status.reasons, status.plugin) == (("first",), "First") and second.filtered == 0
    odd = Profile.of([Fake("Odd", verdict=Status(Code.WAIT, ("hm",)))])
    assert run_filter_plugins(odd, CycleState(), POD, SNAP.get("n1")).code == Code.ERROR


def test_scores_are_weighted_and_checked():
    profile = Profile.of([(FakeScore("A", 10), 3), FakeScore("B", 7)])
    totals, status = run_score_plugins(profile, CycleState(), POD, SNAP.node_infos)
    assert status.is_success()
    assert [(t.name, t.scores, t.total) for t in totals] == [
        ("n1", {"A": 30, "B": 7}, 37), ("n2", {"A": 30, "B": 7}, 37)]
    _, status = run_score_plugins(Profile.of([FakeScore("Big", 101)]), CycleState(), POD,
                                  SNAP.node_infos)
    assert status.code == Code.ERROR and "invalid score 101" in status.message()


@pytest.mark.parametrize(
    ("nodes", "percentage", "expected"),
    [
        (50, None, 50),        # below 100 nodes: all of them
        (99, None, 99),
        (100, None, 100),      # 50% is 50, but never fewer than 100
        (1000, None, 420),     # 50 - 1000/125 = 42%
        (5000, None, 500),     # 50 - 40 = 10%
        (6000, None, 300),     # 50 - 48 = 2% -> the 5% floor
        (1000, 30, 300),       # a configured percentage
        (1000, 5, 100),
        (300, 100, 300),
    ],
)
def test_num_feasible_nodes_to_find(nodes, percentage, expected):
    assert num_feasible_nodes_to_find(nodes, percentage) == expected


def test_select_host_picks_among_ties_uniformly():
    scores = [NodePluginScores("a", total=5), NodePluginScores("b", total=9),
              NodePluginScores("c", total=9), NodePluginScores("d", total=9)]
    rng = random.Random(7)
    picks = Counter(select_host(scores, rng) for _ in range(3000))
    assert set(picks) == {"b", "c", "d"}
    assert all(900 < n < 1100 for n in picks.values())
    assert select_host([NodePluginScores("x", total=1)], rng) == "x"


def _result(statuses, **kw):
    return ScheduleResult(statuses=statuses, **kw)


def test_fit_error_message_histogram_is_sorted_as_strings():
    statuses = {f"n{i}": unschedulable("Insufficient cpu") for i in range(10)}
    statuses.update({"m1": unresolvable("node(s) didn't match Pod's node affinity/selector"),
                     "m2": unresolvable("node(s) didn't match Pod's node affinity/selector"),
                     "both": unschedulable("Insufficient cpu", "Insufficient memory")})
    # Sorted as whole strings, counts included: "1 I..." < "11 ..." < "2 ...".
    assert fit_error_message(_result(statuses), 13) == (
        "0/13 nodes are available: 1 Insufficient memory, 11 Insufficient cpu, "
        "2 node(s) didn't match Pod's node affinity/selector."
    )


def test_fit_error_message_pre_filter_absent_nodes_and_post_filter():
    pre = _result({}, pre_filter_message="pod affinity terms conflict",
                  absent_status=unresolvable("pod affinity terms conflict"))
    assert fit_error_message(pre, 3) == "0/3 nodes are available: pod affinity terms conflict."
    left_out = unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]")
    narrowed = _result({"n1": unschedulable("Insufficient cpu")}, absent_status=left_out)
    assert fit_error_message(narrowed, 3) == (
        "0/3 nodes are available: 1 Insufficient cpu, "
        "2 node(s) didn't satisfy plugin(s) [NodeAffinity]."
    )
    preemption = ("preemption: 0/3 nodes are available: 3 No preemption victims found for "
                  "incoming pod.")
    assert fit_error_message(_result({n: unschedulable("Insufficient cpu")
                                      for n in ("a", "b", "c")}), 3, preemption) == (
        "0/3 nodes are available: 3 Insufficient cpu. " + preemption + "."
    )
    assert fit_error_message(_result({}), 0) == "no nodes available to schedule pods"
