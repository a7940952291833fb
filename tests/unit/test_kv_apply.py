"""Unit tests for etcd 3.4's KV request validation and apply semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2 as pb
from kubelite.store import errors
from kubelite.store.kv_apply import (
    KVApplier,
    check_delete_range,
    check_put,
    check_range,
    check_txn,
    is_txn_readonly,
)
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.kvstore import KVStore
from kubelite.store.mvcc.revision import bytes_to_rev

Compare, RangeRequest = pb.Compare, pb.RangeRequest


class FakeLessor:
    def __init__(self, *leases: int) -> None:
        self.leases = set(leases)
        self.items: dict[int, set[bytes]] = {}

    def exists(self, lease_id: int) -> bool:
        return lease_id in self.leases

    def attach(self, lease_id: int, key: bytes) -> None:
        self.items.setdefault(lease_id, set()).add(key)

    def detach(self, lease_id: int, key: bytes) -> None:
        self.items[lease_id].discard(key)


@pytest.fixture
def kv(tmp_path: Path) -> KVStore:
    s = KVStore(Backend(str(tmp_path / "db"), map_size=64 << 20))
    yield s
    s.backend.close()


@pytest.fixture
def lessor() -> FakeLessor:
    return FakeLessor(100, 200)


@pytest.fixture
def app(kv: KVStore, lessor: FakeLessor) -> KVApplier:
    return KVApplier(kv, lessor)


def run(app: KVApplier, method: str, req):
    """Apply one request in its own write transaction, as the server does."""
    with app.kv.write(app.kv.consistent_index + 1) as txw:
        resp = getattr(app, method)(txw, req)
        txw.end()
    return resp


def put(app: KVApplier, key: bytes, value: bytes = b"", **kw) -> pb.PutResponse:
    return run(app, "put", pb.PutRequest(key=key, value=value, **kw))


def op_put(key: bytes, value: bytes = b"", **kw) -> pb.RequestOp:
    return pb.RequestOp(request_put=pb.PutRequest(key=key, value=value, **kw))


def op_del(key: bytes, end: bytes = b"", **kw) -> pb.RequestOp:
    return pb.RequestOp(request_delete_range=pb.DeleteRangeRequest(key=key, range_end=end, **kw))


def op_range(key: bytes, end: bytes = b"", **kw) -> pb.RequestOp:
    return pb.RequestOp(request_range=pb.RangeRequest(key=key, range_end=end, **kw))


def op_txn(**kw) -> pb.RequestOp:
    return pb.RequestOp(request_txn=pb.TxnRequest(**kw))


def raises(err: errors.EtcdError, fn, *args, **kw) -> None:
    with pytest.raises(errors.EtcdError) as e:
        fn(*args, **kw)
    assert e.value == err


# -- validation ------------------------------------------------------------------


def test_check_simple_requests() -> None:
    raises(errors.EMPTY_KEY, check_range, pb.RangeRequest())
    raises(errors.EMPTY_KEY, check_put, pb.PutRequest(value=b"v"))
    raises(errors.EMPTY_KEY, check_delete_range, pb.DeleteRangeRequest(range_end=b"z"))
    raises(errors.VALUE_PROVIDED, check_put, pb.PutRequest(key=b"k", value=b"v", ignore_value=True))
    raises(errors.LEASE_PROVIDED, check_put, pb.PutRequest(key=b"k", lease=1, ignore_lease=True))
    check_range(pb.RangeRequest(key=b"k"))
    check_put(pb.PutRequest(key=b"k", ignore_value=True, ignore_lease=True))
    check_delete_range(pb.DeleteRangeRequest(key=b"k"))


def test_check_txn_op_counts_and_ops() -> None:
    many = [op_range(b"k")] * 129
    raises(errors.TOO_MANY_OPS, check_txn, pb.TxnRequest(success=many))
    raises(errors.TOO_MANY_OPS, check_txn, pb.TxnRequest(failure=many))
    cmps = [Compare(key=b"k")] * 129
    raises(errors.TOO_MANY_OPS, check_txn, pb.TxnRequest(compare=cmps))
    check_txn(pb.TxnRequest(success=many[:128]))
    raises(errors.TOO_MANY_OPS, check_txn, pb.TxnRequest(success=many[:3]), 2)
    # a nested txn gets what the outer one leaves of the budget
    nested = op_txn(success=[op_range(b"k")] * 3)
    raises(errors.TOO_MANY_OPS, check_txn, pb.TxnRequest(success=[nested, nested]), 4)
    check_txn(pb.TxnRequest(success=[nested, nested]), 5)
    raises(errors.EMPTY_KEY, check_txn, pb.TxnRequest(compare=[Compare()]))
    raises(errors.EMPTY_KEY, check_txn, pb.TxnRequest(failure=[op_put(b"")]))
    raises(errors.EMPTY_KEY, check_txn, pb.TxnRequest(success=[op_txn(success=[op_del(b"")])]))
    raises(
        errors.VALUE_PROVIDED,
        check_txn,
        pb.TxnRequest(success=[op_put(b"k", b"v", ignore_value=True)]),
    )
    raises(errors.KEY_NOT_FOUND, check_txn, pb.TxnRequest(success=[pb.RequestOp()]))


@pytest.mark.parametrize(
    "ops",
    [
        [op_put(b"a"), op_put(b"a")],
        [op_del(b"a"), op_put(b"a")],
        [op_put(b"b"), op_del(b"a", b"c")],
        [op_put(b"zzz"), op_del(b"m", b"\x00")],
        [op_put(b"a"), op_txn(success=[op_put(b"a")])],
        [op_put(b"a"), op_txn(failure=[op_put(b"a")])],
        [op_del(b"a", b"c"), op_txn(success=[op_put(b"b")])],
        [op_txn(success=[op_del(b"a")]), op_put(b"a")],
        [op_txn(success=[op_put(b"a")]), op_txn(failure=[op_put(b"a")])],
        [op_txn(success=[op_txn(success=[op_put(b"x"), op_put(b"x")])])],
    ],
)
def test_check_txn_duplicate_keys(ops: list[pb.RequestOp]) -> None:
    raises(errors.DUPLICATE_KEY, check_txn, pb.TxnRequest(success=ops))
    raises(errors.DUPLICATE_KEY, check_txn, pb.TxnRequest(failure=ops))


@pytest.mark.parametrize(
    "ops",
    [
        [op_put(b"a"), op_put(b"b"), op_range(b"a")],
        [op_del(b"a", b"c"), op_del(b"b", b"d"), op_del(b"b")],
        [op_put(b"c"), op_del(b"a", b"c")],
        [op_put(b"a"), op_del(b"b", b"\x00")],
        [op_txn(success=[op_put(b"a")], failure=[op_put(b"a")])],
        [op_txn(success=[op_del(b"a")], failure=[op_put(b"a")])],
    ],
)
def test_check_txn_allowed_overlaps(ops: list[pb.RequestOp]) -> None:
    check_txn(pb.TxnRequest(success=ops))
    # the two branches never run together
    check_txn(pb.TxnRequest(success=[op_put(b"a")], failure=[op_put(b"a")]))


def test_is_txn_readonly() -> None:
    assert is_txn_readonly(
        pb.TxnRequest(success=[op_range(b"a"), op_txn(failure=[op_range(b"b")])])
    )
    assert not is_txn_readonly(pb.TxnRequest(failure=[op_txn(success=[op_del(b"a")])]))


# -- range -------------------------------------------------------------------------


@pytest.fixture
def filled(app: KVApplier) -> KVApplier:
    # a: created 2, version 3, mod 6; b: 3/1/3; c: 4/2/7; d: 5/1/5
    put(app, b"a", b"3")  # 2
    put(app, b"b", b"1")  # 3
    put(app, b"c", b"2")  # 4
    put(app, b"d", b"4")  # 5
    put(app, b"a", b"3")  # 6
    put(app, b"c", b"0")  # 7
    put(app, b"a", b"9")  # 8
    return app


def rng(app: KVApplier, **kw) -> pb.RangeResponse:
    kw.setdefault("key", b"a")
    kw.setdefault("range_end", b"\x00")
    return app.range(pb.RangeRequest(**kw))


def keys(resp: pb.RangeResponse) -> list[bytes]:
    return [kv.key for kv in resp.kvs]


def test_range_plain_limit_more_count(filled: KVApplier) -> None:
    r = rng(filled)
    assert (keys(r), r.count, r.more, r.header.revision) == ([b"a", b"b", b"c", b"d"], 4, False, 8)
    r = rng(filled, limit=2)
    assert (keys(r), r.count, r.more) == ([b"a", b"b"], 4, True)
    r = rng(filled, limit=4)
    assert (keys(r), r.count, r.more) == ([b"a", b"b", b"c", b"d"], 4, False)
    r = rng(filled, count_only=True)
    assert (list(r.kvs), r.count, r.more) == ([], 4, False)
    r = rng(filled, keys_only=True, limit=1)
    assert (r.kvs[0].key, r.kvs[0].value, r.kvs[0].version) == (b"a", b"", 3)
    assert rng(filled).kvs[0].value == b"9"  # keys_only did not touch the store
    r = rng(filled, key=b"b", range_end=b"d", revision=4)
    assert (keys(r), r.header.revision) == ([b"b", b"c"], 8)
    r = rng(filled, key=b"a", range_end=b"")
    assert [kv.value for kv in r.kvs] == [b"9"]


@pytest.mark.parametrize(
    "target, order, want",
    [
        (RangeRequest.KEY, RangeRequest.DESCEND, [b"d", b"c", b"b", b"a"]),
        (RangeRequest.KEY, RangeRequest.ASCEND, [b"a", b"b", b"c", b"d"]),
        (RangeRequest.VERSION, RangeRequest.ASCEND, [b"b", b"d", b"c", b"a"]),
        (RangeRequest.VERSION, RangeRequest.NONE, [b"b", b"d", b"c", b"a"]),
        (RangeRequest.VERSION, RangeRequest.DESCEND, [b"a", b"c", b"b", b"d"]),
        (RangeRequest.CREATE, RangeRequest.DESCEND, [b"d", b"c", b"b", b"a"]),
        (RangeRequest.MOD, RangeRequest.ASCEND, [b"b", b"d", b"c", b"a"]),
        (RangeRequest.VALUE, RangeRequest.ASCEND, [b"c", b"b", b"d", b"a"]),
        (RangeRequest.VALUE, RangeRequest.DESCEND, [b"a", b"d", b"b", b"c"]),
    ],
)
def test_range_sort(filled: KVApplier, target: int, order: int, want: list[bytes]) -> None:
    r = rng(filled, sort_target=target, sort_order=order)
    assert keys(r) == want
    r = rng(filled, sort_target=target, sort_order=order, limit=2)
    if order != RangeRequest.NONE:  # sorted over everything, then cut
        assert (keys(r), r.more, r.count) == (want[:2], True, 4)


def test_range_sort_without_order_sorts_only_the_page(filled: KVApplier) -> None:
    # etcd fetches limit+1 keys, then sorts them ascending by the target
    r = rng(filled, sort_target=RangeRequest.VALUE, limit=2)
    assert (keys(r), r.more) == ([b"c", b"b"], True)


def test_range_filters(filled: KVApplier) -> None:
    r = rng(filled, min_mod_revision=5)
    assert (keys(r), r.count) == ([b"a", b"c", b"d"], 4)
    assert keys(rng(filled, max_mod_revision=5)) == [b"b", b"d"]
    assert keys(rng(filled, min_create_revision=3, max_create_revision=4)) == [b"b", b"c"]
    r = rng(filled, min_mod_revision=4, limit=1)
    assert (keys(r), r.more, r.count) == ([b"a"], True, 4)


def test_range_errors(filled: KVApplier) -> None:
    raises(errors.FUTURE_REV, rng, filled, revision=9)
    filled.kv.compact(5)
    raises(errors.COMPACTED, rng, filled, revision=4)
    assert keys(rng(filled, revision=5)) == [b"a", b"b", b"c", b"d"]


# -- put and delete ------------------------------------------------------------------


def test_put(app: KVApplier, lessor: FakeLessor) -> None:
    r = put(app, b"k", b"v1", lease=100)
    assert r.header.revision == 2 and not r.HasField("prev_kv")
    assert lessor.items == {100: {b"k"}}
    r = put(app, b"k", b"v2", prev_kv=True)
    assert r.header.revision == 3
    assert (r.prev_kv.value, r.prev_kv.lease) == (b"v1", 100)
    assert lessor.items == {100: set()}
    put(app, b"k", b"v3", lease=200)
    r = put(app, b"k", ignore_value=True, ignore_lease=True, prev_kv=True)
    assert r.prev_kv.value == b"v3"
    kv = app.range(pb.RangeRequest(key=b"k")).kvs[0]
    assert (kv.value, kv.lease, kv.version) == (b"v3", 200, 4)
    put(app, b"k", b"v5", ignore_lease=True)
    kv = app.range(pb.RangeRequest(key=b"k")).kvs[0]
    assert (kv.value, kv.lease) == (b"v5", 200)
    assert lessor.items[200] == {b"k"}


def test_put_errors_change_nothing(app: KVApplier, kv: KVStore) -> None:
    raises(errors.LEASE_NOT_FOUND, put, app, b"k", b"v", lease=5)
    raises(errors.KEY_NOT_FOUND, put, app, b"k", ignore_value=True)
    raises(errors.KEY_NOT_FOUND, put, app, b"k", b"v", ignore_lease=True)
    assert kv.current_revision == 1
    assert app.range(pb.RangeRequest(key=b"k")).count == 0


def test_delete_range(app: KVApplier, lessor: FakeLessor) -> None:
    put(app, b"a", b"1", lease=100)
    put(app, b"b", b"2")
    put(app, b"c", b"3")
    r = run(app, "delete_range", pb.DeleteRangeRequest(key=b"a", range_end=b"c", prev_kv=True))
    assert (r.deleted, [kv.key for kv in r.prev_kvs], r.header.revision) == (2, [b"a", b"b"], 5)
    assert lessor.items == {100: set()}
    r = run(app, "delete_range", pb.DeleteRangeRequest(key=b"a", range_end=b"\x00"))
    assert (r.deleted, list(r.prev_kvs), r.header.revision) == (1, [], 6)
    r = run(app, "delete_range", pb.DeleteRangeRequest(key=b"a", range_end=b"\x00"))
    assert (r.deleted, r.header.revision) == (0, 6)
    assert app.kv.current_revision == 6


# -- txn ------------------------------------------------------------------------------


def txn(app: KVApplier, **kw) -> pb.TxnResponse:
    return run(app, "txn", pb.TxnRequest(**kw))


def cmp(key: bytes, target: int, result: int, end: bytes = b"", **value) -> pb.Compare:
    return Compare(key=key, target=target, result=result, range_end=end, **value)


EQ, NE, GT, LT = Compare.EQUAL, Compare.NOT_EQUAL, Compare.GREATER, Compare.LESS


@pytest.mark.parametrize(
    "c, want",
    [
        (cmp(b"k", Compare.VERSION, EQ, version=2), True),
        (cmp(b"k", Compare.VERSION, NE, version=2), False),
        (cmp(b"k", Compare.VERSION, GT, version=1), True),
        (cmp(b"k", Compare.VERSION, LT, version=2), False),
        (cmp(b"k", Compare.CREATE, EQ, create_revision=2), True),
        (cmp(b"k", Compare.CREATE, LT, create_revision=3), True),
        (cmp(b"k", Compare.MOD, EQ, mod_revision=3), True),
        (cmp(b"k", Compare.MOD, GT, mod_revision=3), False),
        (cmp(b"k", Compare.VALUE, EQ, value=b"v2"), True),
        (cmp(b"k", Compare.VALUE, GT, value=b"v10"), True),
        (cmp(b"k", Compare.VALUE, LT, value=b"v10"), False),
        (cmp(b"k", Compare.VALUE, NE, value=b"v2"), False),
        (cmp(b"k", Compare.LEASE, EQ, lease=100), True),
        (cmp(b"k", Compare.LEASE, NE, lease=0), True),
        # the target_union member that does not match the target reads as 0
        (cmp(b"k", Compare.VERSION, EQ, mod_revision=2), False),
        (cmp(b"k", Compare.VERSION, GT), True),
        # a missing key compares as all zeros, but never on its value
        (cmp(b"nope", Compare.VERSION, EQ, version=0), True),
        (cmp(b"nope", Compare.CREATE, EQ), True),
        (cmp(b"nope", Compare.MOD, LT, mod_revision=1), True),
        (cmp(b"nope", Compare.VALUE, EQ, value=b""), False),
        (cmp(b"nope", Compare.VALUE, NE, value=b"x"), False),
        # over a range every key must hold
        (cmp(b"j", Compare.VERSION, GT, b"l", version=0), True),
        (cmp(b"j", Compare.VERSION, GT, b"\x00", version=1), False),
        (cmp(b"j", Compare.CREATE, GT, b"\x00", create_revision=1), True),
    ],
)
def test_txn_compares(app: KVApplier, c: pb.Compare, want: bool) -> None:
    put(app, b"k", b"v1", lease=100)  # 2
    put(app, b"k", b"v2", lease=100)  # 3
    put(app, b"z", b"z")  # 4
    r = txn(app, compare=[c], success=[op_range(b"k")], failure=[op_range(b"z")])
    assert r.succeeded is want
    assert r.header.revision == 4
    assert r.responses[0].response_range.kvs[0].key == (b"k" if want else b"z")


def test_txn_all_compares_must_hold(app: KVApplier) -> None:
    put(app, b"k", b"v")
    yes = cmp(b"k", Compare.VERSION, EQ, version=1)
    no = cmp(b"k", Compare.VALUE, EQ, value=b"x")
    assert txn(app, compare=[yes, yes]).succeeded
    assert not txn(app, compare=[yes, no]).succeeded
    assert txn(app).succeeded  # no compares: success


def test_txn_revision_numbering_and_responses(app: KVApplier, kv: KVStore) -> None:
    put(app, b"a", b"0")  # 2
    r = txn(
        app,
        success=[
            op_range(b"a"),
            op_put(b"a", b"1", prev_kv=True),
            op_range(b"a"),
            op_txn(
                compare=[cmp(b"a", Compare.VALUE, EQ, value=b"0")],  # seen before the txn
                success=[op_put(b"b", b"1")],
                failure=[op_put(b"c", b"1")],
            ),
            op_del(b"z"),
            op_range(b"a", b"\x00"),
        ],
    )
    assert r.succeeded and r.header.revision == 3
    rs = r.responses
    assert rs[0].response_range.header.revision == 2
    assert rs[0].response_range.kvs[0].value == b"0"
    assert rs[1].response_put.header.revision == 3
    assert rs[1].response_put.prev_kv.value == b"0"
    assert rs[2].response_range.kvs[0].value == b"1"  # sees the txn's own put
    assert rs[2].response_range.header.revision == 3
    assert rs[3].response_txn.succeeded
    assert rs[3].response_txn.header.revision == 3
    assert rs[3].response_txn.responses[0].response_put.header.revision == 3
    assert rs[4].response_delete_range.deleted == 0
    assert [kv.key for kv in rs[5].response_range.kvs] == [b"a", b"b"]
    with kv.backend.read() as t:
        revs = [bytes_to_rev(k)[0] for k, _ in t.cursor(db=kv.backend.key_db)]
    assert revs == [(2, 0), (3, 0), (3, 1)]


def test_txn_that_only_reads_keeps_revision(app: KVApplier, kv: KVStore) -> None:
    put(app, b"a", b"0")
    r = txn(app, success=[op_range(b"a"), op_del(b"nothing")])
    assert r.header.revision == 2 and kv.current_revision == 2
    ro = pb.TxnRequest(
        compare=[cmp(b"a", Compare.VERSION, EQ, version=1)],
        success=[op_range(b"a"), op_txn(success=[op_range(b"a", count_only=True)])],
    )
    r = app.txn(None, ro)
    assert r.succeeded and r.header.revision == 2
    assert r.responses[1].response_txn.responses[0].response_range.count == 1
    with pytest.raises(ValueError):
        app.txn(None, pb.TxnRequest(success=[op_put(b"a")]))


@pytest.mark.parametrize(
    "ops, err",
    [
        ([op_put(b"a", b"1"), op_put(b"b", b"1", lease=5)], errors.LEASE_NOT_FOUND),
        ([op_put(b"a", b"1"), op_put(b"nope", ignore_value=True)], errors.KEY_NOT_FOUND),
        ([op_del(b"a"), op_txn(success=[op_put(b"x", lease=7)])], errors.LEASE_NOT_FOUND),
        ([op_put(b"a", b"1"), op_range(b"a", revision=5)], errors.FUTURE_REV),
        ([op_put(b"a", b"1"), op_range(b"a", revision=2)], errors.COMPACTED),
    ],
)
def test_failed_txn_changes_nothing(
    app: KVApplier, kv: KVStore, lessor: FakeLessor, ops: list[pb.RequestOp], err
) -> None:
    put(app, b"a", b"0", lease=100)  # 2
    put(app, b"a", b"0", lease=100)  # 3
    kv.compact(3)
    before = (kv.current_revision, kv.hash(), dict(lessor.items))
    raises(err, txn, app, success=ops)
    assert (kv.current_revision, kv.hash(), lessor.items) == before
    # the branch not taken is not checked
    r = txn(app, compare=[cmp(b"a", Compare.VERSION, EQ, version=9)], success=ops)
    assert not r.succeeded


def test_txn_leases(app: KVApplier, lessor: FakeLessor) -> None:
    put(app, b"a", b"0", lease=100)
    txn(app, success=[op_put(b"a", b"1", lease=200), op_put(b"b", b"1", lease=100)])
    assert lessor.items == {100: {b"b"}, 200: {b"a"}}
    txn(app, success=[op_del(b"a", b"\x00")])
    assert lessor.items == {100: set(), 200: set()}


def test_compact(app: KVApplier, kv: KVStore) -> None:
    put(app, b"a", b"0")
    put(app, b"a", b"1")
    r = app.compact(pb.CompactionRequest(revision=2))
    assert r.header.revision == 3 and kv.compact_revision == 2
    raises(errors.COMPACTED, app.compact, pb.CompactionRequest(revision=2))
    raises(errors.FUTURE_REV, app.compact, pb.CompactionRequest(revision=4))
