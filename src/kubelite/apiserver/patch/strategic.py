"""Kubernetes strategic merge patch for the built-in kinds, driven by their
schemas (`kubelite.api.schema`).

Maps merge recursively and a null removes a key, as in a JSON merge patch.
Lists follow the field's `x-kubernetes-patch-strategy`: with "merge" and an
`x-kubernetes-patch-merge-key` the elements are merged by key (new ones are
added); with "merge" and no key, a list of scalars is a set union; any other
list is replaced whole. Where the schema says nothing about a field, maps
merge and lists are replaced, as JSON merge patch does.

The patch may carry directives, as kubectl writes them:

- `"$patch": "replace"` in a map replaces the map; `"$patch": "delete"`
  empties it (Kubernetes leaves `{}` in place); `"$patch": "merge"` is the
  default.
- in a merged list, an element `{"<key>": k, "$patch": "delete"}` removes the
  element(s) with that key, and an element `{"$patch": "replace"}` makes the
  other elements of the patch list replace the list. A list replaced whole
  drops the elements that carry `$patch`.
- `"$setElementOrder/<field>": [...]` gives the order of a merged list (for
  a keyed list, each item holds only the merge key).
- `"$deleteFromPrimitiveList/<field>": [...]` removes values from a list of
  scalars.
- `"$retainKeys": [...]` clears every key of the map not listed before the
  rest of the patch is merged into it.

Merged lists are ordered as Kubernetes orders them: the elements the patch
names (or `$setElementOrder` lists) in that order, the elements only the
original has in their original order, and the two interleaved so that an
original element stays ahead of a patched one it preceded.

Errors are `PatchError`s: 400 for a malformed patch (unknown directive, bad
directive value, missing merge key, content outside `$retainKeys`, an order
that contradicts the patch list), 422 for lists of lists.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from kubelite.api.schema import Schema, resolve
from kubelite.apiserver.patch import PatchError, describe, identity, json_equal

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER = "$setElementOrder/"
DELETE_FROM = "$deleteFromPrimitiveList/"

Obj = dict[str, Any]


def apply(original: Obj, patch: Obj, schema: Schema | None) -> Obj:
    """`original` with the strategic merge `patch` applied, as the kind whose
    schema is `schema` (None: no schema facts). Neither input is changed."""
    if not isinstance(patch, dict):
        raise PatchError(
            "strategic merge patch format is not supported: the patch must be an object", 400
        )
    target = copy.deepcopy(original) if isinstance(original, dict) else {}
    return _merge_map(target, patch, schema, "")


# --- schema facts ------------------------------------------------------------


def _ext(schema: Schema | None, name: str) -> Any:
    """An extension on the field's schema or, failing that, on the schema it
    refers to."""
    if schema is None:
        return None
    return schema.get(name) or resolve(schema).get(name)


def _strategies(schema: Schema | None) -> set[str]:
    text = _ext(schema, "x-kubernetes-patch-strategy") or ""
    return {part.strip() for part in text.split(",") if part.strip()}


def _child(schema: Schema | None, name: str) -> Schema | None:
    """The schema of member `name` of an object (or a map's value schema)."""
    if schema is None:
        return None
    resolved = resolve(schema)
    properties = resolved.get("properties") or {}
    if name in properties:
        return properties[name]
    extra = resolved.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _items(schema: Schema | None) -> Schema | None:
    if schema is None:
        return None
    items = resolve(schema).get("items")
    return items if isinstance(items, dict) else None


def _closed(schema: Schema | None) -> bool:
    """Whether the schema lists every field the object may have, so that an
    unknown `$`-key there can only be a directive we do not know."""
    if schema is None:
        return False
    resolved = resolve(schema)
    return (
        "properties" in resolved
        and not resolved.get("additionalProperties")
        and not resolved.get("x-kubernetes-preserve-unknown-fields")
    )


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


# --- maps --------------------------------------------------------------------


def _merge_map(target: Obj, patch: Obj, schema: Schema | None, where: str) -> Obj:
    """Merge `patch` into `target` (owned by the caller, changed in place)."""
    if PATCH in patch:
        directive = patch[PATCH]
        if directive == "replace":
            body = {k: v for k, v in patch.items() if k != PATCH}
            return _merge_map({}, body, schema, where)
        if directive == "delete":
            return {}
        if directive != "merge":
            raise PatchError(
                f"unknown patch type: {describe(directive)} in map {where or '<root>'}", 400
            )
    if RETAIN_KEYS in patch:
        _retain_keys(target, patch, where)

    ordered = set()
    for key, order in patch.items():
        name = key.removeprefix(SET_ORDER)
        if name != key and _set_order(target, patch, name, order, schema, where):
            ordered.add(name)
    deletions = []
    for key, value in patch.items():
        if key in (PATCH, RETAIN_KEYS) or key.startswith(SET_ORDER) or key in ordered:
            continue
        if key.startswith(DELETE_FROM):
            deletions.append((key.removeprefix(DELETE_FROM), value))
            continue
        if key.startswith("$") and _closed(schema) and _child(schema, key) is None:
            raise PatchError(
                f"unknown strategic merge patch directive {key!r} in {where or '<root>'}", 400
            )
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_value(target.get(key), value, _child(schema, key), _at(where, key))
    for name, values in deletions:
        _delete_from_list(target, name, values)
    return target


def _merge_value(current: Any, value: Any, schema: Schema | None, where: str) -> Any:
    """The result of patching `current` (owned by the caller) with `value`."""
    if isinstance(value, dict):
        if not isinstance(current, dict) or "replace" in _strategies(schema):
            current = {}
        return _merge_map(current, value, schema, where)
    if isinstance(value, list):
        return _merge_list(current if isinstance(current, list) else [], value, schema, where)
    return value


def _retain_keys(target: Obj, patch: Obj, where: str) -> None:
    keep = patch[RETAIN_KEYS]
    if not isinstance(keep, list) or not all(isinstance(k, str) for k in keep):
        raise PatchError(f"invalid patch format of retainKeys in {where or '<root>'}", 400)
    for key, value in patch.items():
        if value is not None and not key.startswith("$") and key not in keep:
            raise PatchError(
                f"invalid patch format of retainKeys in {where or '<root>'}: "
                f"{key!r} is set but not retained",
                400,
            )
    for key in [k for k in target if k not in keep]:
        del target[key]


def _delete_from_list(target: Obj, name: str, values: Any) -> None:
    if not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
        raise PatchError(f"invalid patch format of primitive list {DELETE_FROM}{name}", 400)
    current = target.get(name)
    if isinstance(current, list):
        drop = {identity(v) for v in values}
        target[name] = [v for v in current if identity(v) not in drop]


def _set_order(
    target: Obj, patch: Obj, name: str, order: Any, schema: Schema | None, where: str
) -> bool:
    """Merge list `name` and put it in the order the directive gives; False
    when the directive does not apply (the list is not a merged one), so the
    list is patched as usual."""
    if not isinstance(order, list):
        raise PatchError(f"invalid patch format of setElementOrder list {SET_ORDER}{name}", 400)
    field = _child(schema, name)
    if "merge" not in _strategies(field) or not isinstance(patch.get(name, []), list):
        return False
    current = target.get(name)
    if not isinstance(current, list) and name not in patch:
        return True
    key = _ext(field, "x-kubernetes-patch-merge-key") or ""
    if key and not all(isinstance(item, dict) and key in item for item in order):
        raise PatchError(
            f"invalid patch format of setElementOrder list {SET_ORDER}{name}: "
            f"every item must give the merge key {key!r}",
            400,
        )
    wanted = [identity(item[key]) if key else identity(item) for item in order]
    given = [
        identity(e[key]) if key else identity(e)
        for e in patch.get(name, [])
        if not key or (isinstance(e, dict) and PATCH not in e and key in e)
    ]
    remaining = iter(wanted)
    if wanted and not all(g in remaining for g in given):
        raise PatchError(
            f"the order of the patch list {_at(where, name)} doesn't match {SET_ORDER}{name}", 400
        )
    target[name] = _merge_list(
        current if isinstance(current, list) else [], patch.get(name, []), field,
        _at(where, name), wanted,
    )
    return True


# --- lists -------------------------------------------------------------------


def _merge_list(
    current: list[Any],
    patch: list[Any],
    schema: Schema | None,
    where: str,
    order: list[str] | None = None,
) -> list[Any]:
    """Patch list `current` (owned by the caller) with `patch`; `order` (the
    identities from $setElementOrder) overrides the patch list's order."""
    if "merge" not in _strategies(schema):
        return [copy.deepcopy(e) for e in patch if not (isinstance(e, dict) and PATCH in e)]
    if any(isinstance(e, list) for e in current + patch):
        raise PatchError(f"lists of lists are not supported: {where}")
    key = _ext(schema, "x-kubernetes-patch-merge-key") or ""
    if any(isinstance(e, dict) for e in current + patch):
        if not key:
            raise PatchError(f"cannot merge lists without merge key for {where}", 400)
        base, merged, given = _merge_keyed(current, patch, key, _items(schema), where)

        def ident(e: Any) -> str:
            return identity(e.get(key) if isinstance(e, dict) else e)
    else:
        base, ident = current, identity
        merged = _union(current, patch)
        given = [identity(v) for v in patch]
    return _arrange(merged, given if order is None else order, [ident(e) for e in base], ident)


def _union(current: list[Any], patch: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for value in current + patch:
        if identity(value) not in seen:
            seen.add(identity(value))
            out.append(value)
    return out


def _merge_keyed(
    current: list[Any], patch: list[Any], key: str, schema: Schema | None, where: str
) -> tuple[list[Any], list[Any], list[str]]:
    """Merge a list of objects by `key`. Returns the list the patch applies
    to (after deletions and replacement), the merged list, and the
    identities of the patch's elements in patch order."""
    plain: list[Obj] = []
    for element in patch:
        if not isinstance(element, dict):
            raise PatchError(
                f"{where}: element {describe(element)} of a merged list is not an object", 400
            )
        directive = element.get(PATCH)
        if PATCH not in element or directive == "merge":
            plain.append({k: v for k, v in element.items() if k != PATCH})
        elif directive == "delete":
            if key not in element:
                raise _no_merge_key(element, key)
            current = [e for e in current if not _has_key(e, key, element[key])]
        elif directive == "replace":
            current = []
        else:
            raise PatchError(f"unknown patch type: {describe(directive)} in {where}", 400)

    base = list(current)
    merged = list(current)
    position = {}
    for i, e in enumerate(merged):
        if isinstance(e, dict) and key in e:
            position.setdefault(identity(e[key]), i)
    given = []
    for element in plain:
        if key not in element:
            raise _no_merge_key(element, key)
        ident = identity(element[key])
        given.append(ident)
        if ident in position:
            i = position[ident]
            merged[i] = _merge_map(merged[i], element, schema, where)
        else:
            position[ident] = len(merged)
            merged.append(_merge_map({}, element, schema, where))
    return base, merged, given


def _has_key(element: Any, key: str, value: Any) -> bool:
    return isinstance(element, dict) and key in element and json_equal(element[key], value)


def _no_merge_key(element: Obj, key: str) -> PatchError:
    return PatchError(f"map: {describe(element)} does not contain declared merge key: {key}", 400)


def _arrange(
    merged: list[Any], wanted: list[str], base: list[str], ident: Callable[[Any], str]
) -> list[Any]:
    """Order a merged list. The elements `wanted` names come in that order;
    the others (present only in the original) keep their original order.
    The two runs are then interleaved: an original-only element goes before
    the next wanted element only when both were in the original and it came
    first there; otherwise the wanted element goes first."""
    rank: dict[str, int] = {}
    for i, w in enumerate(wanted):
        rank.setdefault(w, i)
    was: dict[str, int] = {}
    for i, b in enumerate(base):
        was.setdefault(b, i)
    tagged = [(ident(e), e) for e in merged]
    ours = sorted((t for t in tagged if t[0] in rank), key=lambda t: rank[t[0]])
    theirs = [t for t in tagged if t[0] not in rank]
    out = []
    i = j = 0
    while i < len(ours) and j < len(theirs):
        a, b = was.get(ours[i][0]), was.get(theirs[j][0])
        if a is not None and b is not None and b < a:
            out.append(theirs[j][1])
            j += 1
        else:
            out.append(ours[i][1])
            i += 1
    return out + [e for _, e in ours[i:]] + [e for _, e in theirs[j:]]
