"""`kubelite store` as a process: quota and the NOSPACE alarm, automatic
compaction, watch progress, and what start-up does with a damaged WAL."""

from __future__ import annotations

import glob
import os
import subprocess
import time

import grpc
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from tests.storeproc import StoreProcess

NO_SPACE = "etcdserver: mvcc: database space exceeded"


def stubs(store: StoreProcess):
    channel = grpc.insecure_channel(store.endpoint)
    return (
        channel,
        rpc_pb2_grpc.KVStub(channel),
        rpc_pb2_grpc.MaintenanceStub(channel),
    )


def put(kv, key: bytes, value: bytes) -> rpc_pb2.PutResponse:
    return kv.Put(rpc_pb2.PutRequest(key=key, value=value), timeout=10)


def test_quota_raises_nospace_until_compact_defrag_disarm(tmp_path):
    quota = 4 * 1024 * 1024
    with StoreProcess(
        "kubelite", str(tmp_path / "data"), extra=["--quota-backend-bytes", str(quota)]
    ) as store:
        channel, kv, maint = stubs(store)
        with channel:
            value = b"x" * 256 * 1024
            refused = None
            for i in range(64):  # 16 MiB at most: four times the quota
                try:
                    put(kv, b"big/%d" % i, value)
                except grpc.RpcError as e:
                    refused = e
                    break
            assert refused is not None, "the quota never refused a write"
            assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert refused.details() == NO_SPACE

            alarms = maint.Alarm(rpc_pb2.AlarmRequest(action=rpc_pb2.AlarmRequest.GET))
            assert [a.alarm for a in alarms.alarms] == [rpc_pb2.NOSPACE]
            status = maint.Status(rpc_pb2.StatusRequest())
            assert any("NOSPACE" in e for e in status.errors)

            # Reads are still served; every write is refused, small ones too.
            got = kv.Range(rpc_pb2.RangeRequest(key=b"big/0"))
            assert got.kvs[0].value == value
            with pytest.raises(grpc.RpcError) as small:
                put(kv, b"small", b"1")
            assert small.value.details() == NO_SPACE

            # Deletes are allowed; then compact, defragment and disarm.
            deleted = kv.DeleteRange(rpc_pb2.DeleteRangeRequest(key=b"big/", range_end=b"big0"))
            assert deleted.deleted > 0
            kv.Compact(rpc_pb2.CompactionRequest(revision=deleted.header.revision, physical=True))
            maint.Defragment(rpc_pb2.DefragmentRequest())
            assert maint.Status(rpc_pb2.StatusRequest()).dbSize < quota
            for alarm in alarms.alarms:
                maint.Alarm(rpc_pb2.AlarmRequest(
                    action=rpc_pb2.AlarmRequest.DEACTIVATE,
                    memberID=alarm.memberID,
                    alarm=alarm.alarm,
                ))
            assert not maint.Alarm(rpc_pb2.AlarmRequest(action=rpc_pb2.AlarmRequest.GET)).alarms
            assert put(kv, b"small", b"1").header.revision > deleted.header.revision


@pytest.mark.parametrize("kind", ["etcd", "kubelite"])
def test_periodic_auto_compaction(kind, tmp_path):
    flags = ["--auto-compaction-mode", "periodic", "--auto-compaction-retention", "2s"]
    with StoreProcess(kind, str(tmp_path / "data"), extra=flags) as store:
        channel, kv, _ = stubs(store)
        with channel:
            first = put(kv, b"a", b"1").header.revision
            for i in range(5):
                put(kv, b"a", b"%d" % i)
            deadline = time.monotonic() + 20
            compacted = False
            while time.monotonic() < deadline and not compacted:
                put(kv, b"tick", b"")
                try:
                    kv.Range(rpc_pb2.RangeRequest(key=b"a", revision=first))
                    time.sleep(0.5)
                except grpc.RpcError as e:
                    assert e.details() == "etcdserver: mvcc: required revision has been compacted"
                    compacted = True
            assert compacted, "history older than the retention was never compacted"
            assert kv.Range(rpc_pb2.RangeRequest(key=b"a")).kvs[0].value == b"4"


@pytest.mark.parametrize("kind", ["etcd", "kubelite"])
def test_watch_progress_request_and_notify(kind, tmp_path):
    flags = ["--experimental-watch-progress-notify-interval", "1s"]
    with StoreProcess(kind, str(tmp_path / "data"), extra=flags) as store:
        channel, kv, _ = stubs(store)
        with channel:
            rev = put(kv, b"w/a", b"1").header.revision
            requests = [
                rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(
                    key=b"w/", range_end=b"w0", progress_notify=True
                )),
                rpc_pb2.WatchRequest(progress_request=rpc_pb2.WatchProgressRequest()),
            ]
            stream = rpc_pb2_grpc.WatchStub(channel).Watch(iter(requests), timeout=15)
            seen = []
            for response in stream:
                seen.append(response)
                if len(seen) == 3:
                    break
            stream.cancel()
            created, progress, notify = seen
            assert created.created and created.watch_id == 0
            assert progress.watch_id == -1 and not progress.events
            assert progress.header.revision == rev
            assert notify.watch_id == 0 and not notify.events and not notify.created
            assert notify.header.revision == rev


def _kubelite_with_writes(data_dir: str, count: int) -> None:
    with StoreProcess("kubelite", data_dir) as store:
        channel, kv, _ = stubs(store)
        with channel:
            for i in range(count):
                put(kv, b"k%03d" % i, b"v%d" % i)
        store.kill()


def _wal_segment(data_dir: str) -> str:
    (segment,) = sorted(glob.glob(os.path.join(data_dir, "member", "wal", "*.wal")))[-1:]
    return segment


def test_torn_wal_tail_is_repaired_and_reported(tmp_path):
    data = str(tmp_path / "data")
    _kubelite_with_writes(data, 20)
    segment = _wal_segment(data)
    with open(segment, "ab") as f:
        f.write(b"\x07\x00\x00\x00garbage-from-a-torn-write")
    with StoreProcess("kubelite", data) as store:
        channel, kv, _ = stubs(store)
        with channel:
            got = kv.Range(rpc_pb2.RangeRequest(key=b"k", range_end=b"l"))
            assert got.count == 20
            assert put(kv, b"after", b"x").header.revision == 22
        assert "repaired" in store.log_tail()


def test_corruption_before_the_tail_stops_startup(tmp_path):
    data = str(tmp_path / "data")
    _kubelite_with_writes(data, 20)
    segment = _wal_segment(data)
    with open(segment, "r+b") as f:
        f.seek(200)  # inside an early record; complete records follow it
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0xFF]))
    store = StoreProcess("kubelite", data)
    with pytest.raises(RuntimeError) as failed:
        store.start(timeout=20)
    store.stop()
    message = str(failed.value)
    assert os.path.basename(segment) in message
    assert "corrupt" in message.lower()


def test_restart_keeps_identity_and_bumps_the_term(tmp_path):
    data = str(tmp_path / "data")
    with StoreProcess("kubelite", data) as store:
        channel, kv, maint = stubs(store)
        with channel:
            put(kv, b"a", b"1")
            before = maint.Status(rpc_pb2.StatusRequest())
    with StoreProcess("kubelite", data) as store:
        channel, kv, maint = stubs(store)
        with channel:
            after = maint.Status(rpc_pb2.StatusRequest())
    assert after.header.member_id == before.header.member_id
    assert after.header.cluster_id == before.header.cluster_id
    assert after.header.revision == before.header.revision
    assert after.raftTerm == before.raftTerm + 1


def test_bad_flags_are_refused(tmp_path):
    result = subprocess.run(
        [StoreProcess("kubelite", "").argv()[0], "store", "--auto-compaction-retention", "soon"],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "bad duration 'soon'" in result.stderr


def test_read_only_txn_is_served_without_the_log(tmp_path):
    with StoreProcess("kubelite", str(tmp_path / "data")) as store:
        channel, kv, maint = stubs(store)
        with channel:
            put(kv, b"t", b"1")
            index = maint.Status(rpc_pb2.StatusRequest()).raftIndex
            read = rpc_pb2.TxnRequest(
                compare=[rpc_pb2.Compare(key=b"t", target=rpc_pb2.Compare.VALUE, value=b"1")],
                success=[rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=b"t"))],
            )
            resp = kv.Txn(read)
            assert resp.succeeded and resp.responses[0].response_range.kvs[0].value == b"1"
            assert maint.Status(rpc_pb2.StatusRequest()).raftIndex == index
            write = rpc_pb2.TxnRequest(
                success=[rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=b"t", value=b"2"))]
            )
            assert kv.Txn(write).header.revision == resp.header.revision + 1
            assert maint.Status(rpc_pb2.StatusRequest()).raftIndex == index + 1


def test_a_second_store_on_the_same_data_dir_is_refused(tmp_path):
    data = str(tmp_path / "data")
    with StoreProcess("kubelite", data):
        second = StoreProcess("kubelite", data)
        with pytest.raises(RuntimeError) as refused:
            second.start(timeout=20)
        second.stop()
    assert "in use by another store process" in str(refused.value)


def test_membership_changes_answer_unimplemented(tmp_path):
    with StoreProcess("kubelite", str(tmp_path / "data")) as store:
        with grpc.insecure_channel(store.endpoint) as channel:
            cluster = rpc_pb2_grpc.ClusterStub(channel)
            with pytest.raises(grpc.RpcError) as e:
                cluster.MemberAdd(rpc_pb2.MemberAddRequest(peerURLs=["http://127.0.0.1:1"]))
            assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
            assert len(cluster.MemberList(rpc_pb2.MemberListRequest()).members) == 1


@pytest.mark.parametrize("kind", ["etcd", "kubelite"])
def test_slow_watcher_gets_every_event_in_order(kind, tmp_path):
    with StoreProcess(kind, str(tmp_path / "data")) as store:
        channel, kv, _ = stubs(store)
        with channel:
            create = rpc_pb2.WatchRequest(
                create_request=rpc_pb2.WatchCreateRequest(key=b"s/", range_end=b"s0")
            )
            stream = rpc_pb2_grpc.WatchStub(channel).Watch(iter([create]), timeout=60)
            assert next(stream).created
            value = b"v" * 4096
            first = put(kv, b"s/0", value).header.revision
            last = first
            for i in range(1, 2000):  # ~8 MiB the watcher does not read meanwhile
                last = put(kv, b"s/%d" % i, value).header.revision
            seen: list[int] = []
            for response in stream:
                seen += [e.kv.mod_revision for e in response.events]
                if seen and seen[-1] >= last:
                    break
            stream.cancel()
            assert seen == list(range(first, last + 1))
