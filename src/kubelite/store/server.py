"""The store's engine: one member's Raft pipeline around the MVCC store.

Writes follow DESIGN rule 4: a request is proposed to the Raft node, the
Ready it produces is appended to the WAL, a whole batch is made durable by
one fsync (group commit: requests arriving while a fsync runs ride on the
next one), the committed entries are applied to the MVCC backend (which
stores the applied index in the same transaction), and only then is the
client answered. On restart the WAL is replayed past the applied index.

Reads are served from the applied state. With one member every write that
was acknowledged is already applied, so serializable and linearizable reads
coincide; `read_index` is the seam where a multi-member ReadIndex goes.

This module holds the I/O shell (asyncio tasks, files, clocks); the
decisions live in raft/, mvcc/, kv_apply, lease, watch and compactor.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import itertools
import json
import logging
import os
import struct
import tempfile
import time
from collections.abc import AsyncIterator, Iterator

from kubelite.etcdpb.etcdserverpb import rpc_pb2
from kubelite.store import errors
from kubelite.store.compactor import Compactor, parse_retention
from kubelite.store.config import StoreConfig
from kubelite.store.identity import Member, cluster_id, parse_initial_cluster
from kubelite.store.kv_apply import KVApplier, is_txn_readonly
from kubelite.store.lease import Lessor
from kubelite.store.mvcc.backend import Backend
from kubelite.store.mvcc.bbolt_export import write_etcd_snapshot
from kubelite.store.mvcc.kvstore import KVStore
from kubelite.store.raft.node import RaftNode
from kubelite.store.raftpb import raft_internal_pb2, raft_pb2
from kubelite.store.wal.snap import Snapshotter
from kubelite.store.wal.wal import WAL
from kubelite.store.watch import WatchHub

log = logging.getLogger("kubelite.store")

VERSION = "3.4.0"
SNAPSHOT_CHUNK = 32 * 1024
LEASE_CHECK_INTERVAL = 0.5
WATCH_CATCH_UP_INTERVAL = 0.1
COMPACTOR_TICK = 1.0

_MEMBERS_KEY = b"members"
_ALARMS_KEY = b"alarms"
_LEASE = struct.Struct(">qq")  # lease id, granted TTL


def _lease_key(lease_id: int) -> bytes:
    return struct.pack(">q", lease_id)


class EtcdServer:
    def __init__(self, cfg: StoreConfig) -> None:
        self.cfg = cfg
        self.member_dir = os.path.join(cfg.data_dir, "member")
        self.wal_dir = os.path.join(self.member_dir, "wal")
        self.snap_dir = os.path.join(self.member_dir, "snap")
        self.backend: Backend
        self.kv: KVStore
        self.wal: WAL
        self.raft: RaftNode
        self.lessor = Lessor()
        self.members: list[Member] = []
        self.member_id = 0
        self.cluster_id = 0
        self.alarms: set[tuple[int, int]] = set()
        self._waiters: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._lease_ids: Iterator[int]  # set in start(), from the member ID and the clock
        self._wakeup = asyncio.Event()
        self.watch_added = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._backend_lock = asyncio.Lock()
        self._revoking: set[int] = set()
        self._snapshot_index = 0
        self._stopped = False

    # ------------------------------------------------------------ start / stop

    async def start(self) -> None:
        os.makedirs(self.snap_dir, exist_ok=True)
        self._lock_data_dir()
        self.backend = Backend(os.path.join(self.snap_dir, "db"))
        self.kv = KVStore(self.backend)
        self.applier = KVApplier(self.kv, self.lessor)
        self.hub = WatchHub(self.kv)
        self.snapshotter = Snapshotter(self.snap_dir)
        if WAL.exists(self.wal_dir):
            self._open_existing()
        else:
            self._bootstrap()
        self._restore_leases()
        self.raft.set_applied(self.kv.consistent_index)
        self.raft.campaign()
        await self._drain_ready()  # replays what the backend had not applied yet
        self.lessor.promote(time.monotonic())
        self._load_members_and_alarms()
        id_prefix = (self.member_id & 0xFFFF) << 48 | (int(time.time() * 1000) & 0xFFFFFFFFFF) << 8
        self._lease_ids = itertools.count(id_prefix + 1)
        self._tasks = [
            asyncio.create_task(self._raft_loop(), name="raft"),
            asyncio.create_task(self._lease_loop(), name="lease-expiry"),
            asyncio.create_task(self._progress_loop(), name="watch-progress"),
            asyncio.create_task(self._watch_catch_up_loop(), name="watch-catch-up"),
        ]
        compactor = Compactor(
            self.cfg.auto_compaction_mode,
            parse_retention(self.cfg.auto_compaction_mode, self.cfg.auto_compaction_retention),
        )
        if compactor.enabled:
            self._tasks.append(asyncio.create_task(self._compaction_loop(compactor)))
        log.info(
            "store %s ready: member %x in cluster %x, term %d, revision %d",
            self.cfg.name, self.member_id, self.cluster_id, self.raft.term,
            self.kv.current_revision,
        )

    def _lock_data_dir(self) -> None:
        """One store per data directory: a second one would corrupt it."""
        path = os.path.join(self.member_dir, "lock")
        self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise SystemExit(
                f"kubelite store: {self.cfg.data_dir} is in use by another store process"
            ) from None

    def _bootstrap(self) -> None:
        if self.cfg.initial_cluster_state != "new":
            raise SystemExit(
                f"kubelite store: {self.wal_dir} has no WAL and --initial-cluster-state is "
                "existing; joining a running cluster needs multi-member Raft"
            )
        members = parse_initial_cluster(self.cfg.initial_cluster, self.cfg.initial_cluster_token)
        mine = [m for m in members if m.name == self.cfg.name]
        if not mine:
            raise SystemExit(
                f"kubelite store: --initial-cluster has no member named {self.cfg.name!r}"
            )
        if len(members) > 1:
            raise SystemExit(
                "kubelite store: only single-member clusters are supported until Raft "
                "replication lands"
            )
        self.member_id = mine[0].id
        self.cluster_id = cluster_id([m.id for m in members])
        meta = raft_pb2.WalMetadata(node_id=self.member_id, cluster_id=self.cluster_id)
        self.wal = WAL.create(self.wal_dir, meta.SerializeToString())
        conf = json.dumps(
            [{"id": m.id, "name": m.name, "peerURLs": list(m.peer_urls)} for m in members]
        ).encode()
        boot = raft_pb2.Entry(Term=1, Index=1, Type=raft_pb2.EntryConfChange, Data=conf)
        hard_state = raft_pb2.HardState(term=1, commit=1)
        self.wal.save(hard_state, [boot])
        self.wal.sync()
        self.raft = RaftNode(self.member_id, hard_state, [boot], None)
        log.info("store: new cluster %x, member %x (%s)", self.cluster_id, self.member_id,
                 self.cfg.name)

    def _open_existing(self) -> None:
        snapshot = self.snapshotter.load()
        self.wal, contents = WAL.open(self.wal_dir, snapshot)
        if contents.repaired:
            log.warning("store: WAL tail repaired: %s", contents.repaired)
        meta = raft_pb2.WalMetadata.FromString(contents.metadata)
        self.member_id, self.cluster_id = meta.node_id, meta.cluster_id
        self.raft = RaftNode(self.member_id, contents.hard_state, contents.entries, snapshot)
        self._snapshot_index = snapshot.index if snapshot else 0
        log.info(
            "store: restarting member %x from snapshot index %d with %d WAL entries",
            self.member_id, self._snapshot_index, len(contents.entries),
        )

    def _restore_leases(self) -> None:
        with self.backend.read() as txn:
            for _, value in txn.cursor(db=self.backend.lease_db):
                lease_id, ttl = _LEASE.unpack(value)
                self.lessor.restore(lease_id, ttl)
        for kv in self.kv.range(b"\0", b"\0").kvs:
            if kv.lease and self.lessor.exists(kv.lease):
                self.lessor.attach(kv.lease, kv.key)

    def _load_members_and_alarms(self) -> None:
        with self.backend.read() as txn:
            raw_members = txn.get(_MEMBERS_KEY, db=self.backend.meta_db)
            raw_alarms = txn.get(_ALARMS_KEY, db=self.backend.meta_db)
        peers = json.loads(raw_members) if raw_members else []
        clients = tuple(self.cfg.advertise_client_urls)
        self.members = [
            Member(p["id"], p["name"], tuple(p["peerURLs"]),
                   clients if p["id"] == self.member_id else ())
            for p in peers
        ]
        self.alarms = {tuple(a) for a in json.loads(raw_alarms)} if raw_alarms else set()

    async def stop(self) -> None:
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for fut in self._waiters.values():
            if not fut.done():
                fut.set_exception(errors.STOPPED)
        self.wal.close()
        self.backend.sync()
        self.backend.close()
        os.close(self._lock_fd)

    # ------------------------------------------------------------ write path

    def header(self, revision: int | None = None) -> rpc_pb2.ResponseHeader:
        return rpc_pb2.ResponseHeader(
            cluster_id=self.cluster_id,
            member_id=self.member_id,
            revision=self.kv.current_revision if revision is None else revision,
            raft_term=self.raft.term,
        )

    async def propose(self, request: raft_internal_pb2.InternalRaftRequest):
        """Put a request through the log; return its response once applied."""
        if self._stopped:
            raise errors.STOPPED
        request.ID = next(self._ids)
        data = request.SerializeToString()
        if len(data) > self.cfg.max_request_bytes:
            raise errors.REQUEST_TOO_LARGE
        future = asyncio.get_running_loop().create_future()
        self._waiters[request.ID] = future
        self.raft.propose(data)
        self._wakeup.set()
        return await future

    async def _raft_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._drain_ready()
            if self.raft.applied_index - self._snapshot_index >= self.cfg.snapshot_count:
                await self._snapshot()

    async def _drain_ready(self) -> None:
        while self.raft.has_ready():
            ready = self.raft.ready()
            if ready.hard_state is not None or ready.entries:
                self.wal.save(ready.hard_state, ready.entries)
                # The fsync runs in a worker thread, so that the loop takes
                # in the next batch's requests meanwhile (group commit).
                await asyncio.to_thread(self.wal.sync)
            for entry in ready.committed_entries:
                self._apply(entry)
            self.raft.advance(ready)

    def _apply(self, entry: raft_pb2.Entry) -> None:
        if entry.Type == raft_pb2.EntryConfChange:
            txw = self.kv.write(entry.Index)
            txw.txn.put(_MEMBERS_KEY, entry.Data, db=self.backend.meta_db)
            txw.end()
            return
        if not entry.Data:  # a new leader's empty entry
            self.kv.write(entry.Index).end()
            return
        request = raft_internal_pb2.InternalRaftRequest.FromString(entry.Data)
        try:
            result = self._apply_request(request, entry.Index)
        except errors.EtcdError as e:
            result = e
        future = self._waiters.pop(request.ID, None)
        if future is None or future.done():
            return
        if isinstance(result, errors.EtcdError):
            future.set_exception(errors.EtcdError(result.code, result.message))
            return
        if not isinstance(result, rpc_pb2.AlarmResponse):  # etcd sends those headerless
            result.header.CopyFrom(self.header(result.header.revision or None))
        future.set_result(result)

    def _apply_request(self, r: raft_internal_pb2.InternalRaftRequest, index: int):
        which = r.WhichOneof("request")
        if which in ("put", "txn", "lease_grant") and self._no_space():
            if which != "txn" or not is_txn_readonly(r.txn):
                self.kv.write(index).end()
                raise errors.NO_SPACE
        if which == "put":
            return self._write(index, lambda txw: self.applier.put(txw, r.put))
        if which == "delete_range":
            return self._write(index, lambda txw: self.applier.delete_range(txw, r.delete_range))
        if which == "txn":
            return self._write(index, lambda txw: self.applier.txn(txw, r.txn))
        if which == "compaction":
            try:
                response = self.applier.compact(r.compaction)
            finally:
                self.kv.write(index).end()
            log.info("store: compacted to revision %d", r.compaction.revision)
            return response
        if which == "lease_grant":
            return self._apply_lease_grant(index, r.lease_grant)
        if which == "lease_revoke":
            return self._apply_lease_revoke(index, r.lease_revoke.ID)
        if which == "alarm":
            return self._apply_alarm(index, r.alarm)
        self.kv.write(index).end()
        raise errors.EtcdError(errors.NOT_CAPABLE.code, "etcdserver: unknown request")

    def _write(self, index: int, action):
        txw = self.kv.write(index)
        try:
            response = action(txw)
        except BaseException:
            txw.abort()
            self.kv.write(index).end()
            raise
        events = txw.end()
        self.hub.notify(events, self.kv.current_revision)
        return response

    def _apply_lease_grant(self, index: int, req: rpc_pb2.LeaseGrantRequest):
        txw = self.kv.write(index)
        try:
            lease = self.lessor.grant(req.ID, req.TTL, time.monotonic())
        except errors.EtcdError:
            txw.end()
            raise
        txw.txn.put(_lease_key(lease.id), _LEASE.pack(lease.id, lease.ttl),
                    db=self.backend.lease_db)
        txw.end()
        return rpc_pb2.LeaseGrantResponse(ID=lease.id, TTL=lease.ttl)

    def _apply_lease_revoke(self, index: int, lease_id: int):
        txw = self.kv.write(index)
        try:
            keys = self.lessor.revoke(lease_id)
        except errors.EtcdError:
            txw.end()
            raise
        for key in sorted(keys):
            txw.delete_range(key, b"")
        txw.txn.delete(_lease_key(lease_id), db=self.backend.lease_db)
        events = txw.end()
        self.hub.notify(events, self.kv.current_revision)
        return rpc_pb2.LeaseRevokeResponse()

    def _apply_alarm(self, index: int, req: rpc_pb2.AlarmRequest):
        affected = []
        alarm = (req.memberID, req.alarm)
        if req.action == rpc_pb2.AlarmRequest.ACTIVATE and req.alarm != rpc_pb2.NONE:
            if alarm not in self.alarms:
                log.warning("store: alarm %s raised on member %x",
                            rpc_pb2.AlarmType.Name(req.alarm), req.memberID)
            self.alarms.add(alarm)
            affected = [alarm]
        elif req.action == rpc_pb2.AlarmRequest.DEACTIVATE and alarm in self.alarms:
            self.alarms.discard(alarm)
            affected = [alarm]
        txw = self.kv.write(index)
        txw.txn.put(_ALARMS_KEY, json.dumps(sorted(self.alarms)).encode(),
                    db=self.backend.meta_db)
        txw.end()
        return rpc_pb2.AlarmResponse(
            alarms=[rpc_pb2.AlarmMember(memberID=m, alarm=a) for m, a in affected]
        )

    def _no_space(self) -> bool:
        return any(a == rpc_pb2.NOSPACE for _, a in self.alarms)

    async def check_quota(self, cost: int) -> None:
        """Refuse a write that would take the backend over its quota, and
        raise the NOSPACE alarm, as etcd's quota check does."""
        if self._no_space():
            raise errors.NO_SPACE
        if self.backend.size() + cost > self.cfg.quota_backend_bytes:
            await self.propose(raft_internal_pb2.InternalRaftRequest(
                alarm=rpc_pb2.AlarmRequest(
                    action=rpc_pb2.AlarmRequest.ACTIVATE,
                    memberID=self.member_id,
                    alarm=rpc_pb2.NOSPACE,
                )
            ))
            raise errors.NO_SPACE

    # ------------------------------------------------------------ snapshots

    async def _snapshot(self) -> None:
        async with self._backend_lock:
            index, term = self.raft.applied_index, self.raft.term_at(self.raft.applied_index)
            await asyncio.to_thread(self.backend.sync)
            meta = raft_pb2.SnapshotMetadata(
                conf_state=raft_pb2.ConfState(voters=[m.id for m in self.members]),
                index=index,
                term=term,
            )
            self.snapshotter.save(meta)
            self.wal.save_snapshot(meta)
            self.wal.release_to(index)
            self.raft.compact(index)
            self.snapshotter.purge()
            self._snapshot_index = index
        log.info("store: snapshot at index %d (term %d); WAL released up to it", index, term)

    async def backend_snapshot(self) -> AsyncIterator[tuple[bytes, int]]:
        """The backend as a stream of (chunk, bytes remaining after it),
        followed by its SHA-256 as etcd appends it."""
        with tempfile.TemporaryDirectory(dir=self.member_dir) as tmp:
            path = os.path.join(tmp, "snapshot.db")
            major, minor = VERSION.split(".")[:2]
            async with self._backend_lock:
                await asyncio.to_thread(
                    write_etcd_snapshot, self.backend, path, list(self.members),
                    sorted(self.alarms), f"{major}.{minor}.0",
                )
            size = os.path.getsize(path)
            digest = hashlib.sha256()
            total = size + digest.digest_size
            sent = 0
            with open(path, "rb") as f:
                while chunk := f.read(SNAPSHOT_CHUNK):
                    digest.update(chunk)
                    sent += len(chunk)
                    yield chunk, total - sent
            yield digest.digest(), 0

    async def defragment(self) -> None:
        async with self._backend_lock:
            before = self.backend.size()
            self.backend.defragment()
            log.info("store: defragmented backend %d -> %d bytes", before, self.backend.size())

    # ------------------------------------------------------------ reads

    async def read_index(self) -> None:
        """Wait until every write committed before this call is applied.
        With one member, acknowledged writes are applied already."""

    async def range(self, req: rpc_pb2.RangeRequest) -> rpc_pb2.RangeResponse:
        if not req.serializable:
            await self.read_index()
        resp = self.applier.range(req)
        resp.header.CopyFrom(self.header(resp.header.revision))
        return resp

    async def read_txn(self, req: rpc_pb2.TxnRequest) -> rpc_pb2.TxnResponse:
        """A txn that only reads is served without the log, as etcd does;
        linearizable unless every range in it is serializable."""
        if not _all_serializable(req):
            await self.read_index()
        resp = self.applier.txn(None, req)
        resp.header.CopyFrom(self.header(resp.header.revision))
        return resp

    # ------------------------------------------------------------ leases

    def new_lease_id(self) -> int:
        while True:
            lease_id = next(self._lease_ids) & ((1 << 63) - 1)
            if lease_id and not self.lessor.exists(lease_id):
                return lease_id

    async def _lease_loop(self) -> None:
        while True:
            await asyncio.sleep(LEASE_CHECK_INTERVAL)
            for lease_id in self.lessor.expired(time.monotonic()):
                if lease_id not in self._revoking:
                    self._revoking.add(lease_id)
                    asyncio.create_task(self._revoke_expired(lease_id))

    async def _revoke_expired(self, lease_id: int) -> None:
        try:
            await self.propose(raft_internal_pb2.InternalRaftRequest(
                lease_revoke=rpc_pb2.LeaseRevokeRequest(ID=lease_id)
            ))
            log.info("store: lease %x expired and was revoked", lease_id)
        except errors.EtcdError:
            pass
        finally:
            self._revoking.discard(lease_id)

    # ------------------------------------------------------------ background

    async def _watch_catch_up_loop(self) -> None:
        """Replay history to lagging watchers, a batch at a time with the
        event loop free in between; look again when woken (a watcher was
        added) or after a short while (a slow client may have drained)."""
        while True:
            try:
                async with asyncio.timeout(WATCH_CATCH_UP_INTERVAL):
                    await self.watch_added.wait()
            except TimeoutError:
                pass
            self.watch_added.clear()
            while self.hub.catch_up():
                await asyncio.sleep(0)

    async def _progress_loop(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.progress_notify_interval)
            self.hub.progress()

    async def _compaction_loop(self, compactor: Compactor) -> None:
        while True:
            await asyncio.sleep(COMPACTOR_TICK)
            target = compactor.tick(time.monotonic(), self.kv.current_revision)
            if target is None or target <= self.kv.compact_revision:
                continue
            try:
                await self.propose(raft_internal_pb2.InternalRaftRequest(
                    compaction=rpc_pb2.CompactionRequest(revision=target)
                ))
                log.info("store: auto-compaction to revision %d", target)
            except errors.EtcdError as e:
                log.warning("store: auto-compaction to %d failed: %s", target, e.message)

    # ------------------------------------------------------------ status

    def status(self) -> rpc_pb2.StatusResponse:
        return rpc_pb2.StatusResponse(
            header=self.header(),
            version=VERSION,
            dbSize=self.backend.size(),
            leader=self.member_id,
            raftIndex=self.raft.commit_index,
            raftTerm=self.raft.term,
            raftAppliedIndex=self.raft.applied_index,
            errors=[
                f"memberID:{m} alarm:{rpc_pb2.AlarmType.Name(a)} " for m, a in sorted(self.alarms)
            ],
            dbSizeInUse=self.backend.size_in_use(),
        )


def _all_serializable(txn: rpc_pb2.TxnRequest) -> bool:
    for op in itertools.chain(txn.success, txn.failure):
        kind = op.WhichOneof("request")
        if kind == "request_range" and not op.request_range.serializable:
            return False
        if kind == "request_txn" and not _all_serializable(op.request_txn):
            return False
    return True
