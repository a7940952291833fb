"""What the API server itself writes into objects' metadata: names from
generateName, uids, timestamps, generations, and what it keeps from the
stored object on update. Pure functions over plain dicts."""

from __future__ import annotations

import copy
import random
import uuid
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

# Kubernetes' generated-name alphabet: no vowels (no words), no 0/1/3 (no look-alikes).
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_GENERATED_SUFFIX = 5
_MAX_NAME = 63


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generated_name(prefix: str) -> str:
    prefix = prefix[: _MAX_NAME - _GENERATED_SUFFIX]
    return prefix + "".join(random.choices(_NAME_ALPHABET, k=_GENERATED_SUFFIX))


def prepare_create(obj: Obj, namespace: str | None) -> None:
    """Fill what a newly created object gets from the server."""
    meta = obj.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = generated_name(meta["generateName"])
    if namespace is None:
        meta.pop("namespace", None)
    else:
        meta["namespace"] = namespace
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now()
    for server_owned in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                         "selfLink"):
        meta.pop(server_owned, None)
    if "spec" in obj:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)


def prepare_update(new: Obj, old: Obj, *, keep_status: bool,
                   annotations_bump: bool = False) -> None:
    """Carry over what a client may not change through the main resource:
    the server-set metadata, the status (when a status subresource owns
    it), and bump the generation when anything but metadata and status
    changed."""
    meta, old_meta = new.setdefault("metadata", {}), old["metadata"]
    for server_owned in ("uid", "creationTimestamp", "deletionTimestamp",
                         "deletionGracePeriodSeconds"):
        if server_owned in old_meta:
            meta[server_owned] = old_meta[server_owned]
        else:
            meta.pop(server_owned, None)
    meta.pop("selfLink", None)
    if keep_status:
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        else:
            new.pop("status", None)
    if "generation" in old_meta:
        changed = spec_changed(new, old) or (
            annotations_bump and meta.get("annotations") != old_meta.get("annotations")
        )
        meta["generation"] = old_meta["generation"] + (1 if changed else 0)


def prepare_status_update(new: Obj, old: Obj) -> Obj:
    """A write through /status changes the status and nothing else."""
    out = copy.deepcopy(old)
    out["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion")
    if "status" in new:
        out["status"] = new["status"]
    else:
        out.pop("status", None)
    return out


def spec_changed(new: Obj, old: Obj) -> bool:
    ignored = ("metadata", "status", "apiVersion", "kind")
    keys = (set(new) | set(old)) - set(ignored)
    return any(new.get(k) != old.get(k) for k in keys)
