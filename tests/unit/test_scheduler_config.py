"""KubeSchedulerConfiguration as `kubelite scheduler --config` reads it:
profiles, plugins and their weights and args, and the flags the file sets
under the command line's."""

from __future__ import annotations

import random

import pytest

from kubelite.scheduler import Snapshot, schedule_one
from kubelite.scheduler.config import API_VERSION, KIND, ConfigError, profiles
from kubelite.scheduler.main import parse
from tests.unit.scheduler_objects import node, pod


def doc(*profile_docs: dict, **top) -> dict:
    found = {"apiVersion": API_VERSION, "kind": KIND, **top}
    if profile_docs:
        found["profiles"] = list(profile_docs)
    return found


def score_weights(profile) -> list[tuple[str, int]]:
    return [(p.name, profile.weight(p)) for p in profile.score_plugins]


def test_no_profiles_is_the_default_profile():
    [only] = profiles(doc())
    assert only.scheduler_name == "default-scheduler"
    assert score_weights(only) == [
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1),
        ("PodTopologySpread", 2), ("InterPodAffinity", 2),
        ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1)]
    assert only.percentage_of_nodes_to_score is None


def test_two_profiles_disable_and_reweigh_plugins():
    first, second = profiles(doc(
        {"schedulerName": "default-scheduler"},
        {"schedulerName": "no-spread", "percentageOfNodesToScore": 30,
         "plugins": {"multiPoint": {"disabled": [{"name": "PodTopologySpread"},
                                                 {"name": "ImageLocality"}]},
                     "score": {"enabled": [{"name": "NodeResourcesFit", "weight": 5}]}}},
        percentageOfNodesToScore=70))
    assert first.percentage_of_nodes_to_score == 70
    assert (second.scheduler_name, second.percentage_of_nodes_to_score) == ("no-spread", 30)
    assert score_weights(second) == [
        ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 5),
        ("InterPodAffinity", 2), ("NodeResourcesBalancedAllocation", 1)]
    assert "PodTopologySpread" not in [p.name for p in second.filter_plugins]


def test_everything_disabled_then_a_few_enabled():
    [only] = profiles(doc({"plugins": {"multiPoint": {
        "disabled": [{"name": "*"}],
        "enabled": [{"name": "NodeResourcesFit"}, {"name": "NodeName"}]}}}))
    assert [p.name for p in only.filter_plugins] == ["NodeResourcesFit", "NodeName"]
    assert score_weights(only) == [("NodeResourcesFit", 1)]


def test_most_allocated_packs_pods():
    most = profiles(doc({"pluginConfig": [{"name": "NodeResourcesFit", "args": {
        "scoringStrategy": {"type": "MostAllocated",
                            "resources": [{"name": "cpu", "weight": 1},
                                          {"name": "memory", "weight": 1}]}}}]}))[0]
    least = profiles(doc())[0]
    snap = Snapshot([node("busy"), node("idle")],
                    [pod("a", node_name="busy", requests={"cpu": "2", "memory": "4Gi"})])
    incoming = pod("p", requests={"cpu": "1", "memory": "1Gi"})
    rng = random.Random(3)
    assert schedule_one(incoming, snap, most, rng=rng).suggested_host == "busy"
    assert schedule_one(incoming, snap, least, rng=rng).suggested_host == "idle"


def test_plugin_args_reach_the_plugins():
    [only] = profiles(doc({"pluginConfig": [
        {"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 7}},
        {"name": "PodTopologySpread", "args": {"defaultingType": "List"}},
        {"name": "NodeResourcesBalancedAllocation",
         "args": {"resources": [{"name": "cpu", "weight": 1}]}},
    ]}))
    by_name = {p.name: p for p in only.plugins}
    assert by_name["InterPodAffinity"].hard_pod_affinity_weight == 7
    spread = by_name["PodTopologySpread"]
    assert (spread.system_defaulted, tuple(spread.default_constraints)) == (False, ())
    assert [r.name for r in by_name["NodeResourcesBalancedAllocation"].resources] == ["cpu"]


@pytest.mark.parametrize("bad, message", [
    ({"apiVersion": "v1", "kind": KIND}, "expected apiVersion"),
    (doc({"plugins": {"filter": {"enabled": [{"name": "NodeName"}]}}}),
     "plugins.filter: kubelite configures plugins under multiPoint"),
    (doc({"plugins": {"multiPoint": {"enabled": [{"name": "Nope"}]}}}),
     "plugin 'Nope' is not known"),
    (doc({"pluginConfig": [{"name": "Nope", "args": {}}]}), "pluginConfig for unknown"),
    (doc({"pluginConfig": [{"name": "NodeName", "args": {"x": 1}}]}), "takes no arguments"),
    (doc({"pluginConfig": [{"name": "NodeResourcesFit",
                            "args": {"scoringStrategy": {"type": "Sometimes"}}}]}),
     "NodeResourcesFitArgs.scoringStrategy"),
    (doc({"pluginConfig": [{"name": "InterPodAffinity",
                            "args": {"hardPodAffinityWeight": 101}}]}), "must be in [0, 100]"),
    (doc({"percentageOfNodesToScore": 120}), "percentageOfNodesToScore must be in [0, 100]"),
    (doc({"schedulerName": "a"}, {"schedulerName": "a"}), "duplicate profile"),
])
def test_bad_configurations_name_the_field(bad, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        profiles(bad)


def test_flags_win_over_the_file(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"""
apiVersion: {API_VERSION}
kind: {KIND}
clientConnection:
  kubeconfig: /from/file
  qps: 77
leaderElection:
  leaderElect: false
  leaseDuration: 20s
profiles:
- schedulerName: from-file
""")
    args, found = parse(["--config", str(path), "--kube-api-qps", "9"])
    assert (args.kubeconfig, args.kube_api_qps) == ("/from/file", 9)
    assert (args.leader_elect, args.leader_elect_lease_duration) == (False, 20.0)
    assert [p.scheduler_name for p in found] == ["from-file"]


def test_an_unreadable_or_wrong_file_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\n")
    for argv in (["--config", str(tmp_path / "missing.yaml")], ["--config", str(path)]):
        with pytest.raises(SystemExit) as exit_info:
            parse(argv)
        assert exit_info.value.code == 2
    assert "expected apiVersion" in capsys.readouterr().err
