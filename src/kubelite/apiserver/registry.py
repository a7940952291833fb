"""The generic registry: create, get, list, update, patch, delete and watch
for any declared resource, with the semantics Kubernetes gives them.

One class serves every kind; what differs per kind comes from its
`Resource` declaration (defaults, validation, subresources, the shape it is
stored in) and from the few admission steps that need the store (service
addresses, serving a CRD's resources).

A write that loses a race with another writer is made again on the fresh
object, as kube-apiserver's GuaranteedUpdate does; only a resourceVersion
or preconditions the client named answer 409.
"""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from kubelite.api import meta as api_meta
from kubelite.api.resource import Cause, Resource, with_zero_fields
from kubelite.api.schema import DEFINITIONS
from kubelite.api.selectors import (
    parse_field_selector,
    parse_label_selector,
)
from kubelite.apiserver import errors, objectmeta
from kubelite.apiserver.fieldvalidation import check
from kubelite.apiserver.patch import PatchError, json_patch, merge_patch, strategic
from kubelite.apiserver.storage import (
    RevisionChanged,
    Storage,
    WatchEvent,
    too_large_resource_version,
)
from kubelite.apiserver.watchcache import DEFAULT_WINDOW, WatchCache, selected, watched

Obj = dict[str, Any]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH)
# How long a write keeps retrying after losing races to other writers (as
# long as kube-apiserver lets a request run); each lost race means another
# write went through.
RETRY_SECONDS = 60.0
# How long a read waits for the watch cache (to list at start, to catch up)
# before it goes to the store instead.
CACHE_WAIT_SECONDS = 1.0


@dataclass
class Options:
    """What a request's query (and DeleteOptions body) asks for."""

    dry_run: bool = False
    field_validation: str = "Warn"  # Strict | Warn | Ignore
    label_selector: str = ""
    field_selector: str = ""
    limit: int = 0
    continue_token: str | None = None
    resource_version: str = ""
    resource_version_match: str = ""
    grace_period: int | None = None
    propagation: str | None = None
    preconditions: dict = field(default_factory=dict)
    allow_bookmarks: bool = False
    timeout_seconds: int | None = None
    send_initial_events: bool | None = None  # None: not given
    warnings: list[str] = field(default_factory=list)


class Admission:
    """Steps a kind needs beyond its declaration, which use the store
    (giving a service its addresses, serving a CRD's resources).

    `admit_create` and `admit_update` run before the write and may change
    the object; what they return (what they took, such as address claims)
    is handed to `undo` when the write is not kept: refused by validation or
    by the store, or turned into a delete. A write whose fate is unknown (a
    timeout, a cancelled request) is not undone: what it took may be in
    use, and is left for a repair to find. `after_*` run once a write is
    stored. The defaults do nothing."""

    async def admit_create(self, res: Resource, obj: Obj, dry_run: bool) -> Any:
        return None

    async def admit_update(self, res: Resource, obj: Obj, old: Obj, dry_run: bool) -> Any:
        return None

    async def undo(self, taken: Any) -> None:
        return None

    async def after_create(self, obj: Obj) -> None:
        return None

    async def after_update(self, obj: Obj, old: Obj) -> None:
        return None

    async def after_delete(self, res: Resource, obj: Obj) -> None:
        return None


NO_ADMISSION = Admission()
# What the store answers when it did not write: the revision it was asked to
# write at is gone or taken.
REFUSED = ("AlreadyExists", "Conflict", "NotFound")


class Registry:
    def __init__(self, storage: Storage, watch_cache_size: int = DEFAULT_WINDOW) -> None:
        self.storage = storage
        self.admission: dict[tuple[str, str], Admission] = {}  # by (group, plural)
        # Told of every object stored marked for deletion (finalizers to run).
        self.marked_listeners: list[Callable[[Resource, Obj], None]] = []
        # One watch cache per key root, made on the first list or watch that
        # can use it; none when the size is 0.
        self.watch_cache_size = watch_cache_size
        self.caches: dict[str, WatchCache] = {}

    async def close(self) -> None:
        """Stop the watch caches (their watchers end)."""
        for cache in self.caches.values():
            await cache.stop()
        self.caches.clear()

    def _cache(self, res: Resource) -> WatchCache | None:
        if not self.watch_cache_size:
            return None
        cache = self.caches.get(res.key_root)
        if cache is None:
            index = field_getters(res).get(res.watch_index) if res.watch_index else None
            cache = self.caches[res.key_root] = WatchCache(
                self.storage, res.key_root, self.watch_cache_size, index)
            cache.start()
        return cache

    # -------------------------------------------------------------- helpers

    @staticmethod
    def key(res: Resource, namespace: str | None, name: str) -> str:
        return res.key_prefix(namespace) + name

    def _admission(self, res: Resource) -> Admission:
        return self.admission.get((res.group, res.plural), NO_ADMISSION)

    @classmethod
    def served(cls, res: Resource, stored: Obj) -> Obj:
        """A stored object as `res` serves it: in its API's shape (when the
        store holds another's), and shown."""
        return cls.shown(res, res.from_stored(stored) if res.from_stored else stored)

    @staticmethod
    def shown(res: Resource, obj: Obj) -> Obj:
        """An object in its API's shape with the zero-valued status fields
        Kubernetes' serialization always writes."""
        if res.zero_status is not None:
            status = obj.get("status")
            if status is None or isinstance(status, dict):
                obj["status"] = with_zero_fields(status or {}, res.zero_status)
        return obj

    @staticmethod
    def _stored(res: Resource, obj: Obj) -> Obj:
        return res.to_stored(obj) if res.to_stored else obj

    async def _read(self, res: Resource, namespace: str | None, name: str) -> Obj:
        obj = await self.storage.get(self.key(res, namespace, name))
        if obj is None:
            raise errors.not_found(res.plural, name, res.group)
        return self.served(res, obj)

    async def _write(self, res: Resource, namespace: str | None, name: str, obj: Obj,
                     revision: str) -> Obj:
        """Store `obj` if the stored object is still at `revision`; raises
        RevisionChanged if another writer came first."""
        stored = await self.storage.update(
            self.key(res, namespace, name), self._stored(res, obj), int(revision),
            resource=res.plural, name=name, group=res.group,
        )
        return self.served(res, stored)

    async def _retrying(
        self, res: Resource, namespace: str | None, name: str,
        attempt: Callable[[Obj], Awaitable[Obj]], expected: str | None = None,
    ) -> Obj:
        """Kubernetes' GuaranteedUpdate: read the object, make one `attempt`
        at changing it, and when another writer got in between (the attempt
        raised RevisionChanged), try again on the fresh object. Only a
        resourceVersion the client named (`expected`) answers 409 once it no
        longer holds."""
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            old = await self._read(res, namespace, name)
            if expected and expected != old["metadata"]["resourceVersion"]:
                raise errors.conflict(res.plural, name, errors.MODIFIED, res.group)
            try:
                return await attempt(old)
            except RevisionChanged:
                if expected or time.monotonic() > deadline:
                    raise

    def _decode(self, res: Resource, body: Any, opts: Options) -> Obj:
        """Check a body against the kind's schema; apply fieldValidation."""
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON or YAML object")
        decoded = check(body, DEFINITIONS[res.schema])
        if decoded.type_errors and res.typed_decoding:
            raise errors.bad_request(
                f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                + "; ".join(decoded.type_errors)
            )
        if decoded.unknown:
            listed = ", ".join(f'unknown field "{p}"' for p in decoded.unknown)
            if opts.field_validation == "Strict":
                raise errors.bad_request(f"strict decoding error: {listed}")
            if opts.field_validation != "Ignore":
                opts.warnings += [f'unknown field "{p}"' for p in decoded.unknown]
        return decoded.obj

    @staticmethod
    def _check_type(res: Resource, obj: Obj) -> None:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version and api_version != res.group_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({res.group_version})"
            )
        if kind and kind != res.kind:
            raise errors.bad_request(
                f"the kind in the data ({kind}) does not match the expected kind ({res.kind})"
            )
        # In the order Go writes the struct: type, metadata, the rest, status.
        ordered = {"kind": res.kind, "apiVersion": res.group_version,
                   "metadata": obj.get("metadata", {})}
        ordered.update((k, v) for k, v in obj.items() if k not in (*ordered, "status"))
        if obj.get("status") is not None:
            ordered["status"] = obj["status"]
        obj.clear()
        obj.update(ordered)

    def _validate(self, res: Resource, obj: Obj, old: Obj | None) -> None:
        causes = (
            api_meta.validate_object_meta(obj, res.namespaced, name_validator=res.name_validator)
            if res.name_validator
            else api_meta.validate_object_meta(obj, res.namespaced)
        )
        if old is not None:
            causes += api_meta.validate_meta_update(obj, old)
        causes += res.validate(obj, old)
        if causes:
            name = obj.get("metadata", {}).get("name", "")
            raise errors.invalid(res.kind, name, causes, res.group)

    async def _check_namespace(self, res: Resource, namespace: str | None, name: str) -> None:
        if not res.namespaced:
            return
        ns = await self.storage.get(f"/registry/namespaces/{namespace}")
        if ns is None:
            raise errors.not_found("namespaces", namespace or "")
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.StatusError(
                403, "Forbidden",
                f'{res.plural} "{name}" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                {"name": name, "kind": res.plural, "group": res.group, "causes": [{
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }]},
            )

    # -------------------------------------------------------------- create

    async def create(self, res: Resource, namespace: str | None, body: Any, opts: Options) -> Obj:
        obj = self._decode(res, body, opts)
        self._check_type(res, obj)
        meta = obj.setdefault("metadata", {})
        if res.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            namespace = namespace or meta.get("namespace")
            if not namespace:
                raise errors.bad_request("the namespace of the object must be set")
        else:
            namespace = None
        objectmeta.prepare_create(obj, namespace)
        if res.status_subresource and not res.status_on_create:
            obj.pop("status", None)  # the status is the server's and controllers' to write
        res.default(obj)
        self._validate(res, obj, None)
        name = obj["metadata"]["name"]
        await self._check_namespace(res, namespace, name)
        admission = self._admission(res)
        taken = await admission.admit_create(res, obj, opts.dry_run)
        if opts.dry_run:
            return self.shown(res, obj)
        try:
            stored = await self.storage.create(
                self.key(res, namespace, name), self._stored(res, obj), resource=res.plural,
                name=name, group=res.group,
            )
        except errors.StatusError as e:
            if e.reason in REFUSED:
                await admission.undo(taken)
            raise
        created = self.served(res, stored)
        await admission.after_create(created)
        return created

    # -------------------------------------------------------------- read

    async def get(self, res: Resource, namespace: str | None, name: str) -> Obj:
        return await self._read(res, namespace, name)

    def predicate(self, res: Resource, opts: Options) -> Callable[[Obj], bool] | None:
        """The label and field selectors of a request as one test of a
        stored object (the field selectors read the stored shape), or None."""
        tests: list[Callable[[Obj], bool]] = []
        if opts.label_selector:
            try:
                labels = parse_label_selector(opts.label_selector)
            except ValueError as e:
                raise errors.bad_request(f"unable to parse requirement: {e}") from None
            tests.append(lambda o: labels.matches(o.get("metadata", {}).get("labels") or {}))
        if opts.field_selector:
            try:
                fields = parse_field_selector(opts.field_selector)
            except ValueError as e:
                raise errors.bad_request(str(e)) from None
            getters = field_getters(res)
            for name in fields.fields():
                if name in getters:
                    continue
                # Kinds with selectable fields of their own word it as their
                # field label conversion does; the others get the generic text.
                if res.field_selectors:
                    raise errors.bad_request(f"field label not supported: {name}")
                known = ", ".join(f'"{g}"' for g in getters)
                raise errors.bad_request(f'"{name}" is not a known field selector: only {known}')
            tests.append(lambda o: fields.matches(lambda f: getters[f](o)))
        if not tests:
            return None
        return lambda o: all(t(o) for t in tests)

    async def list(self, res: Resource, namespace: str | None, opts: Options) -> Obj:
        """A list, from the watch cache when it can answer (resourceVersion
        "0", or a consistent or not-older-than read with no paging once the
        cache is confirmed to hold what the store holds), else from the
        store. The objects may be the cache's: they are not to be changed."""
        cache = self._cache(res)
        if cache is not None and _cache_can_list(opts):
            listed = await self._list_cached(res, cache, namespace, opts)
            if listed is not None:
                return listed
        revision, wanted = _list_revisions(opts)
        result = await self.storage.list(
            res.key_prefix(namespace),
            limit=opts.limit,
            continue_token=opts.continue_token,
            revision=revision,
            predicate=self.predicate(res, opts),
        )
        if wanted > result.revision:
            raise too_large_resource_version(wanted, result.revision)
        metadata: Obj = {"resourceVersion": str(result.revision)}
        if result.continue_token:
            metadata["continue"] = result.continue_token
        if result.remaining:
            metadata["remainingItemCount"] = result.remaining
        return {
            "kind": res.list_kind,
            "apiVersion": res.group_version,
            "metadata": metadata,
            "items": [self.served(res, item) for item in result.items],
        }

    async def _list_cached(self, res: Resource, cache: WatchCache, namespace: str | None,
                           opts: Options) -> Obj | None:
        predicate = self.predicate(res, opts)
        if opts.resource_version == "0":  # any recent state
            if not await cache.ready(CACHE_WAIT_SECONDS):
                return None
            revision = cache.revision
        else:
            _, wanted = _list_revisions(opts)
            confirmed = await cache.confirmed(res.key_prefix(namespace), wanted,
                                              CACHE_WAIT_SECONDS)
            if confirmed is None:
                return None
            revision = confirmed
        items = cache.items(res.key_prefix(namespace), predicate)
        return {
            "kind": res.list_kind,
            "apiVersion": res.group_version,
            "metadata": {"resourceVersion": str(revision)},
            "items": [self.served(res, item) for item in items],
        }

    # -------------------------------------------------------------- update

    async def update(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        body: Any,
        opts: Options,
        subresource: str | None = None,
    ) -> Obj:
        """A PUT: replace the object with `body`; with a resourceVersion in
        the body only while the object is still at it."""
        obj = self._decode(res, body, opts)
        self._check_type(res, obj)
        meta = obj.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL "
                f"({name})"
            )
        meta["name"] = name
        if res.namespaced:
            meta["namespace"] = namespace
        return await self.guaranteed_update(
            res, namespace, name, lambda old: copy.deepcopy(obj), opts, subresource,
            expected=meta.get("resourceVersion"),
        )

    async def guaranteed_update(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        mutate: Callable[[Obj], Obj],
        opts: Options,
        subresource: str | None = None,
        expected: str | None = None,
    ) -> Obj:
        """Change an object through the update path (admission, defaults,
        validation): `mutate` gets a private copy of the current object and
        returns the new one, and is called again on the fresh object when
        another writer got in first."""

        async def attempt(old: Obj) -> Obj:
            return await self._store_update(
                res, namespace, name, mutate(copy.deepcopy(old)), old, opts, subresource
            )

        return await self._retrying(res, namespace, name, attempt, expected)

    async def _store_update(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        obj: Obj,
        old: Obj,
        opts: Options,
        subresource: str | None,
    ) -> Obj:
        """One attempt at an update of `old` to `obj` (RevisionChanged if
        another writer came first). An update that leaves an object being
        deleted with nothing to wait for deletes it instead, as Kubernetes
        does: the emptied state is never stored."""
        admission = self._admission(res)
        taken = None
        if subresource == "status":
            obj = objectmeta.prepare_status_update(obj, old)
        else:
            objectmeta.prepare_update(obj, old, keep_status=res.status_subresource,
                                      annotations_bump=res.annotations_bump_generation)
            taken = await admission.admit_update(res, obj, old, opts.dry_run)
        res.default(obj)
        try:
            self._validate(res, obj, old)
            if opts.dry_run:
                return self.shown(res, obj)
            if obj == old:
                return old
            if _finished_deleting(obj):
                await errors.unless_gone(self._remove(res, namespace, name, old))
                await admission.undo(taken)
                return obj
            updated = await self._write(res, namespace, name, obj,
                                        old["metadata"]["resourceVersion"])
        except errors.StatusError as e:
            if not opts.dry_run and (e.reason in REFUSED or e.code == 422):
                await admission.undo(taken)
            raise
        await admission.after_update(updated, old)
        return updated

    # -------------------------------------------------------------- patch

    async def patch(
        self,
        res: Resource,
        namespace: str | None,
        name: str,
        patch_type: str,
        patch: Any,
        opts: Options,
        subresource: str | None = None,
    ) -> Obj:
        """Apply a patch to the current object; when another writer got in
        first, to the fresh object again (unless the patch names the
        resourceVersion it was made against)."""

        def patched(old: Obj) -> Obj:
            new = apply_patch(res, old, patch_type, patch)
            try:
                obj = self._decode(res, new, opts)
            except errors.StatusError as e:
                # What a patch made that does not decode is the patch's fault.
                raise errors.invalid(res.kind, name, [Cause(
                    "FieldValueInvalid", f"Invalid value: {e.message}", "patch")], res.group
                ) from None
            self._check_type(res, obj)
            meta = obj["metadata"]
            meta["name"] = name
            if res.namespaced:
                meta["namespace"] = namespace
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"] and (
                _patch_sets_resource_version(patch_type, patch)
            ):
                raise errors.conflict(res.plural, name, errors.MODIFIED, res.group)
            return obj

        return await self.guaranteed_update(res, namespace, name, patched, opts, subresource)

    # -------------------------------------------------------------- delete

    async def delete(self, res: Resource, namespace: str | None, name: str, opts: Options) -> Obj:
        """Start (or finish) deleting an object. Writers changing it in the
        meantime make the delete look again, never fail; only the client's
        preconditions (uid, resourceVersion) can."""

        async def attempt(old: Obj) -> Obj:
            check_preconditions(res, name, old, opts.preconditions)
            marked = deletion_marks(res, old, opts)
            if opts.dry_run:
                return marked or old
            if marked is None or _finished_deleting(marked):
                return await self._remove(res, namespace, name, old)
            updated = await self._write(res, namespace, name, marked,
                                        old["metadata"]["resourceVersion"])
            for listener in self.marked_listeners:
                listener(res, updated)
            return updated

        return await self._retrying(res, namespace, name, attempt)

    async def _remove(self, res: Resource, namespace: str | None, name: str, obj: Obj) -> Obj:
        """Remove an object if it is still as read (else RevisionChanged);
        its last state."""
        gone = self.served(res, await self.storage.delete(
            self.key(res, namespace, name), int(obj["metadata"]["resourceVersion"]),
            resource=res.plural, name=name, group=res.group,
        ))
        await self._admission(res).after_delete(res, gone)
        return gone

    async def bind(self, res: Resource, namespace: str | None, name: str,
                   mutate: Callable[[Obj], Obj], opts: Options) -> Obj:
        """Store a change the server makes on a client's behalf (a pod's
        binding to a node), past the checks an update through the main
        resource gets; `mutate` may refuse by raising."""

        async def attempt(old: Obj) -> Obj:
            # `old` is this attempt's own decoding: `mutate` may change it.
            revision = old["metadata"]["resourceVersion"]
            new = mutate(old)
            if opts.dry_run:
                return new
            return await self._write(res, namespace, name, new, revision)

        # The watch cache's copy saves a read, as kube-apiserver's cacher
        # hands it to GuaranteedUpdate; if it was stale, the write or
        # `mutate` fails and the attempt is made again on the stored object.
        cache = None if opts.dry_run else self.caches.get(res.key_root)
        cached = cache.get(self.key(res, namespace, name)) if cache is not None else None
        if cached is not None:
            try:
                return await attempt(self.served(res, cached))
            except errors.StatusError:
                pass
        return await self._retrying(res, namespace, name, attempt)

    async def finalize_namespace(
        self, res: Resource, name: str, finalizers: Callable[[list[str]], list[str]],
        opts: Options, expected: str | None = None,
    ) -> Obj:
        """Change a namespace's spec.finalizers (`finalizers` gets the current
        ones); a terminating namespace whose finalizers are all done is
        removed."""

        async def attempt(old: Obj) -> Obj:
            ns = copy.deepcopy(old)
            spec = ns.setdefault("spec", {})
            spec["finalizers"] = finalizers(list(spec.get("finalizers") or []))
            if opts.dry_run:
                return ns
            if _finished_deleting(ns):
                await errors.unless_gone(self._remove(res, None, name, old))
                return ns
            return await self._write(res, None, name, ns, old["metadata"]["resourceVersion"])

        return await self._retrying(res, None, name, attempt, expected)

    async def delete_collection(
        self, res: Resource, namespace: str | None, opts: Options
    ) -> Obj:
        listed = await self.list(res, namespace, Options(
            label_selector=opts.label_selector, field_selector=opts.field_selector
        ))
        deleted = []
        for item in listed["items"]:
            meta = item["metadata"]
            gone = await errors.unless_gone(self.delete(res, meta.get("namespace"), meta["name"],
                                                        opts))
            if gone is not None:
                deleted.append(gone)
        listed["items"] = deleted
        return listed

    # -------------------------------------------------------------- watch

    def watch(
        self, res: Resource, namespace: str | None, opts: Options
    ) -> AsyncIterator[WatchEvent]:
        """Events for a watch request. A bad request (selectors, options) is
        refused here, before any event; what fails later (a compacted
        resourceVersion, a lost store) is raised by the iterator.

        The current objects come first as ADDED when the client asks for
        them (sendInitialEvents=true) or, as Kubernetes has always done, when
        it gives no resourceVersion (or "0") and does not refuse them; after
        those sent for sendInitialEvents, a BOOKMARK annotated
        k8s.io/initial-events-end tells the client it has the whole state.
        Other BOOKMARKs only say which revision the stream has reached (the
        HTTP layer sends its own when a watch has been quiet)."""
        validate_watch_options(opts)
        predicate = self.predicate(res, opts)
        prefix = res.key_prefix(namespace)
        rv = opts.resource_version
        start = _parse_rv(rv) if rv else 0
        initial = opts.send_initial_events
        if initial is None:
            initial = rv in ("", "0")
        end_bookmark = bool(opts.send_initial_events and opts.allow_bookmarks)
        cache = self._cache(res)
        if cache is None:
            return self._served_events(res, _watch_events(
                self.storage, prefix, start, predicate, initial, end_bookmark))
        pinned = None
        if res.watch_index and opts.field_selector:
            pinned = parse_field_selector(opts.field_selector).required_value(res.watch_index)
        return self._served_events(res, _cached_watch(
            cache, self.storage, prefix, start, predicate, initial, end_bookmark, pinned))

    async def _served_events(
        self, res: Resource, events: AsyncIterator[WatchEvent]
    ) -> AsyncIterator[WatchEvent]:
        async with aclosing(events):
            async for event in events:
                if event.type in ("ADDED", "MODIFIED", "DELETED"):
                    event = WatchEvent(event.type, self.served(res, event.object),
                                       event.revision)
                yield event


INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def bookmark(revision: int, initial_events_end: bool = False) -> WatchEvent:
    meta: Obj = {"resourceVersion": str(revision)}
    if initial_events_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return WatchEvent("BOOKMARK", {"metadata": meta}, revision)


async def _cached_watch(
    cache: WatchCache, storage: Storage, prefix: str, start: int,
    predicate: Callable[[Obj], bool] | None, initial: bool, end_bookmark: bool,
    pinned: str | None,
) -> AsyncIterator[WatchEvent]:
    """`_watch_events`, served by the watch cache: the initial objects from
    its current state, the changes from its window and as they come. What
    it cannot serve (a start before its window, initial events newer than
    it can confirm) goes to the store, as without the cache."""
    subscribed = None
    if await cache.ready(CACHE_WAIT_SECONDS):
        items: list[Obj] = []
        at: int | None = start or cache.revision
        if initial:
            at = cache.revision
            if start > at:
                at = await cache.confirmed(prefix, start, CACHE_WAIT_SECONDS)
            if at is not None:
                items = cache.items(prefix, predicate)
        if at is not None:
            subscribed = cache.subscribe(prefix, predicate, at, pinned)
    if subscribed is None:
        async with aclosing(_watch_events(storage, prefix, start, predicate, initial,
                                          end_bookmark)) as events:
            async for event in events:
                yield event
        return
    for item in items:
        yield WatchEvent("ADDED", item, int(item["metadata"]["resourceVersion"]))
    yield bookmark(at, initial_events_end=end_bookmark and initial)
    async with aclosing(watched(cache, *subscribed)) as events:
        async for event in events:
            yield event


async def _watch_events(
    storage: Storage, prefix: str, start: int, predicate: Callable[[Obj], bool] | None,
    initial: bool, end_bookmark: bool,
) -> AsyncIterator[WatchEvent]:
    """The initial objects (when asked for), then a BOOKMARK at the revision
    the changes follow from (annotated when the client asked for the end of
    the initial events; else it only tells the stream where it stands),
    then the changes."""
    if initial:
        listed = await storage.list(prefix, predicate=predicate)
        if start > listed.revision:
            raise too_large_resource_version(start, listed.revision)
        for item in listed.items:
            yield WatchEvent("ADDED", item, int(item["metadata"]["resourceVersion"]))
        start = listed.revision
    elif not start:
        start = await storage.current_revision()
    yield bookmark(start, initial_events_end=end_bookmark)
    async with aclosing(_filtered(storage.watch(prefix, start), predicate)) as events:
        async for event in events:
            yield event


async def _filtered(
    events: AsyncIterator[WatchEvent], predicate: Callable[[Obj], bool] | None
) -> AsyncIterator[WatchEvent]:
    """A store watch as a watch with selectors sees it (`selected`)."""
    async with aclosing(events):
        async for event in events:
            seen = selected(event, predicate)
            if seen is not None:
                yield seen


# ------------------------------------------------------------------ pure parts


def apply_patch(res: Resource, current: Obj, patch_type: str, patch: Any) -> Obj:
    try:
        if patch_type == JSON_PATCH:
            if not isinstance(patch, list):
                raise errors.bad_request("json patch must be a list of operations")
            return json_patch.apply(current, patch)
        if not isinstance(patch, dict):
            raise errors.bad_request("the patch must be a JSON object")
        if patch_type == MERGE_PATCH:
            return merge_patch.apply(current, patch)
        if patch_type == STRATEGIC_PATCH and res.strategic_merge:
            return strategic.apply(current, patch, DEFINITIONS[res.schema])
        if patch_type == STRATEGIC_PATCH:
            raise errors.StatusError(
                415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml",
            )
    except PatchError as e:
        raise errors.StatusError(e.code, "BadRequest" if e.code == 400 else "Invalid",
                                 str(e)) from None
    raise errors.unsupported_media_type(patch_type)


def _patch_sets_resource_version(patch_type: str, patch: Any) -> bool:
    if patch_type == JSON_PATCH:
        return any(
            isinstance(op, dict) and op.get("path") == "/metadata/resourceVersion"
            for op in patch
        )
    return isinstance(patch, dict) and bool(patch.get("metadata", {}).get("resourceVersion"))


def check_preconditions(res: Resource, name: str, obj: Obj, preconditions: Obj) -> None:
    """A delete's preconditions, checked against the current object: 409
    with Kubernetes' message when one no longer holds."""
    meta = obj["metadata"]
    uid = preconditions.get("uid")
    if uid and uid != meta.get("uid"):
        raise errors.conflict(
            res.plural, name,
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
            f"{meta.get('uid')}", res.group,
        )
    rv = preconditions.get("resourceVersion")
    if rv and rv != meta["resourceVersion"]:
        raise errors.conflict(
            res.plural, name,
            f"Precondition failed: ResourceVersion in precondition: {rv}, "
            f"ResourceVersion in object meta: {meta['resourceVersion']}", res.group,
        )


def validate_watch_options(opts: Options) -> None:
    """The combinations of watch options Kubernetes refuses: 422, as its
    ListOptions validation words them."""
    match, causes = opts.resource_version_match, []
    if opts.send_initial_events is not None and match != "NotOlderThan":
        causes.append(Cause("FieldValueForbidden", "Forbidden: sendInitialEvents requires "
                            "setting resourceVersionMatch to NotOlderThan",
                            "resourceVersionMatch"))
    if match:
        if opts.send_initial_events is None:
            causes.append(Cause("FieldValueForbidden", "Forbidden: resourceVersionMatch is "
                                "forbidden for watch unless sendInitialEvents is provided",
                                "resourceVersionMatch"))
        if match != "NotOlderThan":
            causes.append(Cause("FieldValueNotSupported", f'Unsupported value: "{match}": '
                                'supported values: "NotOlderThan"', "resourceVersionMatch"))
        if opts.continue_token:
            causes.append(Cause("FieldValueForbidden", "Forbidden: resourceVersionMatch is "
                                "forbidden when continue is provided", "resourceVersionMatch"))
    if causes:
        raise errors.invalid("ListOptions", "", causes, "meta.k8s.io")


def deletion_marks(res: Resource, obj: Obj, opts: Options) -> Obj | None:
    """How a delete starts: None to remove the object now, or the object
    marked for deletion (deletionTimestamp, grace period, the finalizers the
    propagation policy asks for) to be stored while others finish."""
    meta = obj["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if opts.propagation == "Foreground" and "foregroundDeletion" not in finalizers:
        finalizers.append("foregroundDeletion")
    elif opts.propagation == "Orphan" and "orphan" not in finalizers:
        finalizers.append("orphan")
    grace = graceful_period(res, obj, opts)
    if not finalizers and not grace and not _spec_finalizers(obj):
        return None
    if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
        if not grace or grace >= (meta.get("deletionGracePeriodSeconds") or 0):
            return copy.deepcopy(obj)  # already being deleted; nothing new to record
    marked = copy.deepcopy(obj)
    mmeta = marked["metadata"]
    mmeta["deletionTimestamp"] = mmeta.get("deletionTimestamp") or objectmeta.now()
    mmeta["deletionGracePeriodSeconds"] = grace or 0
    if finalizers:
        mmeta["finalizers"] = finalizers
    if marked.get("kind") == "Namespace":
        marked.setdefault("status", {})["phase"] = "Terminating"
    return marked


def graceful_period(res: Resource, obj: Obj, opts: Options) -> int:
    """Seconds a pod on a node gets to stop before it is removed; 0 for
    everything else (and for pods no node runs)."""
    if res.plural != "pods" or res.group:
        return 0
    if not obj.get("spec", {}).get("nodeName"):
        return 0
    if obj.get("status", {}).get("phase") in ("Succeeded", "Failed"):
        return 0
    if opts.grace_period is not None:
        return max(opts.grace_period, 0)
    return obj.get("spec", {}).get("terminationGracePeriodSeconds", 30)


def pending_deletion(obj: Obj) -> bool:
    """Marked for deletion and still waiting for finalizers or a grace period."""
    return bool(obj.get("metadata", {}).get("deletionTimestamp")) and not _finished_deleting(obj)


def _finished_deleting(obj: Obj) -> bool:
    """Marked for deletion with nothing left to wait for: no finalizers (a
    namespace's spec.finalizers count too) and no grace period running."""
    meta = obj.get("metadata", {})
    return (
        bool(meta.get("deletionTimestamp"))
        and not meta.get("finalizers")
        and not meta.get("deletionGracePeriodSeconds")
        and not _spec_finalizers(obj)
    )


def _spec_finalizers(obj: Obj) -> list[str]:
    if obj.get("kind") != "Namespace":
        return []
    return list(obj.get("spec", {}).get("finalizers") or [])


def field_getters(res: Resource) -> dict[str, Callable[[Obj], str | None]]:
    getters: dict[str, Callable[[Obj], str | None]] = {
        "metadata.name": lambda o: o.get("metadata", {}).get("name"),
    }
    if res.namespaced:
        getters["metadata.namespace"] = lambda o: o.get("metadata", {}).get("namespace")
    getters.update(res.field_selectors)
    return getters


def _parse_rv(rv: str) -> int:
    try:
        value = int(rv)
    except ValueError:
        raise errors.bad_request(f"invalid resource version: {rv!r}") from None
    if value < 0:
        raise errors.bad_request(f"invalid resource version: {rv!r}")
    return value


def _cache_can_list(opts: Options) -> bool:
    """Whether a list may come from the watch cache, as kube-apiserver
    decides: not an exact revision, not a page after the first; a limit is
    ignored for resourceVersion "0" and sends the others to the store."""
    if opts.continue_token or opts.resource_version_match == "Exact":
        return False
    return opts.resource_version == "0" or not opts.limit


def _list_revisions(opts: Options) -> tuple[int, int]:
    """(the store revision a list reads at, the revision its state must be at
    least as new as). The first is 0 for the newest, or exactly the
    resourceVersion for resourceVersionMatch=Exact; the second is the
    resourceVersion otherwise ("0" allows any recent state)."""
    if opts.resource_version in ("", "0"):
        return 0, 0
    rv = _parse_rv(opts.resource_version)
    if opts.resource_version_match == "Exact":
        return rv, 0
    return 0, 0 if opts.continue_token else rv
