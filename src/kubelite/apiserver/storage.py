"""Kubernetes object storage over etcd v3: the one place the API server talks
to the store, through an ordinary etcd client (gRPC), so that it runs on
kubelite's store and on a real etcd alike.

Objects live under keys such as /registry/<resource>/<namespace>/<name> as
compact JSON without metadata.resourceVersion; reading sets resourceVersion
to the key's mod_revision, as Kubernetes does. Writes are transactions with
a precondition on the key's revision (optimistic concurrency); reads are
linearizable.

Failures come out as `StatusError`s the HTTP layer can send: NotFound,
AlreadyExists and Conflict name the resource and object, given by the
writes' `resource=`, `name=` and `group=` (for a named API group) keywords;
the resource defaults to the key's second segment and the name to its last.

Lists page the way Kubernetes does: the first page reads at the current
revision (or the one asked for), later pages at the revision carried in the
continue token, so the pages form one consistent snapshot.

All watches of a `Storage` share one etcd Watch stream, each with an ID the
client assigns. When the stream breaks, it is reopened (on the next
endpoint when the store is unavailable) and every watch is re-created from
the revision after the last one it saw, so watchers miss nothing; only if
the store stays unreachable for the connection timeout do the watches fail.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Literal

import grpc
import orjson

from kubelite.apiserver.errors import (
    MODIFIED,
    StatusError,
    already_exists,
    bad_request,
    conflict,
    gone,
    internal,
    not_found,
    timeout,
    too_large,
)
from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from kubelite.etcdpb.mvccpb import kv_pb2

log = logging.getLogger("kubelite.apiserver")

Obj = dict[str, Any]

CONTINUE_VERSION = "meta.k8s.io/v1"
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue token "
    "in this response to retrieve the remainder of the results. Continuing with the "
    "provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list."
)
LIST_EXPIRED = "The resourceVersion for the provided list is too old."
# With a predicate, each further read from etcd asks for twice as many keys,
# up to this many, until the page is full (as Kubernetes does).
MAX_PAGE_READ = 10_000
# A watcher whose consumer falls this many etcd responses behind is ended, as
# Kubernetes ends watchers too slow to keep up; its client watches again from
# the last resourceVersion it saw.
MAX_WATCH_BACKLOG = 10_000
# Up to this size, an update checks "the bytes differ" inside its txn, which
# carries the value twice; a larger one reads the current value first.
MAX_INLINE_COMPARE_BYTES = 256 * 1024
# A key that never exists: ranging over it costs nothing and returns the header.
_PROBE_KEY = b"/registry"
_CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
    # Reconnect to a restarted store within a second, not after minutes of backoff.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]

_Compare = rpc_pb2.Compare


@dataclass
class ListResult:
    items: list[Obj]
    revision: int
    continue_token: str | None
    remaining: int | None  # objects left after this page; only without a predicate


@dataclass(slots=True)
class Change:
    """A key's value as the store holds it (None: deleted) at a revision."""

    key: str
    value: bytes | None
    revision: int


@dataclass
class WatchEvent:
    """One change. For DELETED, `object` is the last state with resourceVersion
    set to the delete's revision. `previous` is the state before the change
    (None for ADDED) so the registry can tell when an object starts or stops
    matching a selector. BOOKMARK carries only metadata.resourceVersion."""

    type: Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
    object: Obj
    revision: int
    previous: Obj | None = None


class ContinueExpired(StatusError):
    """410 Expired for a continue token whose revision was compacted; the
    Status carries a fresh token that continues at the latest revision."""

    def __init__(self, continue_token: str) -> None:
        super().__init__(410, "Expired", CONTINUE_EXPIRED)
        self.continue_token = continue_token

    @property
    def status(self) -> dict[str, Any]:
        out = super().status
        out["metadata"] = {"continue": self.continue_token}
        return out


class RevisionChanged(StatusError):
    """409 Conflict: the object is no longer at the revision a write or
    delete was conditioned on; another writer came first. The registry
    retries on the fresh object unless its client named the revision."""

    def __init__(self, resource: str, name: str, group: str, why: str) -> None:
        err = conflict(resource, name, why, group)
        super().__init__(err.code, err.reason, err.message, err.details)


class _Compacted(Exception):
    """etcd: the revision asked for has been compacted."""


class _FutureRevision(Exception):
    """etcd: the revision asked for is ahead of the store."""


def too_large_resource_version(revision: int, current: int) -> StatusError:
    return StatusError(
        504, "Timeout", f"Timeout: Too large resource version: {revision}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge",
                        "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


class Storage:
    """A connection to an etcd cluster, holding Kubernetes objects."""

    def __init__(self, endpoints: list[str], timeout: float) -> None:
        self._endpoints = endpoints
        self._timeout = timeout
        self._index = 0  # the endpoint in use
        self._channels: dict[int, grpc.aio.Channel] = {}
        self._stubs: dict[tuple[type, int], Any] = {}  # (stub class, endpoint) -> stub
        self._watches = _WatchMux(self)
        # Told (method, seconds) after every KV call, e.g. for metrics.
        self.observer: Callable[[str, float], None] | None = None

    @classmethod
    async def connect(cls, endpoints: list[str], timeout: float = 10) -> Storage:
        """Connect to the first endpoint that answers ("http://host:port" or
        "host:port"); others are failed over to when it becomes unavailable.
        Raises ConnectionError when none answers within `timeout`."""
        if not endpoints:
            raise ValueError("no etcd endpoints given")
        storage = cls([_target(e) for e in endpoints], timeout)
        failures = []
        for index, target in enumerate(storage._endpoints):
            try:
                await storage._stub(rpc_pb2_grpc.KVStub, index).Range(
                    rpc_pb2.RangeRequest(key=_PROBE_KEY, count_only=True),
                    timeout=timeout / len(endpoints), wait_for_ready=True,
                )
            except grpc.aio.AioRpcError as e:
                failures.append(f"{target}: {e.details() or e.code().name}")
                continue
            storage._index = index
            return storage
        await storage.close()
        raise ConnectionError("cannot reach etcd at " + "; ".join(failures))

    async def close(self) -> None:
        """End every watch and close the connections."""
        await self._watches.close()
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()
        self._stubs.clear()

    @property
    def watch_count(self) -> int:
        """Watches open on the store right now."""
        return len(self._watches.watchers)

    # -- reads -------------------------------------------------------------------

    async def get(self, key: str) -> Obj | None:
        """The object at `key`, or None."""
        response = await self._call("Range", rpc_pb2.RangeRequest(key=key.encode()))
        return _decode(response.kvs[0]) if response.kvs else None

    async def current_revision(self) -> int:
        response = await self._call(
            "Range", rpc_pb2.RangeRequest(key=_PROBE_KEY, count_only=True)
        )
        return response.header.revision

    async def list(
        self,
        prefix: str,
        *,
        limit: int = 0,
        continue_token: str | None = None,
        revision: int = 0,
        predicate: Callable[[Obj], bool] | None = None,
    ) -> ListResult:
        """The objects under `prefix` (a "/" is added if missing), at most
        `limit` of them (0: all) that pass `predicate`. `revision` 0 reads the
        latest state, N reads exactly at revision N; a continue token reads
        at the revision of the page that gave it."""
        prefix = _directory(prefix)
        start = prefix
        if continue_token:
            if revision:
                raise bad_request(
                    "specifying resource version is not allowed when using continue"
                )
            start, continue_rev = _decode_continue(continue_token, prefix)
            revision = max(continue_rev, 0)  # -1: continue at the latest revision
        end = _prefix_end(prefix.encode())
        key = start.encode()
        items: list[Obj] = []
        read = limit
        while True:
            request = rpc_pb2.RangeRequest(key=key, range_end=end, limit=read, revision=revision)
            try:
                response = await self._call("Range", request)
            except _Compacted:
                if continue_token:
                    raise ContinueExpired(_encode_continue(start, prefix, -1)) from None
                raise gone(LIST_EXPIRED) from None
            except _FutureRevision:
                current = await self.current_revision()
                raise too_large_resource_version(revision, current) from None
            revision = revision or response.header.revision
            more = response.more
            last = b""
            for kv in response.kvs:
                if limit and len(items) >= limit:
                    more = True
                    break
                last = kv.key
                obj = _decode(kv)
                if predicate is None or predicate(obj):
                    items.append(obj)
            if not more or not limit or len(items) >= limit:
                break
            read = min(read * 2, MAX_PAGE_READ)
            key = last + b"\0"
        if not more:
            return ListResult(items, revision, None, None)
        token = _encode_continue(last.decode() + "\0", prefix, revision)
        remaining = response.count - len(response.kvs) if predicate is None else None
        return ListResult(items, revision, token, remaining)

    # -- writes ------------------------------------------------------------------

    async def create(
        self, key: str, obj: Obj, *, resource: str = "", name: str = "", group: str = "",
    ) -> Obj:
        """Store a new object; AlreadyExists if the key is taken. Returns the
        object as stored, with its resourceVersion."""
        data = _encode(obj)
        response = await self._txn(
            [_Compare(key=key.encode(), target=_Compare.MOD, result=_Compare.EQUAL,
                      mod_revision=0)],
            [_put(key, data)], [],
        )
        if not response.succeeded:
            raise already_exists(*_names(key, resource, name, group))
        return decode_object(data, response.header.revision, key)

    async def update(
        self, key: str, obj: Obj, expected_rv: int, *, resource: str = "",
        name: str = "", group: str = "",
    ) -> Obj:
        """Replace the object if its revision is still `expected_rv`:
        NotFound if it is gone, RevisionChanged (409) if it changed. Writing
        the same bytes again changes nothing and keeps the revision, as in
        Kubernetes."""
        data = _encode(obj)
        k = key.encode()
        compares = [_Compare(key=k, target=_Compare.MOD, result=_Compare.EQUAL,
                             mod_revision=expected_rv)]
        if len(data) <= MAX_INLINE_COMPARE_BYTES:
            # "and the bytes differ" in the same txn: one round trip.
            compares.append(
                _Compare(key=k, target=_Compare.VALUE, result=_Compare.NOT_EQUAL, value=data)
            )
        else:
            # Sending the value twice could exceed etcd's request limit: read first.
            current = (await self._call("Range", rpc_pb2.RangeRequest(key=k))).kvs
            if current and current[0].value == data and expected_rv == current[0].mod_revision:
                return _decode(current[0])
        response = await self._txn(compares, [_put(key, data)], [_get(key)])
        if response.succeeded:
            return decode_object(data, response.header.revision, key)
        kvs = response.responses[0].response_range.kvs
        if not kvs:
            raise not_found(*_names(key, resource, name, group))
        if kvs[0].mod_revision != expected_rv:
            raise RevisionChanged(*_names(key, resource, name, group), MODIFIED)
        return _decode(kvs[0])  # the same bytes were already stored

    async def delete(
        self, key: str, expected_rv: int | None = None, *, resource: str = "", name: str = "",
        group: str = "",
    ) -> Obj:
        """Delete the object if its revision is still `expected_rv` (None: if
        it exists). Returns its last state with resourceVersion set to the
        delete's revision, as Kubernetes does (and as the DELETED watch
        event carries it)."""
        k = key.encode()
        precondition = _Compare(
            key=k, target=_Compare.MOD,
            result=_Compare.GREATER if expected_rv is None else _Compare.EQUAL,
            mod_revision=expected_rv or 0,
        )
        delete = rpc_pb2.RequestOp(
            request_delete_range=rpc_pb2.DeleteRangeRequest(key=k, prev_kv=True)
        )
        response = await self._txn([precondition], [delete], [_get(key)])
        if response.succeeded:
            prev = response.responses[0].response_delete_range.prev_kvs[0]
            return decode_object(prev.value, response.header.revision, key)
        kvs = response.responses[0].response_range.kvs
        if not kvs:
            raise not_found(*_names(key, resource, name, group))
        raise RevisionChanged(
            *_names(key, resource, name, group),
            f"the ResourceVersion in the precondition ({expected_rv}) does not match the "
            f"ResourceVersion in record ({kvs[0].mod_revision}). The object might have "
            "been modified",
        )

    # -- leases (for keys that must go when their writer does) ------------------

    async def grant_lease(self, ttl: int) -> int:
        """A new lease of `ttl` seconds; its ID."""
        granted = await self._call("LeaseGrant", rpc_pb2.LeaseGrantRequest(TTL=ttl),
                                   rpc_pb2_grpc.LeaseStub)
        return granted.ID

    async def keep_alive(self, lease: int) -> bool:
        """Renew a lease for its TTL; False when it has already expired."""
        stub = self._stub(rpc_pb2_grpc.LeaseStub, self._index)

        async def one_request() -> AsyncIterator[rpc_pb2.LeaseKeepAliveRequest]:
            yield rpc_pb2.LeaseKeepAliveRequest(ID=lease)

        call = stub.LeaseKeepAlive(one_request(), timeout=self._timeout)
        try:
            async for response in call:
                return response.TTL > 0
        except grpc.aio.AioRpcError as e:
            raise _translate(e, self._endpoints[self._index], self._timeout, False) from e
        finally:
            call.cancel()
        return False

    async def revoke_lease(self, lease: int) -> None:
        """End a lease now, deleting its keys; one already gone is fine."""
        try:
            await self._call("LeaseRevoke", rpc_pb2.LeaseRevokeRequest(ID=lease),
                             rpc_pb2_grpc.LeaseStub)
        except StatusError as e:
            if "lease not found" not in e.message:
                raise

    async def put(self, key: str, obj: Obj, *, lease: int = 0) -> None:
        """Store `obj` at `key` whatever is there (attached to `lease`)."""
        await self._call("Put", rpc_pb2.PutRequest(key=key.encode(), value=_encode(obj),
                                                   lease=lease))

    async def compact(self, revision: int) -> None:
        """Forget history before `revision`; compacting to a revision already
        compacted does nothing."""
        try:
            await self._call(
                "Compact", rpc_pb2.CompactionRequest(revision=revision, physical=True)
            )
        except _Compacted:
            pass
        except _FutureRevision as e:
            raise internal(str(e)) from None

    # -- watch -------------------------------------------------------------------

    async def watch(
        self,
        prefix: str,
        from_revision: int,
        *,
        key: str | None = None,
        progress_notify: bool = False,
    ) -> AsyncIterator[WatchEvent]:
        """Changes under `prefix` (or to `key` alone) after revision
        `from_revision` (0: from now on), in order.

        A start that was compacted raises 410 Expired as the iterator's first
        step. With `progress_notify`, the store's periodic progress
        notifications come as BOOKMARK events (etcd sends them only to
        watchers that are caught up, so the revision is safe to resume
        from). Closing the iterator (aclose) cancels the watch in etcd."""
        async with aclosing(self._watch_responses(prefix, from_revision, key, progress_notify,
                                                  prev_kv=True)) as responses:
            async for response in responses:
                if not response.events:
                    revision = response.header.revision
                    yield WatchEvent(
                        "BOOKMARK", {"metadata": {"resourceVersion": str(revision)}}, revision
                    )
                for event in response.events:
                    yield _watch_event(event)

    async def watch_changes(self, prefix: str, from_revision: int) -> AsyncIterator[Change]:
        """The changes under `prefix` after `from_revision` as the store
        holds them: key, value bytes (None for a delete) and revision, with
        no previous values (for the watch cache, which keeps its own).
        Errors as `watch`; the iterator ends if this consumer falls too far
        behind."""
        async with aclosing(self._watch_responses(prefix, from_revision, None, False,
                                                  prev_kv=False)) as responses:
            async for response in responses:
                for event in response.events:
                    kv = event.kv
                    yield Change(kv.key.decode(errors="replace"),
                                 None if event.type == kv_pb2.Event.DELETE else kv.value,
                                 kv.mod_revision)

    async def list_values(self, prefix: str) -> tuple[list[Change], int]:
        """Every key under `prefix` with its value bytes and mod revision,
        and the revision read at (for the watch cache)."""
        k = _directory(prefix).encode()
        response = await self._call("Range", rpc_pb2.RangeRequest(key=k, range_end=_prefix_end(k)))
        return ([Change(kv.key.decode(errors="replace"), kv.value, kv.mod_revision)
                 for kv in response.kvs], response.header.revision)

    async def unchanged_since(self, prefix: str, revision: int, count: int) -> int | None:
        """The store's current revision if the keys under `prefix` are just
        as they were at `revision` (none written since, and still `count`
        of them, so none deleted either); else None. One read: the key
        last written, and how many there are."""
        k = _directory(prefix).encode()
        response = await self._call("Range", rpc_pb2.RangeRequest(
            key=k, range_end=_prefix_end(k), limit=1, keys_only=True,
            sort_order=rpc_pb2.RangeRequest.DESCEND, sort_target=rpc_pb2.RangeRequest.MOD))
        newest = response.kvs[0].mod_revision if response.kvs else 0
        if response.count == count and newest <= revision:
            return response.header.revision
        return None

    async def _watch_responses(
        self, prefix: str, from_revision: int, key: str | None, progress_notify: bool,
        prev_kv: bool,
    ) -> AsyncIterator[rpc_pb2.WatchResponse]:
        if key is not None:
            k, end = key.encode(), b""
        else:
            k = _directory(prefix).encode()
            end = _prefix_end(k)
        watcher = _Watcher(
            id=next(self._watches.ids), key=k, range_end=end,
            next_rev=from_revision + 1 if from_revision else 0, progress_notify=progress_notify,
            prev_kv=prev_kv,
        )
        self._watches.add(watcher)
        try:
            while True:
                response = await watcher.queue.get()
                if response is None:
                    return
                if isinstance(response, StatusError):
                    raise response
                if response.canceled:
                    if response.compact_revision:
                        raise gone(
                            f"too old resource version: {watcher.next_rev - 1} "
                            f"({response.compact_revision})"
                        )
                    reason = response.cancel_reason or "no reason given"
                    raise internal(f"etcd cancelled the watch: {reason}")
                yield response
        finally:
            self._watches.remove(watcher)

    # -- etcd calls --------------------------------------------------------------

    def _channel(self, index: int) -> grpc.aio.Channel:
        channel = self._channels.get(index)
        if channel is None:
            channel = grpc.aio.insecure_channel(self._endpoints[index], options=_CHANNEL_OPTIONS)
            self._channels[index] = channel
        return channel

    def _stub(self, service: type, index: int) -> Any:
        stub = self._stubs.get((service, index))
        if stub is None:
            stub = self._stubs[service, index] = service(self._channel(index))
        return stub

    def _fail_over(self, index: int) -> None:
        """Endpoint `index` is unavailable: move to the next one (unless
        another call has already moved on)."""
        if self._index == index and len(self._endpoints) > 1:
            self._index = (index + 1) % len(self._endpoints)
            log.warning(
                "apiserver: etcd at %s is unavailable; using %s",
                self._endpoints[index], self._endpoints[self._index],
            )

    async def _call(self, method: str, request: Any,
                    service: type = rpc_pb2_grpc.KVStub) -> Any:
        """One KV (or Lease) call. It waits for the connection to be ready (a store
        restarting is waited for), sharing the timeout among the endpoints,
        and moves to the next endpoint when one is unavailable or never
        became ready. A write whose connection broke after it was sent may
        thus be applied twice; its precondition then fails, as it would if
        the client had retried."""
        n = len(self._endpoints)
        attempts = 0
        while True:
            index = self._index
            started = time.monotonic()
            try:
                return await getattr(self._stub(service, index), method)(
                    request, timeout=self._timeout / n, wait_for_ready=True
                )
            except grpc.aio.AioRpcError as e:
                attempts += 1
                never_sent = (
                    e.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                    and self._channel(index).get_state() != grpc.ChannelConnectivity.READY
                )
                if attempts < n and (e.code() == grpc.StatusCode.UNAVAILABLE or never_sent):
                    self._fail_over(index)
                    continue
                raise _translate(
                    e, self._endpoints[index], self._timeout / n, never_sent
                ) from e
            finally:
                if self.observer is not None:
                    self.observer(method, time.monotonic() - started)

    async def _txn(
        self,
        compare: list[rpc_pb2.Compare],
        success: list[rpc_pb2.RequestOp],
        failure: list[rpc_pb2.RequestOp],
    ) -> rpc_pb2.TxnResponse:
        return await self._call(
            "Txn", rpc_pb2.TxnRequest(compare=compare, success=success, failure=failure)
        )


# -- watch multiplexing -----------------------------------------------------------

# What a watcher's queue holds: etcd responses for it, an error, or None for
# "the watch ended" (the Storage closed, or the consumer fell too far behind).
_Delivery = rpc_pb2.WatchResponse | StatusError | None


@dataclass(eq=False)
class _Watcher:
    id: int
    key: bytes
    range_end: bytes
    next_rev: int  # the revision to resume from; 0 until etcd says where "now" is
    progress_notify: bool
    prev_kv: bool
    queue: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)

    def create_request(self) -> rpc_pb2.WatchRequest:
        return rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(
            key=self.key, range_end=self.range_end, start_revision=self.next_rev,
            prev_kv=self.prev_kv, progress_notify=self.progress_notify, watch_id=self.id,
        ))


class _WatchMux:
    """All watches of one Storage on one etcd Watch stream."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.watchers: dict[int, _Watcher] = {}
        self.ids = itertools.count(1)
        # The open stream's outgoing requests; None while no stream is open.
        self.requests: asyncio.Queue[rpc_pb2.WatchRequest] | None = None
        self.task: asyncio.Task[None] | None = None

    def add(self, watcher: _Watcher) -> None:
        self.watchers[watcher.id] = watcher
        if self.requests is not None:
            self.requests.put_nowait(watcher.create_request())
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="apiserver-etcd-watch")

    def remove(self, watcher: _Watcher) -> None:
        if self.watchers.pop(watcher.id, None) is not None and self.requests is not None:
            self.requests.put_nowait(rpc_pb2.WatchRequest(
                cancel_request=rpc_pb2.WatchCancelRequest(watch_id=watcher.id)
            ))

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self._end_all(None)

    def _end_all(self, delivery: _Delivery) -> None:
        for watcher in self.watchers.values():
            watcher.queue.put_nowait(delivery)
        self.watchers.clear()

    async def _run(self) -> None:
        """Keep a stream open while there are watchers, re-creating them
        from where they were whenever the stream has to be reopened."""
        loop = asyncio.get_running_loop()
        failing_since: float | None = None
        backoff = 0.05
        while self.watchers:
            requests: asyncio.Queue[rpc_pb2.WatchRequest] = asyncio.Queue()
            for watcher in self.watchers.values():
                requests.put_nowait(watcher.create_request())
            self.requests = requests
            index = self.storage._index
            endpoint = self.storage._endpoints[index]
            call = rpc_pb2_grpc.WatchStub(self.storage._channel(index)).Watch(_send(requests))
            try:
                async for response in call:
                    if failing_since is not None:
                        log.info("apiserver: watch stream to etcd at %s reopened", endpoint)
                        failing_since, backoff = None, 0.05
                    self._dispatch(response)
                error = "the store closed the stream"
            except grpc.aio.AioRpcError as e:
                error = e.details() or e.code().name
                if e.code() == grpc.StatusCode.UNAVAILABLE:
                    self.storage._fail_over(index)
            finally:
                self.requests = None
                call.cancel()
            now = loop.time()
            if failing_since is None:
                failing_since = now
                log.warning("apiserver: watch stream to etcd at %s broke (%s); reopening it",
                            endpoint, error)
            elif now - failing_since >= self.storage._timeout:
                log.error("apiserver: lost the watch stream to etcd at %s: %s", endpoint, error)
                self._end_all(internal(f"lost the watch stream to etcd at {endpoint}: {error}"))
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    def _dispatch(self, response: rpc_pb2.WatchResponse) -> None:
        watcher = self.watchers.get(response.watch_id)
        if watcher is None:  # cancelled by its consumer, or a broadcast (-1)
            return
        if response.created and not watcher.next_rev:
            watcher.next_rev = response.header.revision + 1
        if response.canceled:
            del self.watchers[watcher.id]
        elif response.events:
            watcher.next_rev = response.events[-1].kv.mod_revision + 1
        elif response.created:
            return
        else:  # a progress notification: every event up to it has been sent
            watcher.next_rev = max(watcher.next_rev, response.header.revision + 1)
        if watcher.queue.qsize() >= MAX_WATCH_BACKLOG:
            log.warning("apiserver: ending a watch on %s whose consumer is too slow",
                        watcher.key.decode(errors="replace"))
            self.remove(watcher)
            watcher.queue.put_nowait(None)
            return
        watcher.queue.put_nowait(response)


async def _send(requests: asyncio.Queue[rpc_pb2.WatchRequest]) -> AsyncIterator[
    rpc_pb2.WatchRequest
]:
    while True:
        yield await requests.get()


# -- encoding ---------------------------------------------------------------------


def _target(endpoint: str) -> str:
    if endpoint.startswith("https://"):
        raise ValueError(f"{endpoint}: TLS to etcd is not supported yet; use http://")
    return endpoint.removeprefix("http://").rstrip("/")


def _directory(prefix: str) -> str:
    return prefix if prefix.endswith("/") else prefix + "/"


def _prefix_end(prefix: bytes) -> bytes:
    """The first key after every key that starts with `prefix`."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return b"\0"  # every key
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _names(key: str, resource: str, name: str, group: str) -> tuple[str, str, str]:
    """(resource, name, group) for error messages about `key`."""
    parts = key.strip("/").split("/")
    return resource or (parts[1] if len(parts) > 2 else parts[0]), name or parts[-1], group


def _encode(obj: Obj) -> bytes:
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "resourceVersion" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "resourceVersion"}}
    try:
        return orjson.dumps(obj)
    except TypeError as e:
        raise internal(f"cannot encode the object as JSON: {e}") from None


def decode_object(value: bytes, revision: int, key: str) -> Obj:
    """A stored value as an object with its resourceVersion."""
    try:
        obj = orjson.loads(value)
    except orjson.JSONDecodeError as e:
        raise internal(f"the stored object at {key} is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise internal(f"the stored object at {key} is not a JSON object")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(revision)
    return obj


def _decode(kv: kv_pb2.KeyValue) -> Obj:
    return decode_object(kv.value, kv.mod_revision, kv.key.decode(errors="replace"))


def _watch_event(event: kv_pb2.Event) -> WatchEvent:
    kv = event.kv
    key = kv.key.decode(errors="replace")
    prev = (
        decode_object(event.prev_kv.value, event.prev_kv.mod_revision, key)
        if event.HasField("prev_kv") else None
    )
    if event.type == kv_pb2.Event.DELETE:
        if not event.HasField("prev_kv"):
            raise internal(f"etcd reported the delete of {key} without its last state")
        return WatchEvent(
            "DELETED", decode_object(event.prev_kv.value, kv.mod_revision, key),
            kv.mod_revision, prev,
        )
    kind: Literal["ADDED", "MODIFIED"] = (
        "ADDED" if kv.create_revision == kv.mod_revision else "MODIFIED"
    )
    return WatchEvent(kind, _decode(kv), kv.mod_revision, prev)


def _put(key: str, data: bytes) -> rpc_pb2.RequestOp:
    return rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key.encode(), value=data))


def _get(key: str) -> rpc_pb2.RequestOp:
    return rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=key.encode()))


def _encode_continue(start: str, prefix: str, revision: int) -> str:
    """A continue token as Kubernetes writes it: base64url JSON of the API
    version, the list's revision and the next key relative to the prefix."""
    token = {"v": CONTINUE_VERSION, "rv": revision, "start": start[len(prefix):]}
    return base64.urlsafe_b64encode(orjson.dumps(token)).rstrip(b"=").decode()


def _decode_continue(token: str, prefix: str) -> tuple[str, int]:
    """(the key to continue from, the revision to read at; -1: the latest)."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        data = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_request("invalid continue token: continue key is not valid") from None
    if not isinstance(data, dict) or data.get("v") != CONTINUE_VERSION:
        raise bad_request(
            "invalid continue token: continue key is not valid: "
            "server does not recognize this encoded version"
        )
    rv, start = data.get("rv"), data.get("start")
    if not isinstance(rv, int) or isinstance(rv, bool) or rv == 0 or rv < -1:
        raise bad_request(
            "invalid continue token: continue key is not valid: incorrect encoded start "
            f"resourceVersion (version {CONTINUE_VERSION})"
        )
    if not isinstance(start, str) or not start:
        raise bad_request("invalid continue token: continue key is not valid: "
                          "encoded start key empty")
    return prefix + start, rv


def _translate(
    e: grpc.aio.AioRpcError, endpoint: str, deadline: float, never_sent: bool
) -> Exception:
    """The error to raise for a failed etcd call."""
    code, details = e.code(), e.details() or ""
    if code == grpc.StatusCode.OUT_OF_RANGE and "compacted" in details:
        return _Compacted(details)
    if code == grpc.StatusCode.OUT_OF_RANGE and "future revision" in details:
        return _FutureRevision(details)
    if "request is too large" in details or (
        code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in details
    ):
        return too_large("etcdserver: request is too large")
    if never_sent:
        return timeout(f"etcd at {endpoint} could not be reached within {deadline:g}s")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return timeout(f"etcd at {endpoint} did not answer within {deadline:g}s")
    if code == grpc.StatusCode.UNAVAILABLE:
        return internal(f"etcd at {endpoint} is unavailable: {details}")
    return internal(details or code.name)
