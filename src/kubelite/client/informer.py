"""Informers: a local cache of one kind of object kept current by list and
watch, with event handlers, as client-go's tools/cache shared informers.

`SharedInformerFactory(client, resync_period)` hands out one
`SharedInformer` per (resource, namespace, label selector, field
selector), however many users ask, so that a process lists and watches
each set of objects once. An informer:

- lists (in pages of 500, first at resourceVersion "0" as client-go's
  reflector does), makes its store (store.py) hold exactly that, and
  delivers what changed to its handlers; then watches from the list's
  resourceVersion, with bookmarks;
- when a watch ends or breaks, watches again from the last
  resourceVersion it saw, so nothing is missed or repeated; on 410 Gone
  (that resourceVersion was compacted) it lists again from the latest
  state, and the deltas reach the handlers (a delete carries the last
  state the cache knew);
- waits a bounded, growing back-off (retry.Backoff: 0.8 s doubling to
  30 s, jittered) after each failed list or watch;
- every `resync_period` seconds (0: never) delivers on_update(obj, obj)
  for every cached object, so handlers re-check the world.

Handlers are plain functions (on_add(obj), on_update(old, new),
on_delete(obj)) called in the informer's task in event order; they must
not block: put a key on a work queue and return. A handler added to a
synced informer first gets on_add for everything cached. An exception in
a handler is logged and the others still run.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.api.resource import Resource
from kubelite.client.errors import ApiError, Gone, TransportError
from kubelite.client.rest import Client, WatchEvent
from kubelite.client.retry import Backoff
from kubelite.client.store import (
    ADD,
    DELETE,
    Delta,
    IndexFunc,
    Obj,
    Store,
    default_indexers,
    object_key,
    resource_version,
)

log = logging.getLogger("kubelite.client.informer")

# client-go's reflector asks for watches of 5 to 10 minutes.
MIN_WATCH_TIMEOUT = 300
# A watch that ends sooner than this with no event counts as a failure.
TOO_FAST = 1.0


@dataclass
class EventHandler:
    """A registration, as `add_event_handler` returns it."""

    on_add: Callable[[Obj], Any] | None = None
    on_update: Callable[[Obj, Obj], Any] | None = None
    on_delete: Callable[[Obj], Any] | None = None


class SharedInformer:
    def __init__(self, client: Client, resource: Resource, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None, *,
                 resync_period: float = 0.0, page_size: int = 500,
                 watch_timeout: int | None = None, backoff_initial: float = 0.8,
                 backoff_cap: float = 30.0) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace if resource.namespaced else None
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.backoff = Backoff(initial=backoff_initial, cap=backoff_cap)
        self.store = Store(default_indexers(resource.plural))
        self.last_resource_version = ""
        # What it has done, for logs and tests: lists and watches started,
        # and relists forced by 410 Gone.
        self.lists = 0
        self.watches = 0
        self.gone = 0
        self._handlers: list[EventHandler] = []
        self._synced = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._stopped = False

    def __repr__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"<SharedInformer {self.resource.plural}{where}>"

    # --- for users ----------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        """True once the first list has reached the store and the handlers."""
        return self._synced.is_set()

    def add_event_handler(self, on_add: Callable[[Obj], Any] | None = None,
                          on_update: Callable[[Obj, Obj], Any] | None = None,
                          on_delete: Callable[[Obj], Any] | None = None) -> EventHandler:
        handler = EventHandler(on_add, on_update, on_delete)
        self._handlers.append(handler)
        if self.has_synced and on_add is not None:
            for obj in self.store.list():
                self._call(on_add, obj)
        return handler

    def remove_event_handler(self, handler: EventHandler) -> None:
        self._handlers.remove(handler)

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        self.store.add_indexer(name, fn)

    def start(self) -> None:
        """Start listing and watching (in the running event loop)."""
        if self._tasks or self._stopped:
            return
        self._tasks.append(asyncio.create_task(self._run(),
                                               name=f"informer {self.resource.plural}"))
        if self.resync_period > 0:
            self._tasks.append(asyncio.create_task(self._resync_loop(),
                                                   name=f"resync {self.resource.plural}"))

    @property
    def started(self) -> bool:
        return bool(self._tasks)

    async def wait_for_cache_sync(self, timeout: float) -> bool:
        """Whether the informer synced within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._synced.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()

    # --- delivering -----------------------------------------------------------------

    @staticmethod
    def _call(fn: Callable[..., Any], *args: Obj) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("event handler %r failed", fn)

    def _deliver(self, delta: Delta) -> None:
        for handler in list(self._handlers):
            if delta.type == ADD:
                if handler.on_add is not None:
                    self._call(handler.on_add, delta.new)
            elif delta.type == DELETE:
                if handler.on_delete is not None:
                    self._call(handler.on_delete, delta.old)
            elif handler.on_update is not None:
                self._call(handler.on_update, delta.old, delta.new)

    def _typed(self, obj: Obj) -> Obj:
        # Objects carry their kind, whether they came from a list or a watch.
        obj.setdefault("apiVersion", self.resource.group_version)
        obj.setdefault("kind", self.resource.kind)
        return obj

    def _apply(self, event: WatchEvent) -> None:
        """One watch event into the store and to the handlers."""
        obj = event.object
        rv = resource_version(obj)
        if event.type == "BOOKMARK":
            self.last_resource_version = rv or self.last_resource_version
            return
        obj = self._typed(obj)
        if event.type in ("ADDED", "MODIFIED"):
            old = self.store.upsert(obj)
            self._deliver(Delta(ADD, obj, None) if old is None else Delta("update", obj, old))
        elif event.type == "DELETED":
            self.store.delete(object_key(obj))
            self._deliver(Delta(DELETE, None, obj))
        else:
            log.warning("%r: unknown watch event type %r", self, event.type)
            return
        self.last_resource_version = rv or self.last_resource_version

    # --- list and watch ------------------------------------------------------------

    async def _list(self, resource_version_: str) -> None:
        self.lists += 1
        items: list[Obj] = []
        continue_token: str | None = None
        while True:
            page = await self.client.list(
                self.resource, self.namespace, label_selector=self.label_selector,
                field_selector=self.field_selector,
                resource_version=None if continue_token else resource_version_,
                limit=self.page_size, continue_=continue_token)
            items.extend(self._typed(item) for item in page.get("items") or [])
            meta = page.get("metadata") or {}
            continue_token = meta.get("continue")
            if not continue_token:
                break
        for delta in self.store.replace(items):
            self._deliver(delta)
        self.last_resource_version = str(meta.get("resourceVersion") or "")
        self._synced.set()

    async def _watch(self) -> None:
        self.watches += 1
        timeout = self.watch_timeout or random.randint(MIN_WATCH_TIMEOUT, 2 * MIN_WATCH_TIMEOUT)
        loop = asyncio.get_running_loop()
        started, seen = loop.time(), 0
        async with self.client.watch(
                self.resource, self.namespace, resource_version=self.last_resource_version,
                label_selector=self.label_selector, field_selector=self.field_selector,
                allow_watch_bookmarks=True, timeout_seconds=timeout) as watch:
            async for event in watch:
                seen += 1
                self._apply(event)
        if not seen and loop.time() - started < TOO_FAST:
            raise TransportError(f"{self!r}: the watch was closed too fast")

    async def _run(self) -> None:
        # client-go's reflector lists at "0" first (any recent state), again
        # at the last resourceVersion seen after an error, and at "" (the
        # latest) once that resourceVersion is gone.
        list_from: str | None = "0"
        while True:
            try:
                if list_from is not None:
                    await self._list(list_from)
                    list_from = None
                await self._watch()
            except Gone as e:
                self.gone += 1
                if list_from == "":  # even the latest state is gone: wait a little
                    await asyncio.sleep(self.backoff.next())
                log.info("%r: %s; listing again", self, e.message)
                list_from = ""
            except (ApiError, TransportError) as e:
                delay = self.backoff.next()
                if isinstance(e, ApiError) and list_from is None:
                    list_from = self.last_resource_version or "0"
                log.info("%r: %s; trying again in %.1fs", self, e, delay)
                await asyncio.sleep(delay)
            except Exception:  # a bug or a malformed answer: never let the informer die
                delay = self.backoff.next()
                log.exception("%r: listing and watching failed; trying again in %.1fs",
                              self, delay)
                if list_from is None:
                    list_from = self.last_resource_version or "0"
                await asyncio.sleep(delay)

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.resync_period)
            if not self.has_synced:
                continue
            for obj in self.store.list():
                self._deliver(Delta("update", obj, obj))


class SharedInformerFactory:
    """One informer per (resource, namespace, label selector, field
    selector). `informer_options` go to each SharedInformer (page_size,
    watch_timeout, backoff_initial, backoff_cap)."""

    def __init__(self, client: Client, resync_period: float = 0.0,
                 **informer_options: Any) -> None:
        self.client = client
        self.resync_period = resync_period
        self.informer_options = informer_options
        self._informers: dict[tuple, SharedInformer] = {}

    def informer(self, resource: Resource, namespace: str | None = None,
                 label_selector: str | None = None,
                 field_selector: str | None = None) -> SharedInformer:
        key = (resource.group, resource.version, resource.plural,
               namespace if resource.namespaced else None, label_selector or "",
               field_selector or "")
        informer = self._informers.get(key)
        if informer is None:
            informer = SharedInformer(self.client, resource, namespace, label_selector,
                                      field_selector, resync_period=self.resync_period,
                                      **self.informer_options)
            self._informers[key] = informer
        return informer

    @property
    def informers(self) -> list[SharedInformer]:
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer not started yet (call again after asking
        for more)."""
        for informer in self._informers.values():
            informer.start()

    async def wait_for_cache_sync(self, timeout: float) -> bool:
        """Whether every started informer synced within `timeout` seconds."""
        started = [i for i in self._informers.values() if i.started]
        results = await asyncio.gather(*(i.wait_for_cache_sync(timeout) for i in started))
        return all(results)

    async def shutdown(self) -> None:
        for informer in self._informers.values():
            await informer.stop()
