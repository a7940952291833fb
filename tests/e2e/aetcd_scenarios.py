"""Scenarios for the asyncio etcd client `aetcd`, run as a script against one
store: `python aetcd_scenarios.py HOST:PORT` prints a JSON object with one
entry per scenario, in the order they ran, on a fresh store.

It runs in a child interpreter because aetcd ships its own compiled copy of
etcd's protos, which protobuf refuses to load into a process that has
already loaded kubelite's (same message names). What the test compares is
therefore plain data: lease IDs are named L1, L2, ... in the order they are
granted, and the server version, database size, raft index and client
address are masked; everything else is as the server sent it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aetcd
from aetcd import rpc

EVENT_TIMEOUT = 10.0  # seconds to wait for one watch event


class Context:
    """What the scenarios share: the client, the lease names, the endpoint."""

    def __init__(self, client: aetcd.Client, endpoint: str) -> None:
        self.client = client
        self.endpoint = endpoint
        self.leases: dict[int, str] = {}

    def lease(self, lease_id: int) -> str | int:
        if lease_id == 0:
            return 0
        return self.leases.setdefault(lease_id, f"L{len(self.leases) + 1}")

    def header(self, h: Any) -> dict:
        return {
            "cluster_id": h.cluster_id, "member_id": h.member_id,
            "revision": h.revision, "raft_term": h.raft_term,
        }

    def kv(self, kv: Any) -> dict | None:
        if kv is None:
            return None
        return {
            "key": kv.key.decode(), "value": kv.value.decode(),
            "create_revision": kv.create_revision, "mod_revision": kv.mod_revision,
            "version": kv.version, "lease": self.lease(kv.lease),
        }

    def event(self, ev: Any) -> dict:
        return {"kind": str(ev.kind), "kv": self.kv(ev.kv), "prev_kv": self.kv(ev.prev_kv)}

    def get(self, got: Any) -> dict | None:
        return None if got is None else {"header": self.header(got.header), **self.kv(got)}

    def range(self, got: Any) -> dict:
        return {
            "header": self.header(got.header), "count": got.count, "more": got.more,
            "kvs": [self.kv(kv) for kv in got],
        }


def failure(e: BaseException) -> dict:
    """An exception as data: aetcd's class, its message, the gRPC code."""
    cause = e.__cause__
    code = cause.code().name if isinstance(cause, rpc.AioRpcError) else None
    return {"error": type(e).__name__, "message": str(e), "code": code}


async def attempt(call: Awaitable[Any], shape: Callable[[Any], Any] = lambda r: r) -> Any:
    try:
        return shape(await call)
    except aetcd.ClientError as e:
        return failure(e)


async def collect(watch: Any, count: int) -> list:
    """The first `count` events of a watch (an exception ends the list)."""
    events: list = []
    stream = aiter(watch)
    try:
        for _ in range(count):
            events.append(await asyncio.wait_for(anext(stream), EVENT_TIMEOUT))
    except (TimeoutError, aetcd.ClientError) as e:
        events.append(e)
    finally:
        await watch.cancel()
    return events


async def put_get(ctx: Context) -> dict:
    c = ctx.client
    first = await c.put(b"/py/kv/a", b"1")
    second = await c.put(b"/py/kv/a", b"2", prev_kv=True)
    await c.put(b"/py/kv/empty", b"")
    return {
        "put": {"header": ctx.header(first.header), "prev_kv": ctx.kv(first.prev_kv)},
        "put_prev_kv": {"header": ctx.header(second.header), "prev_kv": ctx.kv(second.prev_kv)},
        "get": ctx.get(await c.get(b"/py/kv/a")),
        "get_serializable": ctx.get(await c.get(b"/py/kv/a", serializable=True)),
        "get_empty_value": ctx.get(await c.get(b"/py/kv/empty")),
        "get_missing": ctx.get(await c.get(b"/py/kv/missing")),
    }


async def ranges(ctx: Context) -> dict:
    c = ctx.client
    for key, value in [(b"a", b"30"), (b"b", b"10"), (b"c", b"40"), (b"d", b"20")]:
        await c.put(b"/py/range/" + key, value)
    await c.put(b"/py/range/b", b"50")
    return {
        "prefix": ctx.range(await c.get_prefix(b"/py/range/")),
        "prefix_by_value_descending": ctx.range(
            await c.get_prefix(b"/py/range/", sort_order="descend", sort_target="value")),
        "prefix_by_version_ascending": ctx.range(
            await c.get_prefix(b"/py/range/", sort_order="ascend", sort_target="version")),
        "prefix_keys_only": ctx.range(await c.get_prefix(b"/py/range/", keys_only=True)),
        "range_b_to_d": ctx.range(await c.get_range(b"/py/range/b", b"/py/range/d")),
        "range_by_mod_descending": ctx.range(await c.get_range(
            b"/py/range/a", b"/py/range/z", sort_order="descend", sort_target="mod")),
        "prefix_missing": ctx.range(await c.get_prefix(b"/py/range/nothing/")),
    }


async def deletes(ctx: Context) -> dict:
    c = ctx.client
    for key in [b"a", b"b", b"c", b"p/1", b"p/2"]:
        await c.put(b"/py/del/" + key, key.upper())

    def one(d: Any) -> dict | None:
        if d is None:
            return None
        return {"header": ctx.header(d.header), "deleted": d.deleted, "prev_kv": ctx.kv(d.prev_kv)}

    def many(d: Any) -> dict:
        return {
            "header": ctx.header(d.header), "deleted": d.deleted,
            "prev_kvs": [ctx.kv(kv) for kv in d.prev_kvs],
        }

    return {
        "delete": one(await c.delete(b"/py/del/a")),
        "delete_again": one(await c.delete(b"/py/del/a")),
        "delete_prev_kv": one(await c.delete(b"/py/del/b", prev_kv=True)),
        "delete_prefix": many(await c.delete_prefix(b"/py/del/p/", prev_kv=True)),
        "delete_range": many(await c.delete_range(b"/py/del/a", b"/py/del/z")),
        "delete_prefix_missing": many(await c.delete_prefix(b"/py/del/")),
        "left": ctx.range(await c.get_prefix(b"/py/del/")),
    }


async def transactions(ctx: Context) -> dict:
    c = ctx.client
    t = c.transactions
    await c.put(b"/py/txn/a", b"1")
    await c.put(b"/py/txn/a", b"2")

    def shape(result: tuple) -> dict:
        succeeded, responses = result
        shaped = []
        for r in responses:
            if isinstance(r, list):  # a range: (value, Get) pairs
                shaped.append([ctx.get(got) for _, got in r])
            else:
                kind = r.WhichOneof("response")
                inner = getattr(r, kind)
                shaped.append({kind: {"revision": inner.header.revision}})
        return {"succeeded": succeeded, "responses": shaped}

    return {
        "value_and_version_hold": shape(await c.transaction(
            compare=[t.value(b"/py/txn/a") == b"2", t.version(b"/py/txn/a") > 1],
            success=[t.put(b"/py/txn/b", b"ok"), t.get(b"/py/txn/a")],
            failure=[t.put(b"/py/txn/b", b"failed")],
        )),
        "mod_fails": shape(await c.transaction(
            compare=[t.mod(b"/py/txn/a") < 2],
            success=[t.put(b"/py/txn/c", b"ok")],
            failure=[t.delete(b"/py/txn/b"), t.get(b"/py/txn/b")],
        )),
        "create_of_missing_key": shape(await c.transaction(
            compare=[t.create(b"/py/txn/missing") == 0],
            success=[t.get(b"/py/txn/", b"/py/txn0")],
            failure=[],
        )),
        "duplicate_keys": await attempt(c.transaction(
            compare=[], success=[t.put(b"/py/txn/d", b"1"), t.put(b"/py/txn/d", b"2")],
            failure=[],
        )),
        "replace": await c.replace(b"/py/txn/a", b"2", b"3"),
        "replace_stale": await c.replace(b"/py/txn/a", b"2", b"4"),
        "after": ctx.get(await c.get(b"/py/txn/a")),
    }


async def lease_compare(ctx: Context) -> dict:
    """Txn compares on a key's lease; aetcd has no helper, so raw messages."""
    c = ctx.client
    lease = await c.lease(300)
    await c.put(b"/py/lcmp/leased", b"1", lease=lease)
    await c.put(b"/py/lcmp/plain", b"1")

    async def compare(key: bytes, lease_id: int) -> dict:
        request = rpc.TxnRequest(compare=[rpc.Compare(
            key=key, target=rpc.Compare.LEASE, result=rpc.Compare.EQUAL, lease=lease_id,
        )])
        response = await c.kvstub.Txn(request, timeout=10)
        return {"succeeded": response.succeeded, "header": ctx.header(response.header)}

    result = {
        "leased_has_lease": await compare(b"/py/lcmp/leased", lease.id),
        "leased_has_none": await compare(b"/py/lcmp/leased", 0),
        "plain_has_none": await compare(b"/py/lcmp/plain", 0),
        "plain_has_lease": await compare(b"/py/lcmp/plain", lease.id),
    }
    await lease.revoke()
    return result


async def watch_live(ctx: Context) -> dict:
    c = ctx.client
    await c.put(b"/py/watch/k", b"before")
    prefix = await c.watch_prefix(b"/py/watch/", prev_kv=True)
    key = await c.watch(b"/py/watch/k")
    await c.put(b"/py/watch/k", b"1")
    await c.put(b"/py/watch/other", b"x")
    await c.delete(b"/py/watch/k")
    await c.put(b"/py/watch/k", b"2")
    prefix_events = await collect(prefix, 4)
    key_events = await collect(key, 3)

    def shape(events: list) -> list:
        return [failure(e) if isinstance(e, BaseException) else ctx.event(e) for e in events]

    return {"prefix": shape(prefix_events), "key": shape(key_events)}


async def watch_replay(ctx: Context) -> dict:
    c = ctx.client
    start = (await c.put(b"/py/replay/a", b"1")).header.revision
    await c.put(b"/py/replay/a", b"2")
    await c.delete(b"/py/replay/a")
    events = await collect(await c.watch(b"/py/replay/a", start_revision=start, prev_kv=True), 3)
    return {
        "events": [failure(e) if isinstance(e, BaseException) else ctx.event(e) for e in events],
    }


async def leases(ctx: Context) -> dict:
    c = ctx.client
    lease = await c.lease(100)
    granted = {"id": ctx.lease(lease.id), "ttl": lease.ttl}
    await c.put(b"/py/lease/k", b"v", lease=lease)
    watch = await c.watch(b"/py/lease/k")

    def info(i: Any) -> dict:
        return {
            "header": ctx.header(i.header), "id": ctx.lease(i.ID), "ttl": i.TTL,
            "granted_ttl": i.grantedTTL, "keys": [k.decode() for k in i.keys],
        }

    refreshed = await lease.refresh()
    # Right after a refresh the remaining TTL, truncated to seconds, is TTL - 1.
    alive = info(await c.get_lease_info(lease.id))
    listed = await c.leasestub.LeaseLeases(rpc.LeaseLeasesRequest(), timeout=10)
    attached = ctx.get(await c.get(b"/py/lease/k"))
    await lease.revoke()
    events = await collect(watch, 1)
    return {
        "granted": granted,
        "refreshed": {"id": ctx.lease(refreshed.ID), "ttl": refreshed.TTL,
                      "header": ctx.header(refreshed.header)},
        "alive": alive,
        "listed": [ctx.lease(item.ID) for item in listed.leases],
        "key_with_lease": attached,
        "deleted_by_revoke": [
            failure(e) if isinstance(e, BaseException) else ctx.event(e) for e in events
        ],
        "key_after_revoke": ctx.get(await c.get(b"/py/lease/k")),
        "info_after_revoke": info(await c.get_lease_info(lease.id)),
        "revoke_again": await attempt(c.revoke_lease(lease.id)),
        "granted_with_id": await attempt(c.lease(60, lease_id=0x1234), lambda g: g.id),
        "same_id_again": await attempt(c.lease(60, lease_id=0x1234), lambda g: g.id),
    }


async def errors(ctx: Context) -> dict:
    c = ctx.client
    return {
        "put_unknown_lease": await attempt(c.put(b"/py/err/a", b"1", lease=0x1234abcd)),
        "put_empty_key": await attempt(c.put(b"", b"1")),
        "get_empty_key": await attempt(c.get(b"")),
        "lease_ttl_too_large": await attempt(c.lease(9_000_000_001), lambda g: g.ttl),
        "compact_future": await attempt(c.compact(1_000_000)),
    }


async def compaction(ctx: Context) -> dict:
    c = ctx.client
    first = (await c.put(b"/py/compact/a", b"1")).header.revision
    await c.put(b"/py/compact/a", b"2")
    last = (await c.put(b"/py/compact/a", b"3")).header.revision
    await c.compact(last, physical=True)
    events = await attempt(c.watch(b"/py/compact/a", start_revision=first), lambda w: w)
    if not isinstance(events, dict):
        events = await collect(events, 1)
        events = [
            {"compacted_revision": getattr(e, "compacted_revision", None), **failure(e)}
            if isinstance(e, BaseException) else ctx.event(e) for e in events
        ]
    return {
        "compacted_at": last,
        "watch_below": events,
        "compact_again": await attempt(c.compact(first)),
    }


async def cluster(ctx: Context) -> dict:
    c = ctx.client
    status = await c.status()
    members = [m async for m in c.members()]
    endpoint = f"http://{ctx.endpoint}"
    return {
        "status": {"leader": status.leader.id if status.leader else None,
                   "raft_term": status.raft_term},
        "members": [{
            "id": m.id, "name": m.name, "peer_urls": list(m.peer_urls),
            "client_urls": ["<endpoint>" if u == endpoint else u for u in m.client_urls],
        } for m in members],
        "alarms": [{"type": a.alarm_type, "member": a.member_id} async for a in c.list_alarms()],
    }


SCENARIOS: list[Callable[[Context], Awaitable[dict]]] = [
    put_get, ranges, deletes, transactions, lease_compare, watch_live, watch_replay,
    leases, errors, compaction, cluster,
]


async def main(endpoint: str) -> dict:
    host, port = endpoint.rsplit(":", 1)
    results: dict[str, Any] = {}
    async with aetcd.Client(host=host, port=int(port), timeout=10) as client:
        ctx = Context(client, endpoint)
        for scenario in SCENARIOS:
            try:
                results[scenario.__name__] = await scenario(ctx)
            except Exception as e:  # one failing scenario must not hide the others
                results[scenario.__name__] = {"crashed": repr(e), **failure(e)}
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1])), indent=1))
