"""The meta.k8s.io/v1 types every object shares, and metadata behaviour.

Schemas: ObjectMeta, ListMeta, OwnerReference, ManagedFieldsEntry,
LabelSelector, Time, MicroTime, Status, DeleteOptions, WatchEvent, Condition,
the discovery documents, plus Quantity and IntOrString, all under the
definition names Kubernetes gives them.

Behaviour: `validate_object_meta` checks an object's metadata (name and
generateName format, namespace presence, labels, annotations, owner
references, finalizers); `validate_meta_update` checks what an update may not
change. The API server runs both for every kind before the kind's own
`validate`, which therefore checks only what is particular to the kind.

Table columns: `NAME_COLUMN` and `AGE_COLUMN` are the first and the usual
last column of every kind. Time columns (Age, Last Seen, First Seen) are
declared with type "date" and give the RFC 3339 timestamp; the API server
turns it into the age kubectl shows ("5m") when it builds the Table, as the
time of the request is not the declarations' business.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import validation as v
from kubelite.api.resource import Cause, Column, Obj
from kubelite.api.schema import (
    Schema,
    array,
    boolean,
    define,
    free_form,
    int_or_string,
    integer,
    map_of,
    obj,
    ref,
    string,
)

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
OBJECT_META = META + "ObjectMeta"
LIST_META = META + "ListMeta"
LABEL_SELECTOR = META + "LabelSelector"
TIME = META + "Time"
MICRO_TIME = META + "MicroTime"
CONDITION = META + "Condition"
DELETE_OPTIONS = META + "DeleteOptions"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"


def atomic(schema: Schema) -> Schema:
    """Mark a map or struct as replaced whole by server-side apply."""
    schema["x-kubernetes-map-type"] = "atomic"
    return schema


def strings(description: str = "", **list_facts: Any) -> Schema:
    """A list of strings; atomic unless told otherwise."""
    list_facts.setdefault("list_type", "atomic")
    return array(string(), description, **list_facts)


def string_map(description: str = "") -> Schema:
    return map_of(string(), description)


def quantities(description: str = "") -> Schema:
    """A map of resource name to Quantity (requests, limits, capacity...)."""
    return map_of(ref(QUANTITY), description)


def api_version_field() -> Schema:
    return string("The versioned schema of this object, as group/version (or just "
                  "version for the core group).")


def kind_field() -> Schema:
    return string("The kind of object this is, in CamelCase.")


def metadata_field() -> Schema:
    return ref(OBJECT_META, "Standard object metadata: name, namespace, labels, ...")


def list_metadata_field() -> Schema:
    return ref(LIST_META, "Standard list metadata: resourceVersion and continue token.")


def typed(description: str, fields: dict[str, Schema], **kw: Any) -> Schema:
    """An object schema with apiVersion and kind first."""
    return obj(description, {"apiVersion": api_version_field(), "kind": kind_field(),
                             **fields}, **kw)


def top_level(description: str, fields: dict[str, Schema], **kw: Any) -> Schema:
    """An object schema for a kind: apiVersion, kind and metadata first."""
    return typed(description, {"metadata": metadata_field(), **fields}, **kw)


# --- schemas -------------------------------------------------------------------

# Manifests write quantities as strings or bare numbers (cpu: 2); both are
# accepted, as Kubernetes' OpenAPI v3 schema says with oneOf.
define(QUANTITY, {
    "oneOf": [{"type": "string"}, {"type": "number"}],
    "description": "A fixed-point amount with an optional SI or binary suffix: 100m, "
                   "1.5, 2Gi, 1e3.",
})
define(INT_OR_STRING, int_or_string("Either a whole number or a string."))
define(TIME, string("An RFC 3339 timestamp in UTC, to the second.", format="date-time"))
define(MICRO_TIME, string("An RFC 3339 timestamp in UTC, to the microsecond.",
                          format="date-time"))
define(META + "FieldsV1", free_form("The set of fields a manager owns, as a trie of "
                                    "field paths."))
define(RAW_EXTENSION, free_form("An embedded object of any kind."))
define(META + "Patch", {"type": "object", "description": "The body of a PATCH request, in "
                        "the patch type the Content-Type names."})

define(META + "OwnerReference", atomic(obj(
    "Names an object that owns this one; when every owner is gone the garbage "
    "collector deletes it.",
    {
        "apiVersion": string("API version of the owner."),
        "kind": string("Kind of the owner."),
        "name": string("Name of the owner."),
        "uid": string("UID of the owner."),
        "controller": boolean("True if the owner is the managing controller (at most "
                              "one reference may say so)."),
        "blockOwnerDeletion": boolean("With foreground deletion, the owner is not "
                                      "removed until this object is gone."),
    },
    required=("apiVersion", "kind", "name", "uid"),
)))

define(META + "ManagedFieldsEntry", obj(
    "Which fields one manager set, through which operation.",
    {
        "apiVersion": string("Version of the object the field set refers to."),
        "fieldsType": string("Format of fieldsV1; always FieldsV1."),
        "fieldsV1": ref(META + "FieldsV1", "The owned fields."),
        "manager": string("Name of the manager (the client's field manager)."),
        "operation": string("Apply or Update."),
        "subresource": string("Subresource the change went through, if any."),
        "time": ref(TIME, "When the manager last changed these fields."),
    },
))

define(OBJECT_META, obj(
    "Metadata every persisted object has.",
    {
        "name": string("Unique name within the namespace (or the cluster for "
                       "cluster-scoped kinds). Cannot be changed."),
        "generateName": string("Prefix the server extends with random characters to "
                               "make a unique name when name is empty."),
        "namespace": string("Namespace the object lives in; empty for cluster-scoped "
                            "kinds."),
        "selfLink": string("Deprecated; not set by the server."),
        "uid": string("Unique id the server assigns on create; never reused."),
        "resourceVersion": string("Opaque version of this object, for optimistic "
                                  "concurrency and watches."),
        "generation": integer("Sequence number of changes to the desired state.",
                              format="int64"),
        "creationTimestamp": ref(TIME, "When the object was created."),
        "deletionTimestamp": ref(TIME, "When deletion was requested; set by the "
                                       "server. The object goes once its finalizers "
                                       "are gone."),
        "deletionGracePeriodSeconds": integer("Seconds the object is allowed to "
                                              "terminate gracefully.", format="int64"),
        "labels": string_map("Key/value pairs for selecting and grouping objects."),
        "annotations": string_map("Key/value pairs for tools and extensions; not "
                                  "selectable."),
        "ownerReferences": array(
            ref(META + "OwnerReference"), "Objects this one depends on.",
            merge_key="uid", strategy="merge", list_type="map", map_keys=("uid",)),
        "finalizers": array(
            string(), "Names of what must happen before the object is deleted.",
            strategy="merge", list_type="set"),
        "managedFields": array(
            ref(META + "ManagedFieldsEntry"), "Field ownership, kept by the server.",
            list_type="atomic"),
    },
))

define(META + "ShardInfo", obj(
    "Which shard of a collection a list holds.",
    {"selector": string("The shard selector the list was served with.")},
    required=("selector",),
))

define(LIST_META, obj(
    "Metadata of a list response.",
    {
        "resourceVersion": string("Version of the collection this list reflects."),
        "continue": string("Token for the next page, when the list was limited."),
        "remainingItemCount": integer("How many items the following pages hold, when "
                                      "known.", format="int64"),
        "selfLink": string("Deprecated; not set by the server."),
        "shardInfo": ref(META + "ShardInfo", "The shard this list holds, when "
                                             "sharded."),
    },
))

define(META + "LabelSelectorRequirement", obj(
    "A set-based label requirement: key, operator and values.",
    {
        "key": string("Label key the requirement applies to."),
        "operator": string("In, NotIn, Exists or DoesNotExist."),
        "values": strings("Values for In and NotIn; must be empty for Exists and "
                          "DoesNotExist."),
    },
    required=("key", "operator"),
))

define(LABEL_SELECTOR, atomic(obj(
    "A label query; all requirements must hold. An empty selector matches "
    "everything, a missing one nothing.",
    {
        "matchLabels": string_map("Labels that must be present with these values."),
        "matchExpressions": array(ref(META + "LabelSelectorRequirement"),
                                  "Set-based requirements.", list_type="atomic"),
    },
)))

define(CONDITION, obj(
    "One aspect of an object's current state.",
    {
        "type": string("Condition type, in CamelCase."),
        "status": string("True, False or Unknown."),
        "observedGeneration": integer("The metadata.generation this condition was set "
                                      "for.", format="int64"),
        "lastTransitionTime": ref(TIME, "When status last changed."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status", "lastTransitionTime", "reason", "message"),
))

define(META + "StatusCause", obj(
    "One reason a request failed, often tied to a field.",
    {
        "reason": string("Machine-readable cause, e.g. FieldValueRequired."),
        "message": string("Human-readable description."),
        "field": string("Path of the field at fault, e.g. spec.containers[0].name."),
    },
))

define(META + "StatusDetails", obj(
    "Details of a failed (or successful) request.",
    {
        "name": string("Name of the object concerned."),
        "group": string("API group of the object concerned."),
        "kind": string("Kind (or resource) of the object concerned."),
        "uid": string("UID of the object concerned."),
        "causes": array(ref(META + "StatusCause"), "Field-level causes.",
                        list_type="atomic"),
        "retryAfterSeconds": integer("Seconds the client should wait before retrying."),
    },
))

define(META + "Status", typed(
    "The result of an API call that returns no object, and the body of every error.",
    {
        "metadata": list_metadata_field(),
        "status": string("Success or Failure."),
        "message": string("Human-readable description."),
        "reason": string("Machine-readable reason, e.g. NotFound, Conflict, Invalid."),
        "details": ref(META + "StatusDetails", "Extra data about the reason."),
        "code": integer("HTTP status code."),
    },
), gvk=("", "v1", "Status"))

define(META + "Preconditions", obj(
    "Must hold for a delete to go ahead.",
    {
        "resourceVersion": string("The object's resourceVersion must be this."),
        "uid": string("The object's UID must be this."),
    },
))

define(DELETE_OPTIONS, typed(
    "Options of a delete request.",
    {
        "gracePeriodSeconds": integer("Seconds before the object is deleted; 0 means "
                                      "now.", format="int64"),
        "preconditions": ref(META + "Preconditions", "Must hold, or the delete fails "
                                                     "with a Conflict."),
        "orphanDependents": boolean("Deprecated: use propagationPolicy."),
        "propagationPolicy": string("Orphan, Background or Foreground: what happens to "
                                    "dependents."),
        "dryRun": strings("All: validate and answer without persisting."),
        "ignoreStoreReadErrorWithClusterBreakingPotential": boolean(
            "Delete an object that cannot be read from storage."),
    },
), gvk=[("", "v1", "DeleteOptions")])

define(META + "WatchEvent", obj(
    "One event of a watch stream.",
    {
        "type": string("ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."),
        "object": ref(RAW_EXTENSION, "The object (a Status for ERROR)."),
    },
    required=("type", "object"),
), gvk=[("", "v1", "WatchEvent")])

define(META + "GroupVersionForDiscovery", obj(
    "A version of an API group.",
    {
        "groupVersion": string("group/version, or version for the core group."),
        "version": string("The version alone."),
    },
    required=("groupVersion", "version"),
))

define(META + "ServerAddressByClientCIDR", obj(
    "The server address clients in a network should use.",
    {
        "clientCIDR": string("Network the client is in."),
        "serverAddress": string("host:port to use."),
    },
    required=("clientCIDR", "serverAddress"),
))

define(META + "APIResource", obj(
    "One resource a group version serves.",
    {
        "name": string("Plural name, or plural/subresource."),
        "singularName": string("Singular name."),
        "namespaced": boolean("Whether objects live in namespaces."),
        "group": string("Group of the resource, when it differs from the list's."),
        "version": string("Version of the resource, when it differs from the list's."),
        "kind": string("Kind of the objects."),
        "verbs": strings("Verbs supported: get, list, watch, create, ..."),
        "shortNames": strings("Abbreviations kubectl accepts."),
        "categories": strings("Groups of resources this one belongs to, e.g. all."),
        "storageVersionHash": string("Hash of the storage version."),
    },
    required=("name", "singularName", "namespaced", "kind", "verbs"),
))

define(META + "APIResourceList", typed(
    "The resources of one group version.",
    {
        "groupVersion": string("The group version listed."),
        "resources": array(ref(META + "APIResource"), "The resources.",
                           list_type="atomic"),
    },
    required=("groupVersion", "resources"),
), gvk=("", "v1", "APIResourceList"))

define(META + "APIGroup", typed(
    "An API group and its versions.",
    {
        "name": string("Name of the group."),
        "versions": array(ref(META + "GroupVersionForDiscovery"), "Versions served.",
                          list_type="atomic"),
        "preferredVersion": ref(META + "GroupVersionForDiscovery",
                                "The version clients should use."),
        "serverAddressByClientCIDRs": array(ref(META + "ServerAddressByClientCIDR"),
                                            "Addresses by client network.",
                                            list_type="atomic"),
    },
    required=("name", "versions"),
), gvk=("", "v1", "APIGroup"))

define(META + "APIGroupList", typed(
    "Every API group the server serves.",
    {"groups": array(ref(META + "APIGroup"), "The groups.", list_type="atomic")},
    required=("groups",),
), gvk=("", "v1", "APIGroupList"))

define(META + "APIVersions", typed(
    "The versions of the core (legacy) API.",
    {
        "versions": strings("Versions served, e.g. v1."),
        "serverAddressByClientCIDRs": array(ref(META + "ServerAddressByClientCIDR"),
                                            "Addresses by client network.",
                                            list_type="atomic"),
    },
    required=("versions", "serverAddressByClientCIDRs"),
), gvk=("", "v1", "APIVersions"))



# --- metadata behaviour --------------------------------------------------------

ANNOTATIONS_MAX_BYTES = 256 * 1024
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    """Annotation keys are qualified names; all of them together stay under
    256 KiB."""
    if annotations is None:
        return []
    if not isinstance(annotations, dict):
        return [v.invalid(path, annotations, "must be a map of strings")]
    causes: list[Cause] = []
    size = 0
    for key, value in annotations.items():
        causes += v.check(path, key, v.is_qualified_name(key.lower()))
        size += len(key.encode()) + len(str(value).encode())
    if size > ANNOTATIONS_MAX_BYTES:
        causes.append(v.too_long(path, ANNOTATIONS_MAX_BYTES))
    return causes


def validate_finalizer_name(name: str, path: str) -> list[Cause]:
    causes = v.check(path, name, v.is_qualified_name(name))
    if "/" not in name and name not in STANDARD_FINALIZERS:
        causes.append(v.invalid(
            path, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return causes


def _validate_finalizers(finalizers: list[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, name in enumerate(finalizers):
        causes += validate_finalizer_name(name, f"{path}[{i}]")
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        causes.append(v.invalid(
            path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def _validate_owner_references(refs: list[Obj], path: str) -> list[Cause]:
    causes: list[Cause] = []
    controllers = []
    for owner in refs:
        api_version = owner.get("apiVersion") or ""
        if not api_version.rpartition("/")[2]:
            causes.append(v.invalid(f"{path}.apiVersion", api_version,
                                    "version must not be empty"))
        for key in ("kind", "name", "uid"):
            if not owner.get(key):
                causes.append(v.invalid(f"{path}.{key}", owner.get(key, ""),
                                        f"{key} must not be empty"))
        if owner.get("controller"):
            controllers.append(f"{owner.get('kind', '')}/{owner.get('name', '')}")
    if len(controllers) > 1:
        causes.append(v.invalid(
            path, refs, "Only one reference can have Controller set to true. Found \"true\" "
            f"in references for {' and '.join(controllers)}"))
    return causes


def validate_object_meta(
    obj: Obj,
    namespaced: bool,
    path: str = "metadata",
    *,
    name_validator: v.NameCheck = v.name_is_dns_subdomain,
) -> list[Cause]:
    """Problems with the metadata of `obj` (a whole object), reported under
    `path`. `name_validator` checks metadata.name and the generateName
    prefix: DNS-1123 subdomain unless the kind says otherwise."""
    meta = obj.get("metadata") or {}
    causes: list[Cause] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        causes += v.check(f"{path}.generateName", generate_name,
                          name_validator(generate_name, True))
    name = meta.get("name") or ""
    if not name:
        causes.append(v.required(f"{path}.name", "name or generateName is required"))
    else:
        causes += v.check(f"{path}.name", name, name_validator(name, False))
    namespace = meta.get("namespace") or ""
    if namespaced:
        if not namespace:
            causes.append(v.required(f"{path}.namespace"))
        else:
            causes += v.check(f"{path}.namespace", namespace, v.is_dns1123_label(namespace))
    elif namespace:
        causes.append(v.forbidden(f"{path}.namespace", "not allowed on this type"))
    causes += v.non_negative(f"{path}.generation", meta.get("generation"))
    causes += v.validate_labels(meta.get("labels"), f"{path}.labels")
    causes += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    causes += _validate_owner_references(meta.get("ownerReferences") or [],
                                         f"{path}.ownerReferences")
    causes += _validate_finalizers(meta.get("finalizers") or [], f"{path}.finalizers")
    return causes


_IMMUTABLE_META = ("name", "namespace", "uid", "creationTimestamp")


def validate_meta_update(new: Obj, old: Obj, path: str = "metadata") -> list[Cause]:
    """What an update of `old` into `new` (whole objects) may not do to the
    metadata: change name, namespace, uid or creationTimestamp, or add
    finalizers to an object being deleted."""
    new_meta, old_meta = new.get("metadata") or {}, old.get("metadata") or {}
    causes: list[Cause] = []
    for key in _IMMUTABLE_META:
        causes += v.unchanged(f"{path}.{key}", new_meta.get(key), old_meta.get(key))
    if old_meta.get("deletionTimestamp"):
        added = sorted(set(new_meta.get("finalizers") or ())
                       - set(old_meta.get("finalizers") or ()))
        if added:
            causes.append(v.forbidden(
                f"{path}.finalizers",
                "no new finalizers can be added if the object is being deleted, "
                "found new finalizers []string{" + ", ".join(v.render(f) for f in added) + "}",
            ))
    return causes


# --- table columns -------------------------------------------------------------


def meta_value(obj: Obj, key: str) -> Any:
    return (obj.get("metadata") or {}).get(key)


NAME_COLUMN = Column(
    "Name", lambda o: meta_value(o, "name") or "", format="name",
    description="Name of the object, unique within its namespace.",
)
AGE_COLUMN = Column(
    "Age", lambda o: meta_value(o, "creationTimestamp"), type="date",
    description="Time since the object was created.",
)

