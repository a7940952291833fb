"""An informer's cache: objects by key, with indexes, as client-go's
tools/cache Indexer keeps them. Pure: no I/O, no locks (it lives in one
event loop, and nothing in it awaits).

Keys are "namespace/name", or "name" for cluster-scoped objects. An index
is a function from an object to the values it is filed under;
`by_index(index, value)` gives the objects filed under a value. Three come
built in: "namespace", "ownerUID" (every ownerReference's uid) and, for
pods, "spec.nodeName" (unscheduled pods are filed under "").

`replace(objects)` is what a relist does: it makes the cache hold exactly
the listed objects and returns the deltas that got it there (an object
whose resourceVersion did not change is no delta; one that is gone is a
delete carrying the last state the cache knew).

The objects are shared with every reader: treat them as read-only and copy
one before changing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
IndexFunc = Callable[[Obj], list[str]]

NAMESPACE_INDEX = "namespace"
NODE_NAME_INDEX = "spec.nodeName"
OWNER_UID_INDEX = "ownerUID"

ADD, UPDATE, DELETE = "add", "update", "delete"


def object_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    namespace, name = meta.get("namespace") or "", meta.get("name") or ""
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str, str]:
    """(namespace, name); the namespace is "" for a cluster-scoped key."""
    namespace, _, name = key.rpartition("/")
    return namespace, name


def resource_version(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def namespace_index(obj: Obj) -> list[str]:
    return [(obj.get("metadata") or {}).get("namespace") or ""]


def node_name_index(obj: Obj) -> list[str]:
    return [(obj.get("spec") or {}).get("nodeName") or ""]


def owner_uid_index(obj: Obj) -> list[str]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [ref["uid"] for ref in refs if isinstance(ref, dict) and ref.get("uid")]


def default_indexers(plural: str) -> dict[str, IndexFunc]:
    indexers: dict[str, IndexFunc] = {NAMESPACE_INDEX: namespace_index,
                                      OWNER_UID_INDEX: owner_uid_index}
    if plural == "pods":
        indexers[NODE_NAME_INDEX] = node_name_index
    return indexers


@dataclass(frozen=True)
class Delta:
    """One change to the cache: ADD (new), UPDATE (old -> new), DELETE (old)."""

    type: str
    new: Obj | None
    old: Obj | None


def relist_deltas(cached: dict[str, Obj], listed: Iterable[Obj]) -> list[Delta]:
    """What turns `cached` into `listed`: adds and updates in list order,
    then the deletes of what the list no longer has."""
    deltas: list[Delta] = []
    seen: set[str] = set()
    for obj in listed:
        key = object_key(obj)
        seen.add(key)
        old = cached.get(key)
        if old is None:
            deltas.append(Delta(ADD, obj, None))
        elif resource_version(old) != resource_version(obj):
            deltas.append(Delta(UPDATE, obj, old))
    deltas.extend(Delta(DELETE, None, old) for key, old in cached.items() if key not in seen)
    return deltas


class Store:
    def __init__(self, indexers: dict[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._indexers: dict[str, IndexFunc] = {}
        # index name -> value -> keys
        self._indices: dict[str, dict[str, set[str]]] = {}
        for name, fn in (indexers or {}).items():
            self.add_indexer(name, fn)

    # --- reads ------------------------------------------------------------------

    def get(self, key: str) -> Obj | None:
        return self._items.get(key)

    def list(self) -> list[Obj]:
        return list(self._items.values())

    def keys(self) -> list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def index_keys(self, index: str, value: str) -> list[str]:
        if index not in self._indices:
            raise KeyError(f"no index {index!r}")
        return sorted(self._indices[index].get(value, ()))

    def by_index(self, index: str, value: str) -> list[Obj]:
        return [self._items[k] for k in self.index_keys(index, value)]

    def index_values(self, index: str) -> list[str]:
        if index not in self._indices:
            raise KeyError(f"no index {index!r}")
        return sorted(v for v, keys in self._indices[index].items() if keys)

    @property
    def indexers(self) -> list[str]:
        return list(self._indexers)

    # --- writes -----------------------------------------------------------------

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """A new index, built at once over what the cache holds."""
        if name in self._indexers:
            raise ValueError(f"index {name!r} exists already")
        self._indexers[name] = fn
        self._indices[name] = {}
        for key, obj in self._items.items():
            for value in fn(obj):
                self._indices[name].setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            index = self._indices[name]
            for value in fn(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]

    def _index(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            for value in fn(obj):
                self._indices[name].setdefault(value, set()).add(key)

    def upsert(self, obj: Obj) -> Obj | None:
        """Add or replace an object; returns the one it replaced."""
        key = object_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        self._index(key, obj)
        return old

    def delete(self, key: str) -> Obj | None:
        """Remove an object; returns it (None if it was not there)."""
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def replace(self, objects: Iterable[Obj]) -> list[Delta]:
        """Hold exactly `objects`; the deltas that got there."""
        deltas = relist_deltas(self._items, objects)
        for delta in deltas:
            if delta.type == DELETE:
                assert delta.old is not None
                self.delete(object_key(delta.old))
            else:
                assert delta.new is not None
                self.upsert(delta.new)
        return deltas
