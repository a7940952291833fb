"""The simulated agent's configuration: the parsers of --capacity,
--node-labels, --register-with-taints and delays, SimConfig.validate, and
`kubelite agent`'s flags (agent/main.py parse) as a user meets them."""

import math

import pytest

from kubelite.agent import main as agent
from kubelite.agent.sim.config import (
    DEFAULT_CAPACITY,
    SimConfig,
    parse_capacity,
    parse_labels,
    parse_seconds,
    parse_taints,
)


def test_capacity_parses_resources_and_quantities():
    assert parse_capacity("cpu=32,memory=256Gi,pods=110") == {
        "cpu": "32", "memory": "256Gi", "pods": "110"}
    assert parse_capacity(" cpu = 500m , nvidia.com/gpu=4 ,") == {
        "cpu": "500m", "nvidia.com/gpu": "4"}
    assert parse_capacity("") == {}


@pytest.mark.parametrize("text, words", [
    ("cpu", "'cpu' is not key=value"),
    ("=3", "is not key=value"),
    ("cpu=abc", "cpu='abc' is not a non-negative quantity"),
    ("cpu=-1", "cpu='-1' is not a non-negative quantity"),
    ("memory=", "is not a non-negative quantity"),
    ("bad name=1", "'bad name' is not a resource name"),
])
def test_capacity_errors_name_the_flag(text, words):
    with pytest.raises(ValueError) as e:
        parse_capacity(text)
    assert str(e.value).startswith("--capacity: ")
    assert words in str(e.value)


def test_labels_parse_and_validate():
    assert parse_labels("a=b,example.com/tier=gold,empty=") == {
        "a": "b", "example.com/tier": "gold", "empty": ""}
    for text in ("a", "a=b c", "-a=b", "a/b/c=d", "k=" + "v" * 64):
        with pytest.raises(ValueError, match="^--node-labels: "):
            parse_labels(text)


def test_taints_as_the_kubelet_takes_them():
    assert parse_taints("dedicated=gpu:NoSchedule,maintenance:NoExecute,"
                        "example.com/soft=x:PreferNoSchedule") == [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "maintenance", "effect": "NoExecute"},
        {"key": "example.com/soft", "value": "x", "effect": "PreferNoSchedule"},
    ]
    # The same key with two effects is two taints.
    assert len(parse_taints("k=v:NoSchedule,k=v:NoExecute")) == 2


@pytest.mark.parametrize("text, words", [
    ("a=b", "is not key=value:Effect"),
    (":NoSchedule", "is not key=value:Effect"),
    ("a=b:Bad", "the effect must be one of NoSchedule, PreferNoSchedule, NoExecute"),
    ("a=b:noschedule", "the effect must be one of"),
    ("Bad Key:NoSchedule", "name part must consist of"),
    ("a=b c:NoSchedule", "a valid label must be"),
    ("a=1:NoSchedule,a=2:NoSchedule", "duplicated taints with the same key and effect"),
])
def test_taint_errors_name_the_flag(text, words):
    with pytest.raises(ValueError) as e:
        parse_taints(text)
    assert str(e.value).startswith("--register-with-taints: ")
    assert words in str(e.value)


def test_seconds_as_numbers_or_go_durations():
    assert parse_seconds("1") == 1.0
    assert parse_seconds("0.25") == 0.25
    assert parse_seconds("0") == 0.0
    assert parse_seconds("10s") == 10.0
    assert parse_seconds("1m30s") == 90.0
    assert parse_seconds("500ms") == 0.5


@pytest.mark.parametrize("text", ["-1", "-2s", "abc", "1x", "", "nan", "inf"])
def test_bad_seconds_are_value_errors(text):
    with pytest.raises(ValueError):
        parse_seconds(text)


def test_defaults_validate():
    cfg = SimConfig(3)
    cfg.validate()
    assert dict(cfg.capacity) == dict(DEFAULT_CAPACITY)
    assert cfg.renew_interval == 10.0  # a quarter of the 40 s lease, as the kubelet
    assert cfg.node_name(2) == "sim-node-2"
    assert str(cfg.pod_network) == "10.244.0.0/16"
    assert str(cfg.node_network) == "10.0.0.0/16"


@pytest.mark.parametrize("count, network", [
    (256, "10.244.0.0/16"), (257, "10.244.0.0/15"), (1000, "10.244.0.0/14"),
    (5000, "10.224.0.0/11"),
])
def test_default_pod_range_grows_to_hold_every_node(count, network):
    cfg = SimConfig(count)
    cfg.validate()
    assert str(cfg.pod_network) == network


@pytest.mark.parametrize("cfg, words", [
    (SimConfig(0), "--simulate: the number of nodes must be at least 1"),
    (SimConfig(3, name_prefix="Bad_"), "--node-name-prefix: 'Bad_2' is not a valid node name"),
    (SimConfig(3, zones=-1), "--zones must not be negative"),
    (SimConfig(3, node_status_update_frequency=0), "--node-status-update-frequency"),
    (SimConfig(3, lease_duration_seconds=0), "--node-lease-duration-seconds must be at least 1"),
    (SimConfig(3, pod_ready_delay=-1), "--pod-ready-delay"),
    (SimConfig(3, pod_ready_delay=math.inf), "--pod-ready-delay"),
    (SimConfig(3, pod_cidr_base="x"), "--pod-cidr-base: 'x' is not an IPv4 range"),
    (SimConfig(3, node_ip_base="10.0.0.0/33"), "--node-ip-base: '10.0.0.0/33' is not"),
    (SimConfig(300, pod_cidr_base="10.244.0.0/16"),
     "--pod-cidr-base 10.244.0.0/16 holds 256 /24 node ranges, not enough for 300 nodes "
     "(give a larger one, e.g. 10.244.0.0/15)"),
    (SimConfig(2, pod_cidr_base="10.244.0.0/25"), "holds 0 /24 node ranges"),
    (SimConfig(3, node_ip_base="10.0.0.0/31"),
     "--node-ip-base 10.0.0.0/31 holds 0 addresses, not enough for 3 nodes"),
    (SimConfig(3, pod_cidr_base="10.0.0.0/8"), "--pod-cidr-base 10.0.0.0/8 overlaps"),
])
def test_validation_errors(cfg, words):
    with pytest.raises(ValueError) as e:
        cfg.validate()
    assert words in str(e.value)


def test_flags_fill_the_config(tmp_path):
    cfg = agent.parse([
        "--simulate", "5", "--node-name-prefix", "n-", "--capacity", "cpu=8,nvidia.com/gpu=2",
        "--max-pods", "20", "--node-labels", "tier=gold", "--register-with-taints",
        "dedicated=gpu:NoSchedule", "--zones", "2", "--node-status-update-frequency", "5s",
        "--node-lease-duration-seconds", "8", "--pod-ready-delay", "0.2",
        "--kubeconfig", _kubeconfig(tmp_path)]).sim
    assert cfg.count == 5 and cfg.name_prefix == "n-" and cfg.zones == 2
    # --capacity adds to the defaults; --max-pods is the capacity's pods.
    assert dict(cfg.capacity) == {"cpu": "8", "memory": "256Gi", "pods": "20",
                                  "ephemeral-storage": "100Gi", "nvidia.com/gpu": "2"}
    assert dict(cfg.labels) == {"tier": "gold"}
    assert [dict(t) for t in cfg.taints] == [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert cfg.node_status_update_frequency == 5.0
    assert cfg.lease_duration_seconds == 8 and cfg.renew_interval == 2.0
    assert cfg.pod_ready_delay == 0.2


@pytest.mark.parametrize("argv, words", [
    ([], "--simulate N is required"),
    (["--simulate", "2", "--capacity", "cpu=lots"], "--capacity: cpu='lots'"),
    (["--simulate", "2", "--register-with-taints", "a=b"], "is not key=value:Effect"),
    (["--simulate", "2", "--node-labels", "a"], "--node-labels: 'a' is not key=value"),
    (["--simulate", "2", "--pod-ready-delay", "soon"], "neither seconds nor a duration"),
    (["--simulate", "2", "--max-pods", "-1"], "--max-pods must not be negative"),
    (["--simulate", "0"], "the number of nodes must be at least 1"),
    (["--simulate", "2", "--node-status-update-frequency", "10"], "invalid duration"),
])
def test_bad_flags_exit_2_with_the_reason(argv, words, capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        agent.parse([*argv, "--kubeconfig", _kubeconfig(tmp_path)])
    assert e.value.code == 2
    assert words in capsys.readouterr().err


def _kubeconfig(tmp_path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text("""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
""")
    return str(path)
