"""etcd 3.4's KV request semantics: validation and applying requests to MVCC.

The ``check_*`` functions are what etcd's gRPC layer checks before a request
is proposed; they raise etcd's errors and touch nothing. ``KVApplier`` applies
Range, Put, DeleteRange, Txn and Compaction requests to a ``KVStore`` the way
etcd's applier does, taking and returning ``etcdserverpb`` messages; it sets
``header.revision`` and leaves the rest of the header to the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import chain
from operator import attrgetter
from typing import Any, Protocol

from kubelite.etcdpb.etcdserverpb import rpc_pb2
from kubelite.etcdpb.mvccpb import kv_pb2
from kubelite.store import errors
from kubelite.store.mvcc.key_index import FROM_KEY
from kubelite.store.mvcc.kvstore import KVStore, RangeResult, TxnWrite

RangeRequest = rpc_pb2.RangeRequest
Compare = rpc_pb2.Compare


class Lessor(Protocol):
    """What the applier needs from the lease keeper."""

    def exists(self, lease_id: int) -> bool: ...

    def attach(self, lease_id: int, key: bytes) -> None: ...

    def detach(self, lease_id: int, key: bytes) -> None: ...


class View(Protocol):
    """A store or a write transaction: something ranges can read through."""

    def range(
        self,
        key: bytes,
        range_end: bytes,
        *,
        revision: int = 0,
        limit: int = 0,
        count_only: bool = False,
    ) -> RangeResult: ...


# -- validation (before proposing) ---------------------------------------------


def check_range(req: rpc_pb2.RangeRequest) -> None:
    if not req.key:
        raise errors.EMPTY_KEY


def check_put(req: rpc_pb2.PutRequest) -> None:
    if not req.key:
        raise errors.EMPTY_KEY
    if req.ignore_value and req.value:
        raise errors.VALUE_PROVIDED
    if req.ignore_lease and req.lease:
        raise errors.LEASE_PROVIDED


def check_delete_range(req: rpc_pb2.DeleteRangeRequest) -> None:
    if not req.key:
        raise errors.EMPTY_KEY


def check_txn(req: rpc_pb2.TxnRequest, max_txn_ops: int = 128) -> None:
    """Every op valid, none too many, no branch writing one key twice."""
    _check_txn_ops(req, max_txn_ops)
    _check_intervals(req.success)
    _check_intervals(req.failure)


def _check_txn_ops(req: rpc_pb2.TxnRequest, max_ops: int) -> None:
    opc = max(len(req.compare), len(req.success), len(req.failure))
    if opc > max_ops:
        raise errors.TOO_MANY_OPS
    for c in req.compare:
        if not c.key:
            raise errors.EMPTY_KEY
    for op in chain(req.success, req.failure):
        which = op.WhichOneof("request")
        if which == "request_range":
            check_range(op.request_range)
        elif which == "request_put":
            check_put(op.request_put)
        elif which == "request_delete_range":
            check_delete_range(op.request_delete_range)
        elif which == "request_txn":
            _check_txn_ops(op.request_txn, max_ops - opc)
        else:
            raise errors.KEY_NOT_FOUND


# A deleted interval [begin, end); end None: no end.
_Interval = tuple[bytes, bytes | None]


def _deletes(dels: list[_Interval], key: bytes) -> bool:
    return any(b <= key and (e is None or key < e) for b, e in dels)


def _check_intervals(ops: Iterable[rpc_pb2.RequestOp]) -> tuple[set[bytes], list[_Interval]]:
    """etcd's checkIntervals: raise DUPLICATE_KEY if one branch puts a key
    twice or puts a key it also deletes; return the branch's puts and deletes.

    A nested txn's two branches are each checked against this branch and
    may put the same key, since only one of them runs.
    """
    dels: list[_Interval] = []
    for op in ops:
        if op.WhichOneof("request") == "request_delete_range":
            d = op.request_delete_range
            if not d.range_end:
                dels.append((d.key, d.key + b"\x00"))
            else:
                dels.append((d.key, None if d.range_end == FROM_KEY else d.range_end))
    puts: set[bytes] = set()
    for op in ops:
        if op.WhichOneof("request") != "request_txn":
            continue
        puts_then, dels_then = _check_intervals(op.request_txn.success)
        puts_else, dels_else = _check_intervals(op.request_txn.failure)
        for k in puts_then:
            if k in puts or _deletes(dels, k):
                raise errors.DUPLICATE_KEY
            puts.add(k)
        for k in puts_else:
            if (k in puts and k not in puts_then) or _deletes(dels, k):
                raise errors.DUPLICATE_KEY
            puts.add(k)
        dels += dels_then
        dels += dels_else
    for op in ops:
        if op.WhichOneof("request") != "request_put":
            continue
        k = op.request_put.key
        if k in puts or _deletes(dels, k):
            raise errors.DUPLICATE_KEY
        puts.add(k)
    return puts, dels


def is_txn_readonly(req: rpc_pb2.TxnRequest) -> bool:
    """True if no op of either branch, nested txns included, writes."""
    for op in chain(req.success, req.failure):
        which = op.WhichOneof("request")
        if which == "request_txn":
            if not is_txn_readonly(op.request_txn):
                return False
        elif which != "request_range":
            return False
    return True


# -- compares ------------------------------------------------------------------

_COMPARE_FIELDS = {
    Compare.VERSION: "version",
    Compare.CREATE: "create_revision",
    Compare.MOD: "mod_revision",
    Compare.VALUE: "value",
    Compare.LEASE: "lease",
}
_ZERO_KV = kv_pb2.KeyValue()


def _holds(result: int, actual: Any, wanted: Any) -> bool:
    if result == Compare.EQUAL:
        return actual == wanted
    if result == Compare.NOT_EQUAL:
        return actual != wanted
    if result == Compare.GREATER:
        return actual > wanted
    if result == Compare.LESS:
        return actual < wanted
    return True


def _compare(view: View, c: rpc_pb2.Compare) -> bool:
    """One compare over every key of its range; a missing key is all zeros,
    except that a value compare against a missing key is always false."""
    kvs = view.range(c.key, c.range_end).kvs
    if not kvs:
        if c.target == Compare.VALUE:
            return False
        kvs = [_ZERO_KV]
    field = _COMPARE_FIELDS.get(c.target)
    if field is None:  # an unknown target compares equal, as in etcd
        return _holds(c.result, 0, 0)
    # an unset (or other) target_union member reads as the zero value
    wanted = getattr(c, field)
    return all(_holds(c.result, getattr(kv, field), wanted) for kv in kvs)


# A txn's chosen branch and, in order, the decisions of the txns nested in it.
_Decision = tuple[bool, list["_Decision"]]


def _decide(view: View, req: rpc_pb2.TxnRequest) -> _Decision:
    """Evaluate every compare on the chosen path up front, as etcd does."""
    ok = all(_compare(view, c) for c in req.compare)
    ops = req.success if ok else req.failure
    return ok, [_decide(view, op.request_txn) for op in ops if op.HasField("request_txn")]


def _walk(
    req: rpc_pb2.TxnRequest, decision: _Decision, visit: Callable[[rpc_pb2.RequestOp], None]
) -> None:
    """Call ``visit`` on each non-txn op of the chosen path, depth first."""
    ok, nested = decision
    inner = iter(nested)
    for op in req.success if ok else req.failure:
        if op.HasField("request_txn"):
            _walk(op.request_txn, next(inner), visit)
        else:
            visit(op)


# -- range sorting -------------------------------------------------------------

_SORT_KEYS = {
    RangeRequest.KEY: attrgetter("key"),
    RangeRequest.VERSION: attrgetter("version"),
    RangeRequest.CREATE: attrgetter("create_revision"),
    RangeRequest.MOD: attrgetter("mod_revision"),
    RangeRequest.VALUE: attrgetter("value"),
}


class KVApplier:
    """Applies KV requests to the store as etcd 3.4's applier does."""

    def __init__(self, kv: KVStore, lessor: Lessor) -> None:
        self.kv = kv
        self.lessor = lessor

    # -- range -----------------------------------------------------------------

    def range(
        self, req: rpc_pb2.RangeRequest, txw: TxnWrite | None = None
    ) -> rpc_pb2.RangeResponse:
        resp = rpc_pb2.RangeResponse()
        self._range_into(self.kv if txw is None else txw, req, resp)
        return resp

    def _range_into(
        self, view: View, req: rpc_pb2.RangeRequest, resp: rpc_pb2.RangeResponse
    ) -> None:
        sort_order = req.sort_order
        filtered = (
            req.min_mod_revision
            or req.max_mod_revision
            or req.min_create_revision
            or req.max_create_revision
        )
        limit = req.limit
        if sort_order != RangeRequest.NONE or filtered:
            limit = 0  # fetch everything; sort and truncate afterwards
        elif limit > 0:
            limit += 1  # one more, to tell whether there is more
        rr = view.range(
            req.key, req.range_end, revision=req.revision, limit=limit, count_only=req.count_only
        )
        kvs = rr.kvs
        if filtered:
            if req.max_mod_revision:
                kvs = [kv for kv in kvs if kv.mod_revision <= req.max_mod_revision]
            if req.min_mod_revision:
                kvs = [kv for kv in kvs if kv.mod_revision >= req.min_mod_revision]
            if req.max_create_revision:
                kvs = [kv for kv in kvs if kv.create_revision <= req.max_create_revision]
            if req.min_create_revision:
                kvs = [kv for kv in kvs if kv.create_revision >= req.min_create_revision]
        if req.sort_target != RangeRequest.KEY and sort_order == RangeRequest.NONE:
            sort_order = RangeRequest.ASCEND
        if sort_order != RangeRequest.NONE:
            kvs = sorted(
                kvs,
                key=_SORT_KEYS.get(req.sort_target, _SORT_KEYS[RangeRequest.KEY]),
                reverse=sort_order == RangeRequest.DESCEND,
            )
        if 0 < req.limit < len(kvs):
            kvs = kvs[: req.limit]
            resp.more = True
        resp.header.revision = rr.revision
        resp.count = rr.count
        resp.kvs.extend(kvs)  # copies: the store's kvs are never changed here
        if req.keys_only:
            for kv in resp.kvs:
                kv.ClearField("value")

    # -- put ---------------------------------------------------------------------

    def put(self, txw: TxnWrite, req: rpc_pb2.PutRequest) -> rpc_pb2.PutResponse:
        resp = rpc_pb2.PutResponse()
        self._put_into(txw, req, resp)
        return resp

    def _put_into(self, txw: TxnWrite, req: rpc_pb2.PutRequest, resp: rpc_pb2.PutResponse) -> None:
        key, value, lease = req.key, req.value, req.lease
        if lease and not self.lessor.exists(lease):
            raise errors.LEASE_NOT_FOUND
        if req.ignore_value or req.ignore_lease:
            kvs = txw.range(key, b"").kvs
            if not kvs:
                raise errors.KEY_NOT_FOUND
            if req.ignore_value:
                value = kvs[0].value
            if req.ignore_lease:
                lease = kvs[0].lease
        prev = txw.put(key, value, lease)
        old_lease = 0
        if prev is not None:
            old_lease = prev.lease
            if req.prev_kv:
                resp.prev_kv.CopyFrom(prev)
        if old_lease != lease:
            if old_lease:
                self.lessor.detach(old_lease, key)
            if lease:
                self.lessor.attach(lease, key)
        resp.header.revision = txw.revision

    # -- delete ------------------------------------------------------------------

    def delete_range(
        self, txw: TxnWrite, req: rpc_pb2.DeleteRangeRequest
    ) -> rpc_pb2.DeleteRangeResponse:
        resp = rpc_pb2.DeleteRangeResponse()
        self._delete_into(txw, req, resp)
        return resp

    def _delete_into(
        self, txw: TxnWrite, req: rpc_pb2.DeleteRangeRequest, resp: rpc_pb2.DeleteRangeResponse
    ) -> None:
        prevs = txw.delete_range(req.key, req.range_end)
        for kv in prevs:
            if kv.lease:
                self.lessor.detach(kv.lease, kv.key)
        resp.deleted = len(prevs)
        if req.prev_kv:
            resp.prev_kvs.extend(prevs)
        resp.header.revision = txw.revision

    # -- txn ---------------------------------------------------------------------

    def txn(self, txw: TxnWrite | None, req: rpc_pb2.TxnRequest) -> rpc_pb2.TxnResponse:
        """Apply a txn; ``txw`` may be None for a txn that only reads.

        All compares on the chosen path are evaluated first, then the path is
        checked (missing leases, ignore_* on missing keys, bad range
        revisions), so a txn that would fail halfway changes nothing.
        """
        if txw is None and not is_txn_readonly(req):
            raise ValueError("a txn that writes needs a write transaction")
        view: View = self.kv if txw is None else txw
        start_rev = self._revision(txw)
        decision = _decide(view, req)
        if txw is not None:
            _walk(req, decision, lambda op: self._precheck_put(view, op))
        _walk(req, decision, lambda op: self._precheck_range(start_rev, op))
        resp = rpc_pb2.TxnResponse()
        self._apply_txn(view, txw, req, decision, resp)
        resp.header.revision = self._revision(txw)
        return resp

    def _precheck_put(self, view: View, op: rpc_pb2.RequestOp) -> None:
        if not op.HasField("request_put"):
            return
        p = op.request_put
        if (p.ignore_value or p.ignore_lease) and not view.range(p.key, b"", count_only=True).count:
            raise errors.KEY_NOT_FOUND
        if p.lease and not self.lessor.exists(p.lease):
            raise errors.LEASE_NOT_FOUND

    def _precheck_range(self, start_rev: int, op: rpc_pb2.RequestOp) -> None:
        if not op.HasField("request_range"):
            return
        rev = op.request_range.revision
        if rev == 0:
            return
        if rev > start_rev:
            raise errors.FUTURE_REV
        if rev < self.kv.compact_revision:
            raise errors.COMPACTED

    def _apply_txn(
        self,
        view: View,
        txw: TxnWrite | None,
        req: rpc_pb2.TxnRequest,
        decision: _Decision,
        resp: rpc_pb2.TxnResponse,
    ) -> None:
        ok, nested = decision
        inner = iter(nested)
        resp.succeeded = ok
        for op in req.success if ok else req.failure:
            out = resp.responses.add()
            which = op.WhichOneof("request")
            if which == "request_range":
                self._range_into(view, op.request_range, out.response_range)
            elif which == "request_txn":
                sub = out.response_txn
                self._apply_txn(view, txw, op.request_txn, next(inner), sub)
                sub.header.revision = self._revision(txw)
            elif txw is not None and which == "request_put":
                self._put_into(txw, op.request_put, out.response_put)
            elif txw is not None and which == "request_delete_range":
                self._delete_into(txw, op.request_delete_range, out.response_delete_range)

    def _revision(self, txw: TxnWrite | None) -> int:
        return self.kv.current_revision if txw is None else txw.revision

    # -- compaction --------------------------------------------------------------

    def compact(self, req: rpc_pb2.CompactionRequest) -> rpc_pb2.CompactionResponse:
        """Compact at ``req.revision``; it always completes before returning."""
        self.kv.compact(req.revision)
        resp = rpc_pb2.CompactionResponse()
        resp.header.revision = self.kv.current_revision
        return resp
