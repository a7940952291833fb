"""Moving from kubelite's store to a real etcd through a snapshot.

The same history (several revisions of a key, a deleted key, a lease with a
key attached, a compaction, writes after it, a 200 kB value) is written to
`kubelite store` and to a real etcd 3.4 side by side. `etcdctl snapshot save`
takes kubelite's snapshot, `etcdctl snapshot status` must read it and report
the revision and key count that it reports for etcd's own snapshot, and
`etcdctl snapshot restore` turns it into a data directory that a real etcd
starts on, serving the same keys, values, revisions, versions and leases at
the same current revision, with the same compaction.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import grpc
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.storeproc import ETCD, StoreProcess, free_port

ETCDCTL = "/usr/bin/etcdctl"
MANY = 500

pytestmark = pytest.mark.skipif(
    not (os.path.exists(ETCD) and os.path.exists(ETCDCTL)), reason="needs etcd and etcdctl 3.4"
)


def etcdctl(*args: str, endpoint: str = "", check: bool = True) -> subprocess.CompletedProcess:
    argv = [ETCDCTL, *(["--endpoints", endpoint] if endpoint else []), *args]
    env = {**os.environ, "ETCDCTL_API": "3"}
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    if check:
        assert out.returncode == 0, f"{argv}: {out.stderr}"
    return out


def write_history(endpoint: str) -> int:
    """The scenario's writes; returns the compaction revision."""
    def ctl(*args: str) -> str:
        return etcdctl(*args, endpoint=endpoint).stdout

    ctl("put", "/a", "1")
    ctl("put", "/a", "2")
    ctl("put", "/b", "bee")
    ctl("put", "/gone", "soon")
    ctl("del", "/gone")
    lease = ctl("lease", "grant", "3600").split()[1]
    ctl("put", "--lease", lease, "/leased", "held")
    ctl("put", "/a", "3")
    compact_rev = json.loads(ctl("get", "/a", "-w", "json"))["header"]["revision"]
    ctl("compaction", str(compact_rev))
    ctl("put", "/b", "bee2")
    with grpc.insecure_channel(endpoint) as channel:
        kv = rpc_pb2_grpc.KVStub(channel)
        kv.Put(rpc_pb2.PutRequest(key=b"/big", value=b"x" * 200_000))  # overflow pages
        for i in range(MANY):  # enough records that the key bucket needs branch pages
            kv.Put(rpc_pb2.PutRequest(key=b"/many/%d" % (i % 7), value=b"%d" % i * 20))
    return compact_rev


def contents(endpoint: str) -> dict:
    """Every key with its revisions, version, lease and value, and the revision."""
    got = json.loads(etcdctl("get", "", "--from-key", "-w", "json", endpoint=endpoint).stdout)
    kvs = [
        {
            "key": base64.b64decode(kv["key"]),
            "value": base64.b64decode(kv.get("value", "")),
            "create": kv["create_revision"],
            "mod": kv["mod_revision"],
            "version": kv["version"],
            "lease": kv.get("lease", 0),
        }
        for kv in got.get("kvs", [])
    ]
    return {"revision": got["header"]["revision"], "kvs": kvs}


def without_leases(got: dict) -> dict:
    """Lease IDs differ between stores; whether a key has one does not."""
    return {**got, "kvs": [{**kv, "lease": bool(kv["lease"])} for kv in got["kvs"]]}


def leases(endpoint: str) -> list[str]:
    out = json.loads(etcdctl("lease", "list", "-w", "json", endpoint=endpoint).stdout)
    return sorted(str(lease["id"]) for lease in out.get("leases") or [])


def test_kubelite_snapshot_restores_into_etcd(tmp_path: Path) -> None:
    kubelite = StoreProcess("kubelite", str(tmp_path / "kubelite"))
    reference = StoreProcess("etcd", str(tmp_path / "reference"))
    restored: StoreProcess | None = None
    try:
        kubelite.start()
        reference.start()
        compact_rev = write_history(kubelite.endpoint)
        assert write_history(reference.endpoint) == compact_rev
        before = contents(kubelite.endpoint)
        assert without_leases(before) == without_leases(contents(reference.endpoint))
        kubelite_leases = leases(kubelite.endpoint)
        assert len(kubelite_leases) == 1

        snap = tmp_path / "kubelite.db"
        etcdctl("snapshot", "save", str(snap), endpoint=kubelite.endpoint)
        etcd_snap = tmp_path / "etcd.db"
        etcdctl("snapshot", "save", str(etcd_snap), endpoint=reference.endpoint)
        status = json.loads(etcdctl("snapshot", "status", str(snap), "-w", "json").stdout)
        etcd_status = json.loads(etcdctl("snapshot", "status", str(etcd_snap), "-w", "json").stdout)
        assert status["revision"] == before["revision"]
        assert status["revision"] == etcd_status["revision"]
        assert status["totalKey"] == etcd_status["totalKey"]

        name, peer_port, client_port = "moved", free_port(), free_port()
        peer = f"http://127.0.0.1:{peer_port}"
        data_dir = tmp_path / "restored"
        etcdctl(
            "snapshot", "restore", str(snap),
            "--data-dir", str(data_dir),
            "--name", name,
            "--initial-cluster", f"{name}={peer}",
            "--initial-advertise-peer-urls", peer,
            "--initial-cluster-token", "kubelite-test",
        )
        restored = StoreProcess("etcd", str(data_dir), name=name,
                                client_port=client_port, peer_port=peer_port).start()

        after = contents(restored.endpoint)
        assert after == before
        assert leases(restored.endpoint) == kubelite_leases
        leased = [kv for kv in after["kvs"] if kv["key"] == b"/leased"]
        assert leased and str(leased[0]["lease"]) == kubelite_leases[0]

        # the compaction came along: older revisions are gone, the compacted one is not
        old = etcdctl("get", "/a", "--rev", str(compact_rev - 1), endpoint=restored.endpoint,
                      check=False)
        assert old.returncode != 0 and "required revision has been compacted" in old.stderr
        for ep in (kubelite.endpoint, restored.endpoint):
            at = json.loads(etcdctl("get", "/a", "--rev", str(compact_rev), "-w", "json",
                                    endpoint=ep).stdout)
            assert base64.b64decode(at["kvs"][0]["value"]) == b"3"

        # and the restored etcd carries on from kubelite's revision
        etcdctl("put", "/after", "move", endpoint=restored.endpoint)
        moved = contents(restored.endpoint)
        assert moved["revision"] == before["revision"] + 1
        # etcd rewrites every bucket it read from kubelite's file when defragmenting
        etcdctl("defrag", endpoint=restored.endpoint)
        assert contents(restored.endpoint) == moved
    finally:
        for store in (restored, reference, kubelite):
            if store is not None:
                store.stop()
