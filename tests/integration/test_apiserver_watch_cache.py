"""The API server's watch cache (issue 7) seen from outside: a hundred
watchers on pods cost the store one watch, each gets its events; lists read
their own writes at once; lists at resourceVersion "0" and watches resuming
from a list come from the cache; `--watch-cache=false` serves the same
from the store. Runs with the API server on kubelite's store and on a real
etcd 3.4 (whose own metrics count its watchers)."""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
import uuid

import aiohttp
import orjson
import pytest

from tests.apiserverproc import APIServerProcess
from tests.rawhttp import Raw

WATCHERS = 100


def metric(raw: Raw, name: str) -> float:
    reply = raw.request("GET", "/metrics")
    for line in reply.body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in /metrics")


def settled(raw: Raw) -> float:
    """The store watch count once it has stopped changing."""
    last = metric(raw, "apiserver_storage_watches")
    for _ in range(40):
        time.sleep(0.25)
        now = metric(raw, "apiserver_storage_watches")
        if now == last:
            return now
        last = now
    raise AssertionError("the store watch count does not settle")


def etcd_watchers(apiserver) -> int | None:
    if apiserver.store.kind != "etcd":
        return None
    with urllib.request.urlopen(f"{apiserver.store.url}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("etcd_debugging_mvcc_watcher_total "):
                return int(float(line.split()[1]))
    raise AssertionError("etcd reported no watcher count")


def pod(name: str, **labels: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


async def _fan_out(apiserver, raw: Raw, ns: str) -> list[list[dict]]:
    ctx = ssl.create_default_context(cafile=apiserver.ca_file)
    headers = {"Authorization": f"Bearer {raw.token}"}
    rv = raw.request("GET", f"/api/v1/namespaces/{ns}/pods").json()["metadata"][
        "resourceVersion"]
    async with aiohttp.ClientSession(apiserver.url, headers=headers,
                                     connector=aiohttp.TCPConnector(ssl=ctx, limit=0)) as s:
        opened = asyncio.Event()
        count = 0

        async def watch(i: int) -> list[dict]:
            nonlocal count
            selector = {"labelSelector": "tier=web"} if i % 2 else {}
            params = {"watch": "1", "resourceVersion": rv, "timeoutSeconds": "30", **selector}
            got: list[dict] = []
            async with s.get(f"/api/v1/namespaces/{ns}/pods", params=params) as r:
                assert r.status == 200
                count += 1
                if count == WATCHERS:
                    opened.set()
                while len(got) < (1 if i % 2 else 2):
                    line = await asyncio.wait_for(r.content.readline(), 20)
                    got.append(orjson.loads(line))
            return got

        tasks = [asyncio.create_task(watch(i)) for i in range(WATCHERS)]
        await asyncio.wait_for(opened.wait(), 30)
        await asyncio.sleep(0.2)
        store_watches = metric(raw, "apiserver_storage_watches")
        in_etcd = etcd_watchers(apiserver)
        await asyncio.to_thread(raw.request, "POST", f"/api/v1/namespaces/{ns}/pods", pod("db"))
        await asyncio.to_thread(raw.request, "POST", f"/api/v1/namespaces/{ns}/pods",
                                pod("web", tier="web"))
        results = await asyncio.gather(*tasks)
    return results, store_watches, in_etcd


def test_a_hundred_watchers_cost_the_store_one_watch(apiserver, raw):
    ns = f"fan-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}}).status == 201
    raw.request("GET", "/api/v1/pods?limit=1&resourceVersion=0")  # the pods cache is up
    before = settled(raw)  # (the caches a fresh server's first lists make are in)
    etcd_before = etcd_watchers(apiserver)
    results, during, in_etcd = asyncio.run(_fan_out(apiserver, raw, ns))
    assert during == before, (before, during)
    if in_etcd is not None:
        assert in_etcd <= etcd_before + 1, (etcd_before, in_etcd)
    for i, events in enumerate(results):
        names = [e["object"]["metadata"]["name"] for e in events]
        assert names == (["web"] if i % 2 else ["db", "web"]), (i, events)
        assert all(e["type"] == "ADDED" for e in events)


def test_lists_read_their_own_writes(raw):
    ns = f"ryw-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}}).status == 201
    path = f"/api/v1/namespaces/{ns}/configmaps"
    for i in range(20):
        made = raw.request("POST", path, {"metadata": {"name": f"c{i}"}}).json()
        listed = raw.request("GET", path).json()
        assert f"c{i}" in {o["metadata"]["name"] for o in listed["items"]}
        assert int(listed["metadata"]["resourceVersion"]) >= int(
            made["metadata"]["resourceVersion"])
        assert raw.request("DELETE", f"{path}/c{i}").status == 200
        assert f"c{i}" not in {o["metadata"]["name"]
                               for o in raw.request("GET", path).json()["items"]}
    # Not older than a revision the client has seen.
    rv = raw.request("POST", path, {"metadata": {"name": "last"}}).json()["metadata"][
        "resourceVersion"]
    listed = raw.request("GET", f"{path}?resourceVersion={rv}").json()
    assert [o["metadata"]["name"] for o in listed["items"]] == ["last"]


def test_a_watch_from_a_list_sees_every_later_change_once(raw):
    ns = f"lw-{uuid.uuid4().hex[:6]}"
    assert raw.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}}).status == 201
    path = f"/api/v1/namespaces/{ns}/configmaps"
    raw.request("POST", path, {"metadata": {"name": "before"}})
    listed = raw.request("GET", f"{path}?resourceVersion=0").json()
    assert [o["metadata"]["name"] for o in listed["items"]] == ["before"]
    rv = listed["metadata"]["resourceVersion"]
    for name in ("one", "two"):
        raw.request("POST", path, {"metadata": {"name": name}})
    with raw.watch(f"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=5") as stream:
        seen = []
        while (e := stream.next()) is not None:
            seen.append((e["type"], e["object"]["metadata"]["name"]))
    assert seen == [("ADDED", "one"), ("ADDED", "two")]


@pytest.mark.parametrize("store_kind", ["kubelite"])
def test_without_the_watch_cache_the_same_is_served_from_the_store(tmp_path, store_kind):
    proc = APIServerProcess(str(tmp_path / "c"), store_kind=store_kind,
                            extra=["--watch-cache=false"])
    try:
        proc.start()
        raw = Raw(proc)
        test_lists_read_their_own_writes(raw)
        test_a_watch_from_a_list_sees_every_later_change_once(raw)
        assert metric(raw, "apiserver_storage_watches") == 0
    finally:
        proc.stop()
