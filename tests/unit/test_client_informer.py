"""Unit tests for the informer's cache (keys, indexers, the relist deltas)
and for the informer's list-then-watch logic against a scripted fake client:
paging, resuming from the last resourceVersion, bookmarks, relisting on 410
with deletes carrying the last known state, handlers, resync."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.client.errors import Gone, ServerError, TransportError
from kubelite.client.informer import SharedInformer, SharedInformerFactory
from kubelite.client.resources import custom_resource, resource_for
from kubelite.client.rest import WatchEvent
from kubelite.client.store import (
    ADD,
    DELETE,
    NAMESPACE_INDEX,
    NODE_NAME_INDEX,
    OWNER_UID_INDEX,
    UPDATE,
    Store,
    default_indexers,
    object_key,
    relist_deltas,
    split_key,
)

PODS = resource_for("v1", "pods")
NODES = resource_for("v1", "nodes")


def pod(name: str, rv: str, node: str = "", ns: str = "default", owners=()) -> dict:
    meta = {"name": name, "namespace": ns, "resourceVersion": rv}
    if owners:
        meta["ownerReferences"] = [{"uid": u, "kind": "ReplicaSet", "name": u} for u in owners]
    return {"metadata": meta, "spec": {"nodeName": node} if node else {}}


def test_keys() -> None:
    assert object_key(pod("a", "1", ns="ns1")) == "ns1/a"
    assert object_key({"metadata": {"name": "n1"}}) == "n1"
    assert split_key("ns1/a") == ("ns1", "a") and split_key("n1") == ("", "n1")


def test_built_in_indexes() -> None:
    store = Store(default_indexers("pods"))
    store.upsert(pod("a", "1", node="n1", owners=["rs1"]))
    store.upsert(pod("b", "2", node="n1", ns="other", owners=["rs1", "rs2"]))
    store.upsert(pod("c", "3"))
    assert [object_key(o) for o in store.by_index(NODE_NAME_INDEX, "n1")] == \
        ["default/a", "other/b"]
    assert store.index_keys(NODE_NAME_INDEX, "") == ["default/c"]  # unscheduled
    assert store.index_keys(NAMESPACE_INDEX, "default") == ["default/a", "default/c"]
    assert store.index_keys(OWNER_UID_INDEX, "rs2") == ["other/b"]
    assert store.index_values(OWNER_UID_INDEX) == ["rs1", "rs2"]
    # An update moves the object between index values.
    old = store.upsert(pod("c", "4", node="n2"))
    assert old is not None and old["metadata"]["resourceVersion"] == "3"
    assert store.index_keys(NODE_NAME_INDEX, "") == []
    assert store.index_keys(NODE_NAME_INDEX, "n2") == ["default/c"]
    assert store.delete("default/a") is not None and store.delete("default/a") is None
    assert store.index_keys(NODE_NAME_INDEX, "n1") == ["other/b"]
    assert store.index_values(NODE_NAME_INDEX) == ["n1", "n2"]
    assert len(store) == 2 and "other/b" in store


def test_only_pods_get_the_node_name_index() -> None:
    assert NODE_NAME_INDEX not in default_indexers("nodes")
    with pytest.raises(KeyError):
        Store(default_indexers("nodes")).by_index(NODE_NAME_INDEX, "")


def test_add_indexer_indexes_what_is_there() -> None:
    store = Store()
    store.upsert(pod("a", "1", node="n1"))
    store.upsert(pod("b", "1"))
    store.add_indexer("app", lambda o: [o["metadata"]["name"].upper()])
    assert store.index_keys("app", "A") == ["default/a"]
    store.upsert(pod("c", "1"))
    assert store.index_keys("app", "C") == ["default/c"]
    with pytest.raises(ValueError):
        store.add_indexer("app", lambda o: [])


def test_relist_deltas() -> None:
    cached = {"default/a": pod("a", "1"), "default/b": pod("b", "2"), "default/c": pod("c", "3")}
    listed = [pod("a", "1"), pod("b", "5"), pod("d", "6")]
    deltas = relist_deltas(cached, listed)
    assert [(d.type, object_key(d.new or d.old)) for d in deltas] == [
        (UPDATE, "default/b"), (ADD, "default/d"), (DELETE, "default/c")]
    assert deltas[0].old["metadata"]["resourceVersion"] == "2"
    assert deltas[2].old is cached["default/c"]  # the last state the cache knew


def test_replace_makes_the_store_hold_exactly_the_list() -> None:
    store = Store(default_indexers("pods"))
    for p in (pod("a", "1", node="n1"), pod("b", "2", node="n1")):
        store.upsert(p)
    store.replace([pod("b", "3", node="n2"), pod("c", "4")])
    assert sorted(store.keys()) == ["default/b", "default/c"]
    assert store.index_keys(NODE_NAME_INDEX, "n1") == []
    assert store.index_keys(NODE_NAME_INDEX, "n2") == ["default/b"]


# --- the informer against a scripted client ------------------------------------------


class FakeWatch:
    def __init__(self, script: list) -> None:
        self.script = script

    async def __aenter__(self) -> FakeWatch:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def __aiter__(self) -> FakeWatch:
        return self

    async def __anext__(self) -> WatchEvent:
        if not self.script:
            raise StopAsyncIteration
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, asyncio.Event):
            await step.wait()  # hold the watch open until the test is done
            raise StopAsyncIteration
        return step


class FakeClient:
    def __init__(self, lists: list, watches: list[list]) -> None:
        self.list_script = lists
        self.watch_script = watches
        self.list_calls: list[dict] = []
        self.watch_calls: list[str] = []
        self.exhausted = asyncio.Event()
        self.hold = asyncio.Event()

    async def list(self, resource, namespace=None, **kwargs):
        self.list_calls.append(kwargs)
        step = self.list_script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step

    def watch(self, resource, namespace=None, *, resource_version=None, **kwargs):
        self.watch_calls.append(resource_version)
        if not self.watch_script:
            self.exhausted.set()
            return FakeWatch([self.hold])
        return FakeWatch(self.watch_script.pop(0))


def page(items: list, rv: str, cont: str = "") -> dict:
    meta = {"resourceVersion": rv, **({"continue": cont} if cont else {})}
    return {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}


def event(kind: str, obj: dict) -> WatchEvent:
    return WatchEvent(kind, obj)


class Recorder:
    def __init__(self, informer: SharedInformer) -> None:
        self.seen: list[tuple] = []
        informer.add_event_handler(
            on_add=lambda o: self.seen.append(("add", o["metadata"]["name"], rv(o))),
            on_update=lambda old, new: self.seen.append(
                ("update", new["metadata"]["name"], rv(old), rv(new))),
            on_delete=lambda o: self.seen.append(("delete", o["metadata"]["name"], rv(o))))


def rv(obj: dict) -> str:
    return obj["metadata"]["resourceVersion"]


async def run_until_exhausted(informer: SharedInformer, client: FakeClient) -> None:
    informer.start()
    try:
        await asyncio.wait_for(client.exhausted.wait(), 5)
    finally:
        client.hold.set()
        await informer.stop()


async def test_list_watch_resume_bookmark_and_relist_on_gone() -> None:
    client = FakeClient(
        lists=[
            page([pod("a", "1")], "5", cont="next"),  # two pages, one snapshot
            page([pod("b", "2")], "5"),
            page([pod("a", "11"), pod("d", "12")], "12"),  # the relist after 410
        ],
        watches=[
            [event("MODIFIED", pod("a", "6")), event("ADDED", pod("c", "7")),
             TransportError("connection lost")],
            [event("BOOKMARK", {"metadata": {"resourceVersion": "9"}}),
             event("DELETED", pod("b", "10")), Gone(410, "Expired", "too old")],
        ])
    informer = SharedInformer(client, PODS, page_size=1, watch_timeout=60,  # type: ignore
                              backoff_initial=0)
    seen = Recorder(informer)
    await run_until_exhausted(informer, client)
    assert client.list_calls[0]["resource_version"] == "0"  # the first list: any recent state
    assert client.list_calls[0]["limit"] == 1
    assert client.list_calls[1]["continue_"] == "next"
    assert client.list_calls[1]["resource_version"] is None
    assert client.list_calls[2]["resource_version"] == ""  # after 410: the latest state
    # Resumed from the last resourceVersion seen, bookmark included.
    assert client.watch_calls == ["5", "7", "12"]
    assert seen.seen == [
        ("add", "a", "1"), ("add", "b", "2"),
        ("update", "a", "1", "6"), ("add", "c", "7"),
        ("delete", "b", "10"),
        # The relist: a changed, d is new, c is gone (its last known state).
        ("update", "a", "6", "11"), ("add", "d", "12"), ("delete", "c", "7"),
    ]
    assert sorted(informer.store.keys()) == ["default/a", "default/d"]
    assert informer.store.get("default/a")["kind"] == "Pod"  # list items carry their kind
    assert (informer.lists, informer.gone) == (2, 1)
    assert informer.has_synced


async def test_errors_back_off_and_list_again_from_the_last_resource_version() -> None:
    client = FakeClient(
        lists=[ServerError(500, "InternalError", "etcd down"),
               page([pod("a", "1")], "3"),
               page([pod("a", "1")], "4")],
        watches=[[ServerError(500, "InternalError", "watch failed")]])
    informer = SharedInformer(client, PODS, backoff_initial=0)  # type: ignore[arg-type]
    seen = Recorder(informer)
    await run_until_exhausted(informer, client)
    assert [c["resource_version"] for c in client.list_calls] == ["0", "0", "3"]
    assert seen.seen == [("add", "a", "1")]  # an unchanged object is no delta


async def test_handler_added_late_gets_the_cache_and_a_failing_handler_is_contained() -> None:
    client = FakeClient(lists=[page([pod("a", "1"), pod("b", "2")], "2")], watches=[])
    informer = SharedInformer(client, PODS, backoff_initial=0)  # type: ignore[arg-type]

    def broken(obj: dict) -> None:
        raise RuntimeError("handler bug")

    informer.add_event_handler(on_add=broken)
    await run_until_exhausted(informer, client)
    late: list[str] = []
    informer.add_event_handler(on_add=lambda o: late.append(o["metadata"]["name"]))
    assert sorted(late) == ["a", "b"]


async def test_resync_redelivers_every_cached_object_as_an_update() -> None:
    client = FakeClient(lists=[page([pod("a", "1")], "1")], watches=[])
    informer = SharedInformer(client, PODS, resync_period=0.001,  # type: ignore[arg-type]
                              backoff_initial=0)
    resynced = asyncio.Event()
    informer.add_event_handler(on_update=lambda old, new: old is new and resynced.set())
    informer.start()
    try:
        assert await informer.wait_for_cache_sync(5)
        await asyncio.wait_for(resynced.wait(), 5)
    finally:
        client.hold.set()
        await informer.stop()


async def test_wait_for_cache_sync_times_out() -> None:
    informer = SharedInformer(FakeClient([], []), PODS)  # type: ignore[arg-type]
    assert not await informer.wait_for_cache_sync(0)


def test_the_factory_shares_one_informer_per_set() -> None:
    factory = SharedInformerFactory(FakeClient([], []), resync_period=30)  # type: ignore
    a = factory.informer(PODS, "ns", label_selector="app=x")
    assert factory.informer(PODS, "ns", label_selector="app=x") is a
    assert factory.informer(PODS, "ns") is not a
    assert factory.informer(PODS, "other", label_selector="app=x") is not a
    # A cluster-scoped resource ignores the namespace.
    assert factory.informer(NODES, "ns") is factory.informer(NODES)
    widgets = custom_resource("example.com", "v1", "Widget", "widgets")
    assert factory.informer(widgets).resource.group_version == "example.com/v1"
    assert a.resync_period == 30 and len(factory.informers) == 5
