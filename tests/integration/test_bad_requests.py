"""Bad requests get etcd's own gRPC code and message and change nothing:
each is sent to a real etcd 3.4 and to `kubelite store`, and the answers and
the revision afterwards are compared."""

from __future__ import annotations

import grpc
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2 as pb
from kubelite.etcdpb.etcdserverpb import rpc_pb2_grpc
from tests.storeproc import StoreProcess


def op_put(key: bytes, value: bytes = b"v") -> pb.RequestOp:
    return pb.RequestOp(request_put=pb.PutRequest(key=key, value=value))


BAD_REQUESTS = {
    "put empty key": ("KV", "Put", pb.PutRequest(value=b"v")),
    "range empty key": ("KV", "Range", pb.RangeRequest()),
    "delete empty key": ("KV", "DeleteRange", pb.DeleteRangeRequest()),
    "put unknown lease": ("KV", "Put", pb.PutRequest(key=b"k", value=b"v", lease=0x1234)),
    "ignore_value with a value": (
        "KV", "Put", pb.PutRequest(key=b"k", value=b"v", ignore_value=True),
    ),
    "ignore_lease with a lease": (
        "KV", "Put", pb.PutRequest(key=b"k", lease=5, ignore_lease=True),
    ),
    "ignore_value on a missing key": (
        "KV", "Put", pb.PutRequest(key=b"missing", ignore_value=True),
    ),
    "range future revision": ("KV", "Range", pb.RangeRequest(key=b"k", revision=1000)),
    "range compacted revision": ("KV", "Range", pb.RangeRequest(key=b"k", revision=2)),
    "compact future revision": ("KV", "Compact", pb.CompactionRequest(revision=1000)),
    "compact compacted revision": ("KV", "Compact", pb.CompactionRequest(revision=3)),
    "txn too many ops": (
        "KV", "Txn", pb.TxnRequest(success=[op_put(b"k%d" % i) for i in range(129)]),
    ),
    "txn duplicate put": ("KV", "Txn", pb.TxnRequest(success=[op_put(b"d"), op_put(b"d")])),
    "txn put inside a delete": (
        "KV", "Txn", pb.TxnRequest(success=[
            pb.RequestOp(request_delete_range=pb.DeleteRangeRequest(key=b"a", range_end=b"z")),
            op_put(b"m"),
        ]),
    ),
    "txn put with unknown lease": (
        "KV", "Txn", pb.TxnRequest(success=[
            op_put(b"ok"),
            pb.RequestOp(request_put=pb.PutRequest(key=b"x", value=b"v", lease=77)),
        ]),
    ),
    "request too large": ("KV", "Put", pb.PutRequest(key=b"big", value=b"x" * (1600 * 1024))),
    "lease ttl too large": ("Lease", "LeaseGrant", pb.LeaseGrantRequest(TTL=9_000_000_001)),
    "revoke unknown lease": ("Lease", "LeaseRevoke", pb.LeaseRevokeRequest(ID=0x4321)),
}


def answers(kind: str, tmp_path) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    with StoreProcess(kind, str(tmp_path / kind)) as store, grpc.insecure_channel(
        store.endpoint
    ) as channel:
        stubs = {
            "KV": rpc_pb2_grpc.KVStub(channel),
            "Lease": rpc_pb2_grpc.LeaseStub(channel),
        }
        kv = stubs["KV"]
        for i in range(4):  # revisions 2..5, then compact at 4
            kv.Put(pb.PutRequest(key=b"k", value=b"%d" % i))
        kv.Compact(pb.CompactionRequest(revision=4, physical=True))
        for name, (service, method, request) in BAD_REQUESTS.items():
            before = kv.Range(pb.RangeRequest(key=b"\0", range_end=b"\0"))
            try:
                getattr(stubs[service], method)(request, timeout=10)
                out[name] = ("OK",)
            except grpc.RpcError as e:
                out[name] = (e.code().name, e.details())
            after = kv.Range(pb.RangeRequest(key=b"\0", range_end=b"\0"))
            assert after.header.revision == before.header.revision, f"{name} changed the store"
            assert list(after.kvs) == list(before.kvs), f"{name} changed the store"
    return out


def test_bad_requests_answered_as_etcd(tmp_path):
    etcd, kubelite = answers("etcd", tmp_path), answers("kubelite", tmp_path)
    assert all(a != ("OK",) for a in etcd.values()), etcd
    assert kubelite == etcd


@pytest.mark.parametrize("kind", ["etcd", "kubelite"])
def test_malformed_message_is_refused(kind, tmp_path):
    with StoreProcess(kind, str(tmp_path / kind)) as store, grpc.insecure_channel(
        store.endpoint
    ) as channel:
        raw = channel.unary_unary("/etcdserverpb.KV/Put")
        with pytest.raises(grpc.RpcError) as e:
            raw(b"\xff\xff\xff", timeout=10)
        assert e.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
        count = rpc_pb2_grpc.KVStub(channel).Range(pb.RangeRequest(key=b"\0", range_end=b"\0"))
        assert count.header.revision == 1 and not count.kvs
