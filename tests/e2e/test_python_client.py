"""Acceptance: the asyncio client `aetcd` (from PyPI) against the store under
test and against a real etcd 3.4, both fresh.

The scenarios live in aetcd_scenarios.py and run in a child interpreter
(see there why); each store gets one run of all of them, in order. Every
test below checks the client's view on each store (parametrized: etcd, then
the store under test), and `test_same_as_etcd` requires the store under test
to have answered exactly what etcd answered.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.conftest import REFERENCE_LABEL, SUBJECT_LABEL

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("aetcd_scenarios.py")
SCENARIOS = [
    "put_get", "ranges", "deletes", "transactions", "lease_compare", "watch_live",
    "watch_replay", "leases", "errors", "compaction", "cluster",
]


def run_scenarios(endpoint: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), endpoint], capture_output=True, text=True, timeout=180,
    )
    if done.returncode != 0:
        raise RuntimeError(f"aetcd scenarios failed on {endpoint}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def results(module_pair) -> dict[str, dict | Exception]:
    """Each store's results, or why the scenarios could not run on it."""
    sides = module_pair.sides()
    with ThreadPoolExecutor(len(sides)) as pool:
        runs = {label: pool.submit(run_scenarios, store.endpoint) for label, store in sides}
        return {label: run.exception() or run.result() for label, run in runs.items()}


def results_of(results: dict, label: str) -> dict:
    found = results[label]
    if isinstance(found, Exception):
        pytest.fail(f"no results from {label}: {found}", pytrace=False)
    return found


@pytest.fixture(params=[REFERENCE_LABEL, SUBJECT_LABEL])
def on(request, results) -> dict:
    """The scenario results on one store."""
    return results_of(results, request.param)


def ok(result: dict) -> dict:
    assert "crashed" not in result, result
    return result


def test_put_get(on):
    r = ok(on["put_get"])
    first, second = r["put"]["header"]["revision"], r["put_prev_kv"]["header"]["revision"]
    assert second == first + 1
    assert r["put"]["prev_kv"] is None
    assert r["put_prev_kv"]["prev_kv"] == {
        "key": "/py/kv/a", "value": "1", "create_revision": first, "mod_revision": first,
        "version": 1, "lease": 0,
    }
    for got in (r["get"], r["get_serializable"]):
        assert (got["value"], got["version"]) == ("2", 2)
        assert (got["create_revision"], got["mod_revision"]) == (first, second)
    assert r["get_empty_value"]["value"] == ""
    assert r["get_missing"] is None
    assert r["get"]["header"]["raft_term"] == 2


def test_get_prefix_and_range(on):
    r = ok(on["ranges"])

    def keys(name: str) -> list[str]:
        return [kv["key"].rsplit("/", 1)[1] for kv in r[name]["kvs"]]

    assert keys("prefix") == ["a", "b", "c", "d"] and r["prefix"]["count"] == 4
    assert [kv["value"] for kv in r["prefix"]["kvs"]] == ["30", "50", "40", "20"]
    assert keys("prefix_by_value_descending") == ["b", "c", "a", "d"]
    assert keys("prefix_by_version_ascending")[-1] == "b"
    assert {kv["value"] for kv in r["prefix_keys_only"]["kvs"]} == {""}
    assert keys("range_b_to_d") == ["b", "c"]
    assert keys("range_by_mod_descending") == ["b", "d", "c", "a"]
    assert r["prefix_missing"]["count"] == 0 and r["prefix_missing"]["kvs"] == []


def test_delete(on):
    r = ok(on["deletes"])
    assert r["delete"]["deleted"] == 1 and r["delete"]["prev_kv"] is None
    assert r["delete_again"] is None
    assert r["delete_prev_kv"]["prev_kv"]["value"] == "B"
    assert r["delete_prefix"]["deleted"] == 2
    assert [kv["key"] for kv in r["delete_prefix"]["prev_kvs"]] == ["/py/del/p/1", "/py/del/p/2"]
    assert r["delete_range"]["deleted"] == 1
    assert r["delete_prefix_missing"]["deleted"] == 0
    assert r["left"]["count"] == 0


def test_transactions(on):
    r = ok(on["transactions"])
    held = r["value_and_version_hold"]
    assert held["succeeded"] is True
    assert held["responses"][1][0]["value"] == "2"
    failed = r["mod_fails"]
    assert failed["succeeded"] is False and failed["responses"][1] == []
    assert r["create_of_missing_key"]["succeeded"] is True
    assert r["duplicate_keys"] == {
        "error": "InvalidArgumentError",
        "message": "etcdserver: duplicate key given in txn request",
        "code": "INVALID_ARGUMENT",
    }
    assert (r["replace"], r["replace_stale"], r["after"]["value"]) == (True, False, "3")


def test_txn_compare_on_lease(on):
    r = ok(on["lease_compare"])
    assert {name: c["succeeded"] for name, c in r.items()} == {
        "leased_has_lease": True, "leased_has_none": False,
        "plain_has_none": True, "plain_has_lease": False,
    }


def test_watch_live_events(on):
    r = ok(on["watch_live"])
    prefix = [(e["kind"], e["kv"]["key"], e["kv"]["value"]) for e in r["prefix"]]
    assert prefix == [
        ("PUT", "/py/watch/k", "1"), ("PUT", "/py/watch/other", "x"),
        ("DELETE", "/py/watch/k", ""), ("PUT", "/py/watch/k", "2"),
    ]
    assert r["prefix"][0]["prev_kv"]["value"] == "before"
    assert r["prefix"][2]["prev_kv"]["value"] == "1"
    assert [(e["kind"], e["kv"]["value"]) for e in r["key"]] == [
        ("PUT", "1"), ("DELETE", ""), ("PUT", "2"),
    ]
    revisions = [e["kv"]["mod_revision"] for e in r["prefix"]]
    assert revisions == sorted(revisions) and len(set(revisions)) == 4


def test_watch_replays_history(on):
    events = ok(on["watch_replay"])["events"]
    assert [(e["kind"], e["kv"]["value"]) for e in events] == [
        ("PUT", "1"), ("PUT", "2"), ("DELETE", ""),
    ]
    assert events[2]["prev_kv"]["value"] == "2"


def test_lease_grant_refresh_revoke(on):
    r = ok(on["leases"])
    assert r["granted"] == {"id": "L1", "ttl": 100}
    assert (r["refreshed"]["id"], r["refreshed"]["ttl"]) == ("L1", 100)
    alive = r["alive"]
    assert (alive["ttl"], alive["granted_ttl"], alive["keys"]) == (99, 100, ["/py/lease/k"])
    assert r["listed"] == ["L1"]
    assert r["key_with_lease"]["lease"] == "L1"
    assert [(e["kind"], e["kv"]["key"]) for e in r["deleted_by_revoke"]] == [
        ("DELETE", "/py/lease/k"),
    ]
    assert r["key_after_revoke"] is None
    after = r["info_after_revoke"]
    assert (after["ttl"], after["granted_ttl"], after["keys"]) == (-1, 0, [])
    assert r["revoke_again"]["message"] == "etcdserver: requested lease not found"
    assert r["granted_with_id"] == 0x1234
    assert r["same_id_again"]["error"] == "DuplicateLeaseError"


def test_errors(on):
    r = ok(on["errors"])
    assert {name: (e["message"], e["code"]) for name, e in r.items()} == {
        "put_unknown_lease": ("etcdserver: requested lease not found", "NOT_FOUND"),
        "put_empty_key": ("etcdserver: key is not provided", "INVALID_ARGUMENT"),
        "get_empty_key": ("etcdserver: key is not provided", "INVALID_ARGUMENT"),
        "lease_ttl_too_large": ("etcdserver: too large lease TTL", "OUT_OF_RANGE"),
        "compact_future": (
            "etcdserver: mvcc: required revision is a future revision", "OUT_OF_RANGE",
        ),
    }


def test_watch_below_compaction(on):
    r = ok(on["compaction"])
    [event] = r["watch_below"]
    assert event["error"] == "RevisionCompactedError"
    assert event["compacted_revision"] == r["compacted_at"]
    assert r["compact_again"]["message"] == (
        "etcdserver: mvcc: required revision has been compacted"
    )


def test_cluster_view(on):
    r = ok(on["cluster"])
    [member] = r["members"]
    assert r["status"] == {"leader": member["id"], "raft_term": 2}
    assert member["name"] == "default" and member["client_urls"] == ["<endpoint>"]
    assert r["alarms"] == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_as_etcd(results, scenario):
    reference_results = results_of(results, REFERENCE_LABEL)
    assert set(reference_results) == set(SCENARIOS)
    reference = json.dumps(reference_results[scenario], indent=1).split("\n")
    subject = json.dumps(results_of(results, SUBJECT_LABEL).get(scenario), indent=1).split("\n")
    if subject != reference:
        diff = difflib.unified_diff(reference, subject, REFERENCE_LABEL, SUBJECT_LABEL, lineterm="")
        pytest.fail(
            f"{SUBJECT_LABEL} answered differently from etcd (- etcd, + {SUBJECT_LABEL}):\n"
            + "\n".join(diff),
            pytrace=False,
        )
