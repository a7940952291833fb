"""Acceptance: the real etcdctl 3.4 against the store under test, each
scenario also run against a real etcd 3.4, and the two transcripts required
to be equal after normalization (see etcdctl_harness for what is masked).

Scenarios that only touch their own keys share one pair of stores; those
whose output depends on the whole store (exact revisions from a clean slate,
leases, compaction, cluster status) get a fresh pair each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.etcdctl_harness import Poll, Reap, Sleep, ctl, txn, watch

pytestmark = pytest.mark.e2e

WATCH_SETTLE = 1.0  # seconds for live watches to register before writes


def test_put_and_get_forms(shared_pair):
    # Versions, create, mod revisions and values all differ between the keys
    # and from key order, so every sort below is free of ties.
    steps = [
        ctl("put", "/get/b", "10"),
        ctl("put", "/get/c", "x"),
        ctl("put", "/get/a", "x"),
        ctl("put", "/get/a", "y"),
        ctl("put", "/get/c", "30"),
        ctl("put", "/get/a", "20"),
        ctl("get", "/get/a"),
        ctl("get", "/get/a", "-w", "json"),
        ctl("get", "/get/a", "-w", "fields"),
        ctl("get", "/get/a", "--hex"),
        ctl("get", "/get/", "--prefix"),
        ctl("get", "/get/", "--prefix", "-w", "json"),
        ctl("get", "/get/", "--prefix", "--keys-only"),
        ctl("get", "/get/", "--prefix", "--print-value-only"),
        ctl("get", "/get/", "--prefix", "--consistency=s"),
        ctl("get", "/get/", "--prefix", "--limit", "2"),
        ctl("get", "/get/", "--prefix", "--limit", "2", "-w", "json"),
        ctl("get", "/get/", "--prefix", "--keys-only", "--limit", "1", "-w", "fields"),
        ctl("get", "/get/", "--prefix", "--order=DESCEND"),
        ctl("get", "/get/", "--prefix", "--sort-by=VERSION"),
        ctl("get", "/get/", "--prefix", "--sort-by=VALUE", "--order=DESCEND"),
        ctl("get", "/get/", "--prefix", "--sort-by=CREATE", "--order=ASCEND"),
        ctl("get", "/get/", "--prefix", "--sort-by=MODIFY", "--order=DESCEND", "--limit", "2"),
        ctl("get", "/get/", "--prefix", "--sort-by=KEY", "--order=DESCEND", "-w", "json"),
        ctl("get", "/get/a", "/get/c"),
        ctl("get", "/get/missing"),
        ctl("get", "/get/missing", "-w", "json"),
        ctl("get", "/get/missing/", "--prefix", "-w", "fields"),
        ctl("put", "~get/a", "1"),
        ctl("put", "~get/b", "2"),
        ctl("put", "~get/c", "3"),
        ctl("get", "~get/b", "--from-key"),
        ctl("get", "~get/b", "--from-key", "--keys-only", "--limit", "1", "-w", "json"),
        ctl("get", "~get/", "--prefix", "--order=DESCEND", "--print-value-only"),
    ]
    shared_pair.check(steps, expect=('"more":true', '"count":3'))


def test_put_options(shared_pair):
    steps = [
        ctl("put", "/put/a", "1"),
        ctl("put", "/put/a", "2", "--prev-kv"),
        ctl("put", "/put/a", "3", "--prev-kv", "-w", "json"),
        ctl("put", "/put/a", "4", "--prev-kv", "-w", "fields"),
        ctl("put", "/put/new", "1", "--prev-kv"),
        ctl("put", "/put/empty", ""),
        ctl("get", "/put/empty", "-w", "json"),
        ctl("put", "/put/stdin", stdin="read from stdin\n"),
        ctl("put", "/put/dash", "--", "-dash-value"),
        ctl("put", "/put/with space", "héllo wörld ✓"),
        ctl("get", "/put/with space", "-w", "json"),
        ctl("get", "/put/with space", "--hex"),
        ctl("put", "/put/a", "--ignore-value"),
        ctl("get", "/put/a", "-w", "json"),
        ctl("put", "/put/a", "5", "--ignore-lease"),
        ctl("put", "/put/missing", "--ignore-value"),
        ctl("put", "/put/missing", "v", "--ignore-lease"),
        ctl("get", "/put/", "--prefix", "-w", "json"),
    ]
    shared_pair.check(steps, expect=("etcdserver: key not found",))


def test_delete_forms(shared_pair):
    steps = [
        *(ctl("put", f"/del/{k}", k.upper()) for k in ["a", "b", "c", "d", "e", "p/1", "p/2"]),
        ctl("del", "/del/a"),
        ctl("del", "/del/a"),
        ctl("del", "/del/b", "--prev-kv"),
        ctl("del", "/del/p/", "--prefix"),
        ctl("del", "/del/c", "/del/e", "--prev-kv", "-w", "json"),
        ctl("del", "/del/nothing/", "--prefix", "-w", "json"),
        ctl("del", "/del/nothing", "-w", "fields"),
        ctl("get", "/del/", "--prefix"),
        ctl("put", "~~del/a", "1"),
        ctl("put", "~~del/b", "2"),
        ctl("put", "~~del/c", "3"),
        ctl("del", "~~del/b", "--from-key", "--prev-kv"),
        ctl("get", "~~del/", "--from-key"),
        ctl("del", "/del/", "--prefix", "--prev-kv", "-w", "json"),
    ]
    shared_pair.check(steps, expect=('"deleted":2',))


def test_errors(shared_pair):
    steps = [
        ctl("put", "/err/a", "1"),
        ctl("get", "/err/a", "--rev", "1000000"),
        ctl("get", "/err/a", "--rev", "1000000", "-w", "json"),
        ctl("put", "/err/b", "1", "--lease=1234abcd"),
        ctl("put", "", "v"),
        ctl("get", ""),
        ctl("del", ""),
        txn([], ["put /err/dup 1", "put /err/dup 2"], []),
        txn([], ["put /err/dup 1", "del /err/dup"], []),
        txn([], [], ["del /err/ --prefix", "put /err/a 2"]),
        txn(['value("/err/a") = "1"'], ["get /err/a", "get /err/a"], []),
        ctl("get", "/err/", "--prefix", "-w", "json"),
    ]
    shared_pair.check(steps, expect=(
        "etcdserver: mvcc: required revision is a future revision",
        "etcdserver: requested lease not found",
        "etcdserver: key is not provided",
        "etcdserver: duplicate key given in txn request",
    ))


def test_request_too_large(shared_pair):
    # etcd's default --max-request-bytes is 1.5 MiB; etcdctl put reads the
    # value from stdin when it is not given.
    fits = b"f" * (1024 * 1024)
    too_large = b"t" * (1024 * 1024 * 8 // 5)  # 1.6 MiB
    steps = [
        ctl("put", "/big/fits", stdin=fits),
        ctl("get", "/big/fits", "--keys-only", "-w", "json"),
        ctl("get", "/big/fits", "--print-value-only"),
        ctl("put", "/big/too-large", stdin=too_large),
        ctl("get", "/big/", "--prefix", "--keys-only"),
    ]
    shared_pair.check(steps, expect=("etcdserver: request is too large",))


def test_txn(fresh_pair):
    steps = [
        ctl("put", "/txn/a", "1"),  # revision 2
        ctl("put", "/txn/a", "2"),  # revision 3
        ctl("put", "/txn/b", "x"),  # revision 4
        txn(['value("/txn/a") = "2"'], ["put /txn/c 1", "get /txn/a"], ["put /txn/c 0"]),
        txn(['value("/txn/a") != "2"'], ["put /txn/c 1"], ["put /txn/c 0", "get /txn/c"]),
        txn(['value("/txn/a") > "1"', 'value("/txn/b") < "y"'], ["get /txn/b"], []),
        txn(
            ['version("/txn/a") = "2"', 'create("/txn/a") = "2"', 'mod("/txn/a") = "3"'],
            ["del /txn/b --prev-kv", "get /txn/ --prefix"],
            [],
            "-w", "json",
        ),
        txn(['create("/txn/nope") = "0"', 'version("/txn/nope") = "0"'], ["put /txn/d 1"], []),
        txn(['mod("/txn/a") < "3"'], [], ["get /txn/a"], "-w", "fields"),
        txn(['version("/txn/a") > "5"'], ["put /txn/e 1"], ["get /txn/ --prefix --keys-only"]),
        txn([], ["put /txn/f 1 --prev-kv", "del /txn/c --prev-kv"], [], "-w", "json"),
        txn(['mod("/txn/a") > "0"'], [], [], "-w", "json"),
        ctl("get", "/txn/", "--prefix", "-w", "json"),
    ]
    fresh_pair.check(steps, expect=("SUCCESS", "FAILURE", '"succeeded":true'))


def test_revisions_and_history(fresh_pair):
    steps = [
        ctl("put", "/h/a", "1"),  # 2
        ctl("put", "/h/b", "1"),  # 3
        ctl("put", "/h/a", "2"),  # 4
        ctl("del", "/h/b"),  # 5
        ctl("put", "/h/b", "3"),  # 6
        ctl("get", "/h/", "--prefix", "--rev", "3"),
        ctl("get", "/h/", "--prefix", "--rev", "4", "-w", "json"),
        ctl("get", "/h/", "--prefix", "--rev", "5"),
        ctl("get", "/h/b", "--rev", "5", "-w", "json"),
        ctl("get", "/h/a", "--rev", "1"),
        ctl("get", "/h/", "--prefix", "--rev", "6", "--sort-by=MODIFY", "--order=DESCEND"),
        ctl("get", "/h/", "--prefix", "--rev", "7"),
        ctl("get", "/h/", "--prefix", "--rev", "100", "-w", "json"),
        ctl("get", "", "--from-key", "--keys-only"),
        ctl("get", "", "--from-key", "-w", "json"),
    ]
    fresh_pair.check(steps, expect=('"revision":6', "required revision is a future revision"))


def test_compaction(fresh_pair):
    steps = [
        ctl("put", "/c/a", "1"),  # 2
        ctl("put", "/c/a", "2"),  # 3
        ctl("put", "/c/a", "3"),  # 4
        ctl("put", "/c/b", "last-c"),  # 5
        ctl("compaction", "3"),
        ctl("get", "/c/a", "--rev", "2"),
        ctl("get", "/c/a", "--rev", "2", "-w", "json"),
        ctl("get", "/c/a", "--rev", "3"),
        ctl("get", "/c/", "--prefix", "--rev", "4", "-w", "json"),
        ctl("compaction", "3"),
        ctl("compaction", "2"),
        ctl("compaction", "100"),
        watch("old", "/c/a", "--rev", "2"),
        Reap("old"),
        watch("kept", "/c/", "--prefix", "--rev", "3", "-w", "json"),
        Reap("kept", until="last-c"),
        ctl("compaction", "5", "--physical"),
        ctl("get", "/c/", "--prefix", "--rev", "4"),
        ctl("defrag"),
        ctl("get", "/c/", "--prefix", "-w", "json"),
        ctl("put", "/c/a", "after-defrag"),
        ctl("get", "/c/a", "-w", "json"),
    ]
    fresh_pair.check(steps, expect=(
        "compacted revision 3",
        "etcdserver: mvcc: required revision has been compacted",
        "etcdserver: mvcc: required revision is a future revision",
        "watch was canceled (etcdserver: mvcc: required revision has been compacted)",
        "Finished defragmenting etcd member[<endpoint>]",
    ))


def test_watch_history(fresh_pair):
    steps = [
        ctl("put", "/w/a", "1"),  # 2
        ctl("put", "/w/b", "1"),  # 3
        ctl("put", "/w/a", "2"),  # 4
        ctl("del", "/w/a"),  # 5
        txn([], ["put /w/c 1", "put /w/d 1"], []),  # 6
        ctl("del", "/w/", "--prefix"),  # 7: b, c, d
        ctl("put", "/w/a", "end-of-a"),  # 8
        ctl("put", "/w/c", "end-of-c"),  # 9
        ctl("put", "/w/z", "end-of-history"),  # 10
        watch("all", "/w/", "--prefix", "--rev", "1"),
        Reap("all", until="end-of-history"),
        watch("prev", "/w/", "--prefix", "--rev", "1", "--prev-kv"),
        Reap("prev", until="end-of-history"),
        watch("json", "/w/", "--prefix", "--rev", "4", "--prev-kv", "-w", "json"),
        Reap("json", until="end-of-history"),
        watch("fields", "/w/", "--prefix", "--rev", "6", "-w", "fields"),
        Reap("fields", until="end-of-history"),
        watch("key", "/w/a", "--rev", "3", "--prev-kv"),
        Reap("key", until="end-of-a"),
        watch("range", "/w/b", "/w/d", "--rev", "1"),
        Reap("range", until="end-of-c"),
    ]
    fresh_pair.check(steps, expect=("DELETE", "end-of-history", '"prev_kv"'))


def test_watch_live(fresh_pair):
    steps = [
        ctl("put", "/live/k", "before"),
        watch("prefix", "/live/", "--prefix"),
        watch("json", "/live/", "--prefix", "--prev-kv", "-w", "json"),
        watch("key", "/live/k", "--prev-kv"),
        Sleep(WATCH_SETTLE),
        ctl("put", "/live/k", "1"),
        ctl("put", "/live/k", "2"),
        ctl("put", "/live/other", "x"),
        ctl("del", "/live/k"),
        txn([], ["put /live/t1 a", "put /live/t2 b"], []),
        ctl("del", "/live/t", "--prefix"),
        ctl("put", "/live/k", "live-end"),
        Reap("prefix", until="live-end"),
        Reap("json", until="live-end"),
        Reap("key", until="live-end"),
    ]
    fresh_pair.check(steps, expect=("live-end", '"type":1', "DELETE"))


def test_lease_lifecycle(fresh_pair):
    steps = [
        ctl("lease", "grant", "100"),
        ctl("lease", "grant", "200", "-w", "json"),
        ctl("lease", "timetolive", "{L1}"),
        ctl("lease", "list"),
        ctl("lease", "list", "-w", "json"),
        ctl("put", "/lease/a", "1", "--lease={L1}"),
        ctl("put", "/lease/b", "2", "--lease={L1}"),
        ctl("put", "/lease/c", "3", "--lease={L2}"),
        ctl("put", "/lease/a", "11", "--ignore-lease"),
        ctl("put", "/lease/b", "22"),
        ctl("get", "/lease/", "--prefix", "-w", "json"),
        ctl("get", "/lease/a", "-w", "fields"),
        # timetolive reports whole seconds left, truncated: right after a
        # keep-alive that is the TTL minus one.
        ctl("lease", "keep-alive", "--once", "{L1}"),
        ctl("lease", "timetolive", "{L1}", "--keys"),
        ctl("lease", "keep-alive", "--once", "{L2}", "-w", "json"),
        ctl("lease", "timetolive", "{L2}", "--keys", "-w", "json"),
        watch("revoked", "/lease/", "--prefix"),
        Sleep(WATCH_SETTLE),
        ctl("lease", "revoke", "{L1}"),
        ctl("put", "/lease/end", "lease-end"),
        Reap("revoked", until="lease-end"),
        ctl("get", "/lease/", "--prefix", "-w", "json"),
        ctl("lease", "timetolive", "{L1}"),
        ctl("lease", "timetolive", "{L1}", "-w", "json"),
        ctl("lease", "revoke", "{L1}"),
        ctl("lease", "keep-alive", "--once", "{L1}"),
        ctl("lease", "list"),
        ctl("lease", "revoke", "{L2}"),
        ctl("get", "/lease/", "--prefix", "--keys-only"),
        ctl("lease", "list", "-w", "json"),
        ctl("lease", "grant", "0"),
        ctl("lease", "grant", "9000000001"),
        ctl("lease", "timetolive", "1234abcd"),
        ctl("lease", "revoke", "1234abcd"),
    ]
    fresh_pair.check(steps, expect=(
        "lease L1 granted with TTL(100s)",
        "attached keys([/lease/a])",
        "lease L1 keepalived with TTL(100)",
        "lease L1 revoked",
        "lease L1 already expired",
        "etcdserver: requested lease not found",
        "etcdserver: too large lease TTL",
    ))


def test_lease_expiry(fresh_pair):
    # A TTL below etcd's minimum (2s for a single member with the default
    # election timeout) is raised to it.
    steps = [
        ctl("lease", "grant", "1"),
        ctl("put", "/exp/a", "1", "--lease={L1}"),
        ctl("put", "/exp/b", "2", "--lease={L1}"),
        watch("expiry", "/exp/", "--prefix"),
        ctl("get", "/exp/", "--prefix", "--keys-only"),
        Poll(("get", "/exp/", "--prefix", "--keys-only"), until="", timeout=20.0),
        ctl("put", "/exp/end", "expiry-end"),
        Reap("expiry", until="expiry-end"),
        ctl("get", "/exp/", "--prefix", "-w", "json"),
        ctl("lease", "timetolive", "{L1}"),
        ctl("lease", "list"),
    ]
    fresh_pair.check(steps, expect=(
        "lease L1 granted with TTL(2s)", "[output became '']", "DELETE", "already expired",
    ))


def test_cluster_status(fresh_pair):
    steps = [
        ctl("put", "/m/a", "1"),
        ctl("endpoint", "status"),
        ctl("endpoint", "status", "-w", "table"),
        ctl("endpoint", "status", "-w", "json"),
        ctl("endpoint", "status", "-w", "fields"),
        ctl("endpoint", "status", "--cluster", "-w", "json"),
        ctl("endpoint", "health"),
        ctl("endpoint", "health", "-w", "json"),
        ctl("member", "list"),
        ctl("member", "list", "-w", "table"),
        ctl("member", "list", "-w", "json"),
        ctl("member", "list", "-w", "fields"),
        ctl("alarm", "list"),
        ctl("alarm", "list", "-w", "json"),
        ctl("defrag"),
    ]
    fresh_pair.check(steps, expect=("is healthy", "started, default", '"raft_term":2'))


def test_hashkv(fresh_pair):
    steps = [
        ctl("put", "/hash/a", "1"),
        ctl("put", "/hash/a", "2"),
        ctl("del", "/hash/a"),
        ctl("put", "/hash/b", "3"),
        ctl("endpoint", "hashkv", "-w", "json"),
        ctl("compaction", "3"),
        ctl("endpoint", "hashkv"),
    ]
    fresh_pair.check(steps, expect=('"compact_revision":-1',))


def test_snapshot_save(fresh_pair):
    steps = [
        ctl("put", "/snap/a", "1"),
        ctl("put", "/snap/b", "2"),
        ctl("snapshot", "save", "snap.db"),
    ]
    fresh_pair.check(steps, expect=("Snapshot saved at snap.db",))
    for _, workdir in fresh_pair.last_workdirs:
        saved = Path(workdir, "snap.db")
        assert saved.is_file() and saved.stat().st_size > 0, f"no snapshot at {saved}"


def test_snapshot_is_an_etcd_database(fresh_pair):
    # etcdctl reads the saved file itself (snapshot status, snapshot restore):
    # it must be an etcd backend database holding the store's revision.
    steps = [
        ctl("put", "/snap/a", "1"),
        ctl("put", "/snap/a", "2"),
        ctl("snapshot", "save", "snap.db"),
        ctl("snapshot", "status", "snap.db", "-w", "json"),
        ctl("snapshot", "status", "snap.db", "-w", "table"),
    ]
    fresh_pair.check(steps, expect=('"revision":3',))


def test_lock(fresh_pair):
    # etcdctl lock grants a session lease, creates a key under the lock name,
    # waits for the keys created before it (a range bounded by create
    # revision), runs the command, then deletes the key; the lease is left
    # to expire.
    steps = [
        ctl("lock", "/lk/a", "echo", "ran-under-lock"),
        ctl("lock", "/lk/a", "echo", "ran-under-lock-again"),
        ctl("get", "/lk/", "--prefix", "-w", "json"),
        ctl("lease", "list"),
        ctl("get", "", "--from-key", "-w", "json"),
    ]
    fresh_pair.check(steps, expect=("ran-under-lock-again", "found 2 leases"))
