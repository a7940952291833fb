"""NodeAffinity: nodeSelector, required terms (every operator, matchFields),
the PreFilter node set, and preferred-term scores."""

from __future__ import annotations

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.podinfo import PodInfo
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import Code
from kubelite.scheduler.plugins import NodeAffinity
from tests.unit.scheduler_objects import filter_statuses, node, pod, scores

REASON = ("node(s) didn't match Pod's node affinity/selector",)


def _required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}


def _expr(key, operator, *values):
    e = {"key": key, "operator": operator}
    if values:
        e["values"] = list(values)
    return e


SNAP = Snapshot([
    node("small", labels={"disk": "ssd", "cores": "4"}),
    node("big", labels={"disk": "hdd", "cores": "64", "gpu": "yes"}),
    node("plain", labels={"cores": "many"}),
])


def _passing(p):
    got = filter_statuses(NodeAffinity(), p, SNAP)
    for status in got.values():
        if not status.is_success():
            assert status.reasons == REASON and status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    return sorted(name for name, status in got.items() if status.is_success())


def test_node_selector():
    assert _passing(pod("p", nodeSelector={"disk": "ssd"})) == ["small"]
    assert _passing(pod("p", nodeSelector={})) == ["big", "plain", "small"]


def test_required_terms_operators():
    def only(*exprs):
        return _passing(pod("p", affinity=_required({"matchExpressions": list(exprs)})))

    assert only(_expr("disk", "In", "ssd", "nvme")) == ["small"]
    assert only(_expr("disk", "NotIn", "ssd")) == ["big", "plain"]  # a missing label is "not in"
    assert only(_expr("gpu", "Exists")) == ["big"]
    assert only(_expr("gpu", "DoesNotExist")) == ["plain", "small"]
    assert only(_expr("cores", "Gt", "8")) == ["big"]  # "many" is not an integer
    assert only(_expr("cores", "Lt", "8")) == ["small"]
    assert only(_expr("disk", "Exists"), _expr("cores", "Gt", "2")) == ["big", "small"]
    assert only(_expr("cores", "Gt", "eight")) == []  # does not parse: matches nothing
    assert only(_expr("disk", "Near", "ssd")) == []


def test_required_terms_are_ored_and_fields_match_the_name():
    p = pod("p", affinity=_required(
        {"matchExpressions": [_expr("gpu", "Exists")]},
        {"matchFields": [_expr("metadata.name", "In", "plain")]},
    ))
    assert _passing(p) == ["big", "plain"]
    not_small = pod("p", affinity=_required(
        {"matchFields": [_expr("metadata.name", "NotIn", "small")]}))
    assert _passing(not_small) == ["big", "plain"]
    empty_term = pod("p", affinity=_required({}))
    assert _passing(empty_term) == []


def test_pre_filter_narrows_to_named_nodes():
    p = pod("p", affinity=_required(
        {"matchFields": [_expr("metadata.name", "In", "small", "big")],
         "matchExpressions": [_expr("disk", "In", "hdd")]},
        {"matchFields": [_expr("metadata.name", "In", "plain")]},
    ))
    result, status = NodeAffinity().pre_filter(CycleState(), PodInfo.of(p), SNAP)
    assert status.is_success() and result.node_names == {"small", "big", "plain"}
    conflict = pod("p", affinity=_required({"matchFields": [
        _expr("metadata.name", "In", "small"), _expr("metadata.name", "In", "big")]}))
    result, status = NodeAffinity().pre_filter(CycleState(), PodInfo.of(conflict), SNAP)
    assert status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert status.reasons == ("pod affinity terms conflict",)
    _, status = NodeAffinity().pre_filter(CycleState(), PodInfo.of(pod("p")), SNAP)
    assert status.is_skip()


def test_preferred_terms_score():
    p = pod("p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 2, "preference": {"matchExpressions": [_expr("cores", "Exists")]}},
        {"weight": 5, "preference": {"matchExpressions": [_expr("gpu", "In", "yes")]}},
        {"weight": 0, "preference": {"matchExpressions": [_expr("disk", "In", "ssd")]}},
    ]}})
    # raw: big 7, small 2, plain 2 -> 100 * raw / 7
    assert scores(NodeAffinity(), p, SNAP) == {"small": 28, "big": 100, "plain": 28}
    assert scores(NodeAffinity(), pod("p"), SNAP) == {}  # PreScore skips
