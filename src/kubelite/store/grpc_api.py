"""The etcd v3 gRPC services (KV, Watch, Lease, Cluster, Maintenance).

Thin: each handler validates the request, hands it to the EtcdServer, and
turns an EtcdError into the gRPC status etcd would send.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator

import grpc

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from kubelite.etcdpb.mvccpb import kv_pb2
from kubelite.store import errors
from kubelite.store.kv_apply import (
    check_delete_range,
    check_put,
    check_range,
    check_txn,
    is_txn_readonly,
)
from kubelite.store.lease import Lessor
from kubelite.store.raftpb import raft_internal_pb2
from kubelite.store.server import EtcdServer
from kubelite.store.watch import Watcher

InternalRaftRequest = raft_internal_pb2.InternalRaftRequest
MAX_TXN_OPS = 128
NOT_YET = "kubelite: membership changes need multi-member Raft, which is not available yet"
DUPLICATE_WATCH_ID = "mvcc: duplicate watch ID provided on the WatchStream"
# Responses a watch stream may hold for a slow client before its watchers
# stop being fed live and replay from history once it has caught up.
MAX_QUEUED_WATCH_RESPONSES = 256


def _unary(method):
    """Run a handler; an EtcdError becomes the gRPC status etcd sends."""

    @functools.wraps(method)
    async def handler(self, request, context: grpc.aio.ServicerContext):
        try:
            return await method(self, request)
        except errors.EtcdError as e:
            await context.abort(e.code, e.message)

    return handler


class KVService(rpc_pb2_grpc.KVServicer):
    def __init__(self, server: EtcdServer) -> None:
        self.server = server

    @_unary
    async def Range(self, request):
        check_range(request)
        return await self.server.range(request)

    @_unary
    async def Put(self, request):
        check_put(request)
        await self.server.check_quota(request.ByteSize())
        return await self.server.propose(InternalRaftRequest(put=request))

    @_unary
    async def DeleteRange(self, request):
        check_delete_range(request)
        return await self.server.propose(InternalRaftRequest(delete_range=request))

    @_unary
    async def Txn(self, request):
        check_txn(request, MAX_TXN_OPS)
        if is_txn_readonly(request):
            return await self.server.read_txn(request)
        await self.server.check_quota(request.ByteSize())
        return await self.server.propose(InternalRaftRequest(txn=request))

    @_unary
    async def Compact(self, request):
        return await self.server.propose(InternalRaftRequest(compaction=request))


class WatchStream:
    """One Watch RPC: its watchers and the responses queued for the client."""

    def __init__(self, server: EtcdServer) -> None:
        self.server = server
        self.queue: asyncio.Queue[rpc_pb2.WatchResponse] = asyncio.Queue()
        self.watchers: dict[int, Watcher] = {}
        self._next_id = 0

    # WatchSink
    def deliver(self, watcher: Watcher, events: list[kv_pb2.Event], revision: int) -> None:
        header = self.server.header(revision)
        if not watcher.fragment:
            self._send(rpc_pb2.WatchResponse(header=header, watch_id=watcher.id, events=events))
            return
        for chunk, more in _fragments(events, self.server.cfg.max_request_bytes):
            self._send(rpc_pb2.WatchResponse(
                header=header, watch_id=watcher.id, events=chunk, fragment=more
            ))

    def compacted(self, watcher: Watcher, compact_revision: int) -> None:
        self.watchers.pop(watcher.id, None)
        self._send(rpc_pb2.WatchResponse(
            header=self.server.header(), watch_id=watcher.id, canceled=True,
            compact_revision=compact_revision,
        ))

    def progress(self, watcher: Watcher, revision: int) -> None:
        self._send(rpc_pb2.WatchResponse(header=self.server.header(revision), watch_id=watcher.id))

    def congested(self, watcher: Watcher) -> bool:
        return self.queue.qsize() >= MAX_QUEUED_WATCH_RESPONSES

    def _send(self, response: rpc_pb2.WatchResponse) -> None:
        self.queue.put_nowait(response)

    def handle(self, request: rpc_pb2.WatchRequest) -> None:
        kind = request.WhichOneof("request_union")
        if kind == "create_request":
            self._create(request.create_request)
        elif kind == "cancel_request":
            watcher = self.watchers.pop(request.cancel_request.watch_id, None)
            if watcher is not None:
                self.server.hub.remove(watcher)
                self._send(rpc_pb2.WatchResponse(
                    header=self.server.header(), watch_id=watcher.id, canceled=True
                ))
        elif kind == "progress_request":
            # Not tied to one watcher: etcd answers with watch_id -1.
            self._send(rpc_pb2.WatchResponse(header=self.server.header(), watch_id=-1))

    def _create(self, c: rpc_pb2.WatchCreateRequest) -> None:
        if c.watch_id and c.watch_id in self.watchers:
            self._send(rpc_pb2.WatchResponse(
                header=self.server.header(), watch_id=c.watch_id, created=True, canceled=True,
                cancel_reason=DUPLICATE_WATCH_ID,
            ))
            return
        watch_id = c.watch_id
        if not watch_id:
            while self._next_id in self.watchers:
                self._next_id += 1
            watch_id = self._next_id
            self._next_id += 1
        dropped = frozenset(
            kv_pb2.Event.PUT if f == rpc_pb2.WatchCreateRequest.NOPUT else kv_pb2.Event.DELETE
            for f in c.filters
        )
        watcher = Watcher(
            id=watch_id,
            key=c.key,
            range_end=c.range_end,
            next_rev=c.start_revision or self.server.kv.current_revision + 1,
            sink=self,
            prev_kv=c.prev_kv,
            dropped_types=dropped,
            progress_notify=c.progress_notify,
            fragment=c.fragment,
        )
        self.watchers[watch_id] = watcher
        self._send(rpc_pb2.WatchResponse(
            header=self.server.header(), watch_id=watch_id, created=True
        ))
        self.server.hub.add(watcher)
        self.server.watch_added.set()

    def close(self) -> None:
        for watcher in self.watchers.values():
            self.server.hub.remove(watcher)
        self.watchers.clear()


def _fragments(events: list[kv_pb2.Event], limit: int):
    """Split events into chunks of at most `limit` bytes (at least one event
    each); yields (chunk, more-follow)."""
    chunks: list[list[kv_pb2.Event]] = [[]]
    size = 0
    for event in events:
        n = event.ByteSize()
        if chunks[-1] and size + n > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += n
    for i, chunk in enumerate(chunks):
        yield chunk, i < len(chunks) - 1


class WatchService(rpc_pb2_grpc.WatchServicer):
    def __init__(self, server: EtcdServer) -> None:
        self.server = server

    async def Watch(self, request_iterator, context) -> AsyncIterator[rpc_pb2.WatchResponse]:
        stream = WatchStream(self.server)
        failed = asyncio.Event()

        async def receive() -> None:
            try:
                async for request in request_iterator:
                    stream.handle(request)
            except (grpc.RpcError, asyncio.CancelledError):
                failed.set()
                raise

        reader = asyncio.create_task(receive())
        try:
            while not failed.is_set():
                yield await stream.queue.get()
        finally:
            reader.cancel()
            stream.close()


class LeaseService(rpc_pb2_grpc.LeaseServicer):
    def __init__(self, server: EtcdServer) -> None:
        self.server = server

    @_unary
    async def LeaseGrant(self, request):
        Lessor.check_grant(request.TTL)
        await self.server.check_quota(request.ByteSize())
        grant = rpc_pb2.LeaseGrantRequest(TTL=request.TTL, ID=request.ID)
        if not grant.ID:
            grant.ID = self.server.new_lease_id()
        return await self.server.propose(InternalRaftRequest(lease_grant=grant))

    @_unary
    async def LeaseRevoke(self, request):
        return await self.server.propose(InternalRaftRequest(lease_revoke=request))

    async def LeaseKeepAlive(self, request_iterator, context):
        async for request in request_iterator:
            try:
                ttl = self.server.lessor.renew(request.ID, time.monotonic())
            except errors.EtcdError:
                ttl = 0
            yield rpc_pb2.LeaseKeepAliveResponse(
                header=self.server.header(), ID=request.ID, TTL=ttl
            )

    @_unary
    async def LeaseTimeToLive(self, request):
        try:
            left, granted, keys = self.server.lessor.time_to_live(request.ID, time.monotonic())
        except errors.EtcdError:
            return rpc_pb2.LeaseTimeToLiveResponse(
                header=self.server.header(), ID=request.ID, TTL=-1
            )
        return rpc_pb2.LeaseTimeToLiveResponse(
            header=self.server.header(), ID=request.ID, TTL=left, grantedTTL=granted,
            keys=keys if request.keys else [],
        )

    @_unary
    async def LeaseLeases(self, request):
        return rpc_pb2.LeaseLeasesResponse(
            header=self.server.header(),
            leases=[rpc_pb2.LeaseStatus(ID=i) for i in self.server.lessor.leases],
        )


class ClusterService(rpc_pb2_grpc.ClusterServicer):
    def __init__(self, server: EtcdServer) -> None:
        self.server = server

    @_unary
    async def MemberList(self, request):
        header = self.server.header()
        header.ClearField("revision")  # etcd's cluster service does not report one
        return rpc_pb2.MemberListResponse(
            header=header,
            members=[
                rpc_pb2.Member(
                    ID=m.id, name=m.name, peerURLs=list(m.peer_urls), clientURLs=list(m.client_urls)
                )
                for m in self.server.members
            ],
        )

    async def _not_yet(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, NOT_YET)

    MemberAdd = MemberRemove = MemberUpdate = MemberPromote = _not_yet


class MaintenanceService(rpc_pb2_grpc.MaintenanceServicer):
    def __init__(self, server: EtcdServer) -> None:
        self.server = server

    @_unary
    async def Alarm(self, request):
        if request.action == rpc_pb2.AlarmRequest.GET:
            return rpc_pb2.AlarmResponse(  # no header, as etcd answers
                alarms=[
                    rpc_pb2.AlarmMember(memberID=m, alarm=a)
                    for m, a in sorted(self.server.alarms)
                ],
            )
        return await self.server.propose(InternalRaftRequest(alarm=request))

    @_unary
    async def Status(self, request):
        return self.server.status()

    @_unary
    async def Defragment(self, request):
        await self.server.defragment()
        return rpc_pb2.DefragmentResponse(header=self.server.header())

    @_unary
    async def Hash(self, request):
        return rpc_pb2.HashResponse(header=self.server.header(), hash=self.server.kv.hash())

    @_unary
    async def HashKV(self, request):
        digest, compact_rev, _ = self.server.kv.hash_kv(request.revision)
        return rpc_pb2.HashKVResponse(
            header=self.server.header(), hash=digest, compact_revision=compact_rev
        )

    async def Snapshot(self, request, context):
        async for blob, remaining in self.server.backend_snapshot():
            yield rpc_pb2.SnapshotResponse(
                header=self.server.header(), remaining_bytes=remaining, blob=blob
            )

    async def MoveLeader(self, request, context):
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, NOT_YET)


def add_services(grpc_server: grpc.aio.Server, server: EtcdServer) -> None:
    rpc_pb2_grpc.add_KVServicer_to_server(KVService(server), grpc_server)
    rpc_pb2_grpc.add_WatchServicer_to_server(WatchService(server), grpc_server)
    rpc_pb2_grpc.add_LeaseServicer_to_server(LeaseService(server), grpc_server)
    rpc_pb2_grpc.add_ClusterServicer_to_server(ClusterService(server), grpc_server)
    rpc_pb2_grpc.add_MaintenanceServicer_to_server(MaintenanceService(server), grpc_server)
