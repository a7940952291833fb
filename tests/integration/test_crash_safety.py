"""Crash safety of the store: SIGKILL it while 16 clients write, restart it on
the same data directory, and check that nothing acknowledged was lost.

Each round starts the store (with a tiny `--snapshot-count`, so snapshots and
WAL release happen all the time), lets 16 grpc.aio writers put small values
while one more puts 1 MB values (so WAL segments fill, get cut and are
released within a run: they are 64 MiB in etcd and in kubelite), kills
the store at a chosen moment (after a random delay, right after the first
acknowledgement, or just after a revision that is a multiple of the snapshot
count), restarts it and checks every write acknowledged in this or any earlier
round:

- it is there with the revision of its PutResponse header: the current key
  when nothing overwrote it, `Range(key, revision=r)` when something did;
- no two acknowledgements share a revision, each writer saw its revisions
  increase, and a write after the restart gets a revision above every one
  acknowledged or observed before;
- a write whose RPC failed (the kill dropped it) may or may not be there, but
  every value under the test's prefixes is one that the test wrote to that key.

A 1 MB value is read back in full once, after the crash that follows its
acknowledgement; later rounds check its key and revision (keys only).

The same test runs against a real etcd 3.4, which proves the test itself.
Set KUBELITE_CRASH_SEED to replay a run's kill points.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import time
from dataclasses import dataclass, field

import grpc
import pytest

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc
from kubelite.etcdpb.mvccpb import kv_pb2
from tests.storeproc import ETCD, StoreProcess

WRITERS = 16
ROUNDS = 6
SNAPSHOT_COUNT = 50
MAX_PUTS_PER_WRITER = 1500  # per round; bounds the ledger whatever the speed
WRITE_PHASE_LIMIT = 5.0  # seconds a round may write before the kill regardless
RPC_TIMEOUT = 5.0
HOT_KEYS = 4  # keys every writer overwrites now and then, checked through history
PREFIX = b"/crash/"
BULK_PREFIX = b"/crashbulk/"  # 1 MB values, outside PREFIX so the full scan stays small
BULK_BYTES = 1_000_000  # under the 1.5 MiB default --max-request-bytes
BULK = b"<1MB>"  # stands for a bulk value in the ledger; bulk_value() rebuilds it
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 4 << 20),
]


def prefix_end(prefix: bytes) -> bytes:
    return prefix[:-1] + bytes([prefix[-1] + 1])


def bulk_value(key: bytes) -> bytes:
    return ((key + b"|") * (BULK_BYTES // len(key) + 1))[:BULK_BYTES]


def wal_state(data_dir: str) -> str:
    """The WAL segments on disk (etcd's layout, which kubelite keeps), for the log."""
    try:
        names = sorted(n for n in os.listdir(os.path.join(data_dir, "member", "wal")))
    except OSError:
        return "no member/wal"
    seqs = [int(n[:16], 16) for n in names if n.endswith(".wal")]
    return f"WAL segments {seqs[0]}..{seqs[-1]}" if seqs else "no WAL segment"


@dataclass
class Ledger:
    """Every write the test sent, and which of them the store acknowledged."""

    written: dict[bytes, set[bytes]] = field(default_factory=dict)  # key -> values sent
    acked: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)  # revision -> (key, value)
    acked_rev: dict[bytes, int] = field(default_factory=dict)  # value -> revision
    bulk_sent: set[bytes] = field(default_factory=set)  # keys
    bulk_acked: dict[bytes, int] = field(default_factory=dict)  # key -> revision
    bulk_unread: set[bytes] = field(default_factory=set)  # acked, value not yet read back
    unknown: int = 0
    ack_times: list[float] = field(default_factory=list)  # this round's, for the log
    failures: list[str] = field(default_factory=list)

    def sent(self, key: bytes, value: bytes) -> None:
        if value == BULK:
            self.bulk_sent.add(key)
        else:
            self.written.setdefault(key, set()).add(value)

    def ack(self, key: bytes, value: bytes, rev: int) -> None:
        if rev in self.acked:
            self.failures.append(
                f"revision {rev} acknowledged twice: {self.acked[rev]} and {(key, value)}"
            )
        self.acked[rev] = (key, value)
        if value == BULK:
            self.bulk_acked[key] = rev
            self.bulk_unread.add(key)
        else:
            self.acked_rev[value] = rev
        self.ack_times.append(time.monotonic())

    def fail(self, msg: str) -> None:
        self.failures.append(msg)

    def max_acked(self) -> int:
        return max(self.acked, default=0)


@dataclass
class KillPoint:
    """When to kill a round: after `delay` seconds of writing, or as soon as an
    acknowledged revision satisfies `at_rev` (whichever comes first)."""

    name: str
    delay: float = WRITE_PHASE_LIMIT
    at_rev: int = 0  # kill once an ack has a revision >= this; -1: past a snapshot point

    def describe(self) -> str:
        return f"{self.name} (delay={self.delay:.3f}s, at_rev={self.at_rev})"


def kill_points(rng: random.Random, rounds: int) -> list[KillPoint]:
    """The first round dies at its first acknowledgement, the second just past
    a revision that is a multiple of the snapshot count (where a snapshot is
    due or under way), the rest after a random short delay."""
    points = [KillPoint("first-ack", at_rev=1), KillPoint("snapshot-boundary", at_rev=-1)]
    while len(points) < rounds:
        points.append(KillPoint("random-delay", delay=rng.uniform(0.05, 1.5)))
    return points[:rounds]


async def writer(
    stub: rpc_pb2_grpc.KVStub,
    ledger: Ledger,
    round_no: int,
    wid: int,
    floor_rev: int,
    stop: asyncio.Event,
    acked_now: asyncio.Event,
    kill_rev: int,
) -> None:
    """Put until stopped or the first failed RPC; record every outcome. Writer
    number WRITERS puts 1 MB values."""
    last_rev = floor_rev
    for seq in range(MAX_PUTS_PER_WRITER):
        if stop.is_set():
            return
        if wid == WRITERS:
            key = BULK_PREFIX + b"%02d/%05d" % (round_no, seq)
            value, payload = BULK, bulk_value(key)
        else:
            if seq % 8 == 3:
                key = PREFIX + b"h/%d" % ((wid + seq) % HOT_KEYS)
            else:
                key = PREFIX + b"d/%02d/%02d/%05d" % (round_no, wid, seq)
            value = payload = b"r%d-w%d-s%d-" % (round_no, wid, seq) + b"x" * 48
        ledger.sent(key, value)
        try:
            resp = await stub.Put(rpc_pb2.PutRequest(key=key, value=payload), timeout=RPC_TIMEOUT)
        except grpc.aio.AioRpcError:
            ledger.unknown += 1
            return
        rev = resp.header.revision
        if rev <= last_rev:
            ledger.fail(
                f"writer {wid} round {round_no}: revision went from {last_rev} to {rev} "
                f"(round started above {floor_rev})"
            )
        last_rev = rev
        ledger.ack(key, value, rev)
        if kill_rev and rev >= kill_rev:
            acked_now.set()


async def write_and_kill(
    store: StoreProcess, ledger: Ledger, round_no: int, point: KillPoint, floor_rev: int
) -> str:
    """Write until the kill point, kill; say how long the writes ran and the
    longest wait for an acknowledgement (a stalled store shows here)."""
    ledger.ack_times = []
    started = time.monotonic()
    stop = asyncio.Event()
    acked_now = asyncio.Event()
    kill_rev = point.at_rev
    if kill_rev < 0:  # just past a multiple of the snapshot count, at least one count away
        kill_rev = (floor_rev // SNAPSHOT_COUNT + 2) * SNAPSHOT_COUNT + 1
    channels = [
        grpc.aio.insecure_channel(store.endpoint, options=CHANNEL_OPTIONS) for _ in range(4)
    ]
    try:
        tasks = [
            asyncio.create_task(
                writer(
                    rpc_pb2_grpc.KVStub(channels[w % len(channels)]),
                    ledger,
                    round_no,
                    w,
                    floor_rev,
                    stop,
                    acked_now,
                    kill_rev,
                )
            )
            for w in range(WRITERS + 1)
        ]
        try:
            await asyncio.wait_for(acked_now.wait(), timeout=point.delay)
        except TimeoutError:
            pass
        store.kill()
        killed = time.monotonic()
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=RPC_TIMEOUT + 5)
        for t in pending:
            t.cancel()
        assert not pending, f"{len(pending)} writers still running after the kill"
        for t in done:
            t.result()
    finally:
        for ch in channels:
            await ch.close()
    marks = [started, *(t for t in ledger.ack_times if t < killed), killed]
    stall = max(b - a for a, b in zip(marks, marks[1:], strict=False))
    return f"killed after {killed - started:.2f}s, longest wait for an ack {stall:.2f}s"


async def history_check(
    kv: rpc_pb2_grpc.KVStub, ledger: Ledger, rev: int, key: bytes, value: bytes
) -> None:
    resp = await kv.Range(rpc_pb2.RangeRequest(key=key, revision=rev), timeout=RPC_TIMEOUT)
    if not resp.kvs:
        ledger.fail(f"{key!r} acknowledged at revision {rev}: absent at that revision")
        return
    got = resp.kvs[0]
    if got.mod_revision != rev or got.value != value:
        ledger.fail(
            f"{key!r} acknowledged at revision {rev} with {value!r}: at that revision "
            f"it has mod_revision {got.mod_revision} value {got.value!r}"
        )


async def verify(store: StoreProcess, ledger: Ledger) -> int:
    """Check the restarted store against the ledger; return the highest revision
    seen anywhere (acknowledged, current or in the response header)."""
    async with grpc.aio.insecure_channel(store.endpoint, options=CHANNEL_OPTIONS) as ch:
        kv = rpc_pb2_grpc.KVStub(ch)
        resp = await kv.Range(
            rpc_pb2.RangeRequest(key=PREFIX, range_end=prefix_end(PREFIX)), timeout=30
        )
        highest = max(ledger.max_acked(), resp.header.revision)
        if resp.header.revision < ledger.max_acked():
            ledger.fail(
                f"store is at revision {resp.header.revision} after restart, below the "
                f"highest acknowledged revision {ledger.max_acked()}"
            )
        current: dict[bytes, kv_pb2.KeyValue] = {}
        for item in resp.kvs:
            current[item.key] = item
            highest = max(highest, item.mod_revision)
            if item.value not in ledger.written.get(item.key, ()):
                ledger.fail(f"{item.key!r} holds {item.value!r}, which the test never wrote there")
                continue
            acked_at = ledger.acked_rev.get(item.value)
            if acked_at is not None and acked_at != item.mod_revision:
                ledger.fail(
                    f"{item.key!r} = {item.value!r} was acknowledged at revision {acked_at} "
                    f"but has mod_revision {item.mod_revision}"
                )
            owner = ledger.acked.get(item.mod_revision)
            if owner is not None and owner != (item.key, item.value):
                ledger.fail(
                    f"revision {item.mod_revision} acknowledged for {owner} but holds "
                    f"{(item.key, item.value)}"
                )
            if item.key.startswith(PREFIX + b"d/") and (
                item.version != 1 or item.create_revision != item.mod_revision
            ):
                ledger.fail(f"{item.key!r} written once but has {item}")

        overwritten: list[tuple[int, bytes, bytes]] = []
        for rev, (key, value) in ledger.acked.items():
            if value == BULK:
                continue
            cur = current.get(key)
            if cur is None:
                ledger.fail(f"{key!r} acknowledged at revision {rev} is missing")
            elif cur.mod_revision < rev:
                ledger.fail(
                    f"{key!r} acknowledged at revision {rev} but the store has it at "
                    f"mod_revision {cur.mod_revision}"
                )
            elif cur.mod_revision > rev:
                overwritten.append((rev, key, value))
        # cur.mod_revision == rev: the value was checked above against acked_rev.

        queue = iter(overwritten)

        async def drain() -> None:
            for rev, key, value in queue:
                await history_check(kv, ledger, rev, key, value)

        await asyncio.gather(*(drain() for _ in range(16)))
        highest = max(highest, await verify_bulk(kv, ledger))
    return highest


async def verify_bulk(kv: rpc_pb2_grpc.KVStub, ledger: Ledger) -> int:
    """Keys and revisions of every 1 MB write; the values of those not read back
    yet and of unacknowledged ones that landed. Returns the highest mod_revision."""
    resp = await kv.Range(
        rpc_pb2.RangeRequest(key=BULK_PREFIX, range_end=prefix_end(BULK_PREFIX), keys_only=True),
        timeout=30,
    )
    present = {item.key: item.mod_revision for item in resp.kvs}
    for key, rev in present.items():
        if key not in ledger.bulk_sent:
            ledger.fail(f"{key!r} is present but the test never wrote it")
        acked_at = ledger.bulk_acked.get(key)
        if acked_at is not None and acked_at != rev:
            ledger.fail(f"{key!r} acknowledged at revision {acked_at} has mod_revision {rev}")
        owner = ledger.acked.get(rev)
        if owner is not None and owner != (key, BULK):
            ledger.fail(f"revision {rev} acknowledged for {owner} but holds {key!r}")
    for key, rev in ledger.bulk_acked.items():
        if key not in present:
            ledger.fail(f"{key!r} (1 MB) acknowledged at revision {rev} is missing")
    to_read = [k for k in present if k in ledger.bulk_unread or k not in ledger.bulk_acked]
    for key in to_read:
        got = await kv.Range(rpc_pb2.RangeRequest(key=key), timeout=RPC_TIMEOUT)
        if not got.kvs or got.kvs[0].value != bulk_value(key):
            ledger.fail(f"{key!r} (1 MB) does not hold the value the test wrote")
        ledger.bulk_unread.discard(key)
    return max(present.values(), default=0)


async def probe(store: StoreProcess, ledger: Ledger, round_no: int, highest: int) -> int:
    """A write after the restart must get a revision above everything before it."""
    key, value = PREFIX + b"probe/%d" % round_no, b"probe-%d" % round_no
    ledger.sent(key, value)
    async with grpc.aio.insecure_channel(store.endpoint) as ch:
        resp = await rpc_pb2_grpc.KVStub(ch).Put(
            rpc_pb2.PutRequest(key=key, value=value), timeout=RPC_TIMEOUT
        )
    rev = resp.header.revision
    if rev <= highest:
        ledger.fail(f"write after restart {round_no} got revision {rev}, not above {highest}")
    ledger.ack(key, value, rev)
    return rev


def kinds() -> list:
    return [
        pytest.param(
            "etcd",
            id="etcd",
            marks=pytest.mark.skipif(
                not os.path.exists(ETCD), reason=f"real etcd not installed at {ETCD}"
            ),
        ),
        pytest.param("kubelite", id="kubelite"),
    ]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("kind", kinds())
async def test_acknowledged_writes_survive_sigkill(kind: str, tmp_path) -> None:
    seed = int(os.environ.get("KUBELITE_CRASH_SEED", int.from_bytes(os.urandom(4), "big")))
    rng = random.Random(seed)
    points = kill_points(rng, ROUNDS)
    ledger = Ledger()
    data_dir = str(tmp_path / "data")
    store = StoreProcess(kind, data_dir, extra=["--snapshot-count", str(SNAPSHOT_COUNT)])
    started = time.monotonic()
    log: list[str] = []
    try:
        store.start()
        floor = await probe(store, ledger, -1, 0)
        for round_no, point in enumerate(points):
            before = len(ledger.acked)
            timing = await write_and_kill(store, ledger, round_no, point, floor)
            store.start()
            highest = await verify(store, ledger)
            floor = await probe(store, ledger, round_no, highest)
            log.append(
                f"round {round_no}: {point.describe()}: {len(ledger.acked) - before} acked, "
                f"{timing}, store at revision {floor}, {wal_state(data_dir)}"
            )
            assert not ledger.failures, (
                f"{kind}, seed {seed}, round {round_no} killed at {point.describe()}:\n"
                + "\n".join(ledger.failures[:20])
                + f"\n({len(ledger.failures)} failures; rounds so far:\n"
                + "\n".join(log)
                + ")"
            )
        hot = [rev for rev, (key, _) in ledger.acked.items() if key.startswith(PREFIX + b"h/")]
        assert hot, "no overwritten key was acknowledged: the history check never ran"
        assert ledger.bulk_acked, "no 1 MB write was acknowledged"
        assert len(ledger.acked) > ROUNDS * WRITERS, (
            f"only {len(ledger.acked)} writes acknowledged in {ROUNDS} rounds: " + "; ".join(log)
        )
    finally:
        store.stop()
        print(
            f"{kind}: seed {seed}, {len(ledger.acked)} acked ({len(ledger.bulk_acked)} of 1 MB), "
            f"{ledger.unknown} unknown, "
            f"{time.monotonic() - started:.1f}s\n" + "\n".join(log)
        )
    shutil.rmtree(data_dir, ignore_errors=True)
