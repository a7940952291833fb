"""What a resource declares, once, for the generic registry to serve it.

A declaration module (e.g. kubelite.api.core.configmaps) builds one
`Resource` and registers it with `register`. Everything per-kind that the
API server needs is here: names for discovery, the schema, which
subresources exist, defaulting, validation, the columns `kubectl get`
shows, and the extra field selectors the kind supports. The functions are
pure: they take objects as plain dicts and return data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Cause:
    """One reason an object is invalid, as a Status cause: `reason` is a
    Kubernetes cause type such as "FieldValueRequired", "FieldValueInvalid",
    "FieldValueNotSupported", "FieldValueDuplicate", "FieldValueForbidden",
    "FieldValueTooLong"; `field` is the path ("spec.containers[0].name")."""

    reason: str
    message: str
    field: str


@dataclass(frozen=True)
class Column:
    """A Table column: `value(obj)` gives the cell. priority 0 columns show
    in `kubectl get`, priority 1 only with -o wide."""

    name: str
    value: Callable[[Obj], Any]
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0


@dataclass(frozen=True)
class ScaleSpec:
    """Where the scale subresource reads and writes: dotted paths."""

    spec_replicas: str = "spec.replicas"
    status_replicas: str = "status.replicas"
    label_selector: str = "status.selector"
    # The selector there is a plain label map (a ReplicationController's),
    # not a LabelSelector.
    selector_is_map: bool = False


def _no_defaults(obj: Obj) -> None:
    return None


def _always_valid(obj: Obj, old: Obj | None) -> list[Cause]:
    return []


@dataclass
class Resource:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    schema: str  # the definition name in kubelite.api.schema.DEFINITIONS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    singular: str = ""
    status_subresource: bool = False
    # With a status subresource, a create drops the status the client sent,
    # except for kinds whose creator reports it (a node registering itself).
    status_on_create: bool = False
    scale: ScaleSpec | None = None
    # Mutates a new or updated object in place, filling what Kubernetes fills.
    default: Callable[[Obj], None] = _no_defaults
    # Causes why `obj` is invalid; `old` is the stored object on update.
    validate: Callable[[Obj, Obj | None], list[Cause]] = _always_valid
    columns: tuple[Column, ...] = ()
    # Field selectors beyond metadata.name and metadata.namespace; they read
    # objects as stored (see from_stored).
    field_selectors: dict[str, Callable[[Obj], str]] = field(default_factory=dict)
    # A field selector the watch cache finds watchers by, for watches that
    # pin it to one value (pods: spec.nodeName, as each node watches its own).
    watch_index: str = ""
    # Subresources beyond status and scale: "binding", "eviction", ...
    subresources: tuple[str, ...] = ()
    # Checks metadata.name (and, with True, a generateName prefix); None: a
    # DNS-1123 subdomain, as most kinds have it.
    name_validator: Callable[[str, bool], list[str]] | None = None
    # Built-in kinds take strategic merge patches; custom resources do not.
    strategic_merge: bool = True
    # Built-in kinds decode into typed structs: a value of the wrong type is
    # a 400 decoding error. Custom resources are checked against their
    # schema instead: a 422 with a field cause.
    typed_decoding: bool = True
    # A delete answers with the deleted object (pods) instead of a Status.
    return_deleted_object: bool = False
    # An annotations change bumps metadata.generation too (deployments, whose
    # rollbacks travel in annotations).
    annotations_bump_generation: bool = False
    # Where the objects live in the store; "" for /registry/<plural>/.
    key_root: str = ""
    # For a kind stored in another API's shape (events.k8s.io Events are
    # core/v1 Events in the store): the conversions from and to it.
    from_stored: Callable[[Obj], Obj] | None = None
    to_stored: Callable[[Obj], Obj] | None = None
    # The status every served object carries, as Kubernetes' zero-valued
    # status struct serializes to JSON (the fields without omitempty), e.g.
    # {"replicas": 0} for a ReplicaSet, {} for a Deployment; None for kinds
    # with no status. Missing fields are filled in when objects are served.
    zero_status: Obj | None = None

    def __post_init__(self) -> None:
        if not self.singular:
            self.singular = self.kind.lower()
        if not self.key_root:
            self.key_root = f"/registry/{self.plural}/"

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def key_prefix(self, namespace: str | None = None) -> str:
        """The etcd key prefix: /registry/<resource>/[<namespace>/]."""
        base = self.key_root
        return f"{base}{namespace}/" if self.namespaced and namespace else base


def with_zero_fields(value: Obj, zero: Obj) -> Obj:
    """`value` with every field of `zero` it lacks, recursively into the
    fields that are objects in both (in place; returns `value`)."""
    for key, default in zero.items():
        have = value.get(key)
        if key not in value or have is None:
            value[key] = copy.deepcopy(default)
        elif isinstance(have, dict) and isinstance(default, dict):
            with_zero_fields(have, default)
    return value


# (group, version, plural) -> Resource
REGISTRY: dict[tuple[str, str, str], Resource] = {}


def register(resource: Resource) -> Resource:
    key = (resource.group, resource.version, resource.plural)
    if key in REGISTRY:
        raise ValueError(f"resource {key} is declared twice")
    REGISTRY[key] = resource
    return resource
