"""apiextensions.k8s.io/v1 CustomResourceDefinition: declares a new kind
(its names, versions and their schemas, subresources and printer columns)
that the API server then serves like a built-in one; with a status
subresource.

The status's conditions (NamesAccepted, Established) and acceptedNames are
the server's to set once it serves the kind; defaulting only records the
storage version in status.storedVersions, as Kubernetes does on every
write.
"""

from __future__ import annotations

from kubelite.api import validation as v
from kubelite.api.apiextensions.jsonschema import JSON_SCHEMA_PROPS, validate_structural
from kubelite.api.meta import NAME_COLUMN, TIME, strings, top_level
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import array, boolean, define, integer, obj, ref, string

APIEXTENSIONS = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1."
CRD = APIEXTENSIONS + "CustomResourceDefinition"
SCOPES = ("Cluster", "Namespaced")
CONVERSION_STRATEGIES = ("None", "Webhook")
COLUMN_TYPES = ("boolean", "date", "integer", "number", "string")
COLUMN_FORMATS = ("byte", "date", "date-time", "double", "float", "int32", "int64",
                  "password")
MAX_DEPRECATION_WARNING = 256
MAX_SELECTABLE_FIELDS = 8

define(APIEXTENSIONS + "CustomResourceDefinitionNames", obj(
    "The names a custom kind is served under.",
    {
        "plural": string("The resource name in URLs: /apis/<group>/<version>/<plural>; "
                         "lowercase."),
        "singular": string("The singular name; the lowercased kind by default."),
        "shortNames": strings("Abbreviations kubectl accepts, e.g. ct."),
        "kind": string("The kind, in CamelCase, e.g. CronTab."),
        "listKind": string("The kind of lists; <kind>List by default."),
        "categories": strings("Groups of resources this one belongs to, e.g. all."),
    },
    required=("plural", "kind"),
))

define(APIEXTENSIONS + "CustomResourceValidation", obj(
    "The schema of a version.",
    {"openAPIV3Schema": ref(JSON_SCHEMA_PROPS, "The schema objects must match; it must "
                                               "be structural.")},
))

define(APIEXTENSIONS + "CustomResourceSubresourceStatus", obj(
    "Enables /status: the main resource then ignores status, /status ignores "
    "everything else.", {},
))

define(APIEXTENSIONS + "CustomResourceSubresourceScale", obj(
    "Enables /scale: where the replica counts and selector live in the object.",
    {
        "specReplicasPath": string("JSON path of the wanted replicas, under .spec, e.g. "
                                   ".spec.replicas."),
        "statusReplicasPath": string("JSON path of the current replicas, under .status."),
        "labelSelectorPath": string("JSON path, under .spec or .status, of the pods' "
                                    "selector as a label-query string."),
    },
    required=("specReplicasPath", "statusReplicasPath"),
))

define(APIEXTENSIONS + "CustomResourceSubresources", obj(
    "The subresources a version serves.",
    {
        "status": ref(APIEXTENSIONS + "CustomResourceSubresourceStatus",
                      "Serve /status."),
        "scale": ref(APIEXTENSIONS + "CustomResourceSubresourceScale", "Serve /scale."),
    },
))

define(APIEXTENSIONS + "CustomResourceColumnDefinition", obj(
    "A column `kubectl get` shows for the kind.",
    {
        "name": string("The column header."),
        "type": string("integer, number, string, boolean or date.",
                       enum=list(COLUMN_TYPES)),
        "format": string("A refinement of the type, e.g. int32, date-time."),
        "description": string("What the column shows."),
        "priority": integer("0 shows the column always, higher only with -o wide."),
        "jsonPath": string("JSON path, in each object, of the cell's value."),
    },
    required=("name", "type", "jsonPath"),
))

define(APIEXTENSIONS + "SelectableField", obj(
    "A field that field selectors may use.",
    {"jsonPath": string("JSON path of a string, integer or boolean field.")},
    required=("jsonPath",),
))

define(APIEXTENSIONS + "CustomResourceDefinitionVersion", obj(
    "One version of a custom kind.",
    {
        "name": string("The version name in URLs, e.g. v1, v1beta1."),
        "served": boolean("Whether the version is served."),
        "storage": boolean("Whether objects are stored in this version; exactly one "
                           "version is."),
        "deprecated": boolean("Whether the version is deprecated; requests get a "
                              "warning."),
        "deprecationWarning": string("The warning sent instead of the default one."),
        "schema": ref(APIEXTENSIONS + "CustomResourceValidation",
                      "The schema of this version's objects."),
        "subresources": ref(APIEXTENSIONS + "CustomResourceSubresources",
                            "The subresources of this version."),
        "additionalPrinterColumns": array(
            ref(APIEXTENSIONS + "CustomResourceColumnDefinition"),
            "Columns for `kubectl get`; Name and Age when none.", list_type="atomic"),
        "selectableFields": array(ref(APIEXTENSIONS + "SelectableField"),
                                  "Fields field selectors may use; at most 8.",
                                  list_type="atomic"),
    },
    required=("name", "served", "storage"),
))

define(APIEXTENSIONS + "ServiceReference", obj(
    "A Service a webhook is reached through.",
    {
        "namespace": string("The Service's namespace."),
        "name": string("The Service's name."),
        "path": string("The URL path to send requests to."),
        "port": integer("The Service port; 443 by default."),
    },
    required=("namespace", "name"),
))

define(APIEXTENSIONS + "WebhookClientConfig", obj(
    "How to reach a webhook: a URL or a Service (one of them).",
    {
        "url": string("https://host[:port]/path."),
        "service": ref(APIEXTENSIONS + "ServiceReference", "A Service in the cluster."),
        "caBundle": string("PEM CA bundle to verify the webhook's certificate.",
                           format="byte"),
    },
))

define(APIEXTENSIONS + "WebhookConversion", obj(
    "A webhook that converts objects between versions.",
    {
        "clientConfig": ref(APIEXTENSIONS + "WebhookClientConfig", "How to reach it."),
        "conversionReviewVersions": strings("ConversionReview versions it understands, "
                                            "in order of preference, e.g. v1."),
    },
    required=("conversionReviewVersions",),
))

define(APIEXTENSIONS + "CustomResourceConversion", obj(
    "How objects are converted between versions.",
    {
        "strategy": string("None (only apiVersion changes; the default) or Webhook.",
                           enum=list(CONVERSION_STRATEGIES)),
        "webhook": ref(APIEXTENSIONS + "WebhookConversion", "The webhook, with "
                                                            "strategy Webhook."),
    },
    required=("strategy",),
))

define(APIEXTENSIONS + "CustomResourceDefinitionSpec", obj(
    "What a custom kind is and how it is served.",
    {
        "group": string("The API group, a domain with at least one dot, e.g. "
                        "stable.example.com."),
        "names": ref(APIEXTENSIONS + "CustomResourceDefinitionNames",
                     "The names of the kind."),
        "scope": string("Namespaced or Cluster.", enum=list(SCOPES)),
        "versions": array(ref(APIEXTENSIONS + "CustomResourceDefinitionVersion"),
                          "The versions served.", list_type="atomic"),
        "conversion": ref(APIEXTENSIONS + "CustomResourceConversion",
                          "How objects change versions."),
        "preserveUnknownFields": boolean("Deprecated: keep undeclared fields; use "
                                         "x-kubernetes-preserve-unknown-fields."),
    },
    required=("group", "names", "scope", "versions"),
))

define(APIEXTENSIONS + "CustomResourceDefinitionCondition", obj(
    "One aspect of a definition's state: NamesAccepted, Established, Terminating.",
    {
        "type": string("Kind of condition."),
        "status": string("True, False or Unknown."),
        "observedGeneration": integer("The generation the condition was set for.",
                                      format="int64"),
        "lastTransitionTime": ref(TIME, "When the status last changed."),
        "reason": string("One-word CamelCase reason for the last transition."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(APIEXTENSIONS + "CustomResourceDefinitionStatus", obj(
    "The observed state of a definition.",
    {
        "conditions": array(ref(APIEXTENSIONS + "CustomResourceDefinitionCondition"),
                            "Current conditions.", list_type="map", map_keys=("type",)),
        "acceptedNames": ref(APIEXTENSIONS + "CustomResourceDefinitionNames",
                             "The names actually served (they may conflict with others)."),
        "storedVersions": strings("Versions objects have ever been stored in; a version "
                                  "may only leave spec.versions once it leaves this list."),
        "observedGeneration": integer("The generation the server last acted on.",
                                      format="int64"),
    },
))

define(CRD, top_level(
    "A new kind of object for the API server to serve. Its name is "
    "<plural>.<group>.",
    {
        "spec": ref(APIEXTENSIONS + "CustomResourceDefinitionSpec", "The kind."),
        "status": ref(APIEXTENSIONS + "CustomResourceDefinitionStatus",
                      "The observed state; read only."),
    },
    required=("spec",),
), gvk=("apiextensions.k8s.io", "v1", "CustomResourceDefinition"))


# --- defaults ------------------------------------------------------------------------


def storage_version(crd: Obj) -> str | None:
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("storage"):
            return version.get("name")
    return None


def default(crd: Obj) -> None:
    spec = crd.setdefault("spec", {})
    names = spec.get("names") or {}
    if names.get("kind"):
        if not names.get("singular"):
            names["singular"] = names["kind"].lower()
        if not names.get("listKind"):
            names["listKind"] = names["kind"] + "List"
    if spec.get("conversion") is None:
        spec["conversion"] = {"strategy": "None"}
    conversion = spec["conversion"]
    service = ((conversion.get("webhook") or {}).get("clientConfig") or {}).get("service")
    if conversion.get("strategy") == "Webhook" and service is not None \
            and service.get("port") is None:
        service["port"] = 443
    stored = storage_version(crd)
    if stored:
        status = crd.get("status") or {}
        crd["status"] = status
        # A null list (as served before any version was stored) counts as empty.
        versions = status.get("storedVersions") or []
        status["storedVersions"] = versions
        if stored not in versions:
            versions.append(stored)


# --- validation ----------------------------------------------------------------------


def _dns1035(path: str, value: str, prefix: str = "") -> list[Cause]:
    errs = v.is_dns1035_label(value.lower() if prefix else value)
    return [v.invalid(path, value, prefix + ",".join(errs))] if errs else []


def _validate_names(names: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    mixed = "may have mixed case, but should otherwise match: "
    for key in ("plural", "singular", "kind", "listKind"):
        value = names.get(key) or ""
        if not value:
            causes.append(v.required(f"{path}.{key}"))
        else:
            causes += _dns1035(f"{path}.{key}", value,
                               mixed if key in ("kind", "listKind") else "")
    for key in ("shortNames", "categories"):
        for i, value in enumerate(names.get(key) or []):
            causes += _dns1035(f"{path}.{key}[{i}]", value)
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        causes.append(v.invalid(f"{path}.listKind", names["listKind"],
                                "kind and listKind may not be the same"))
    return causes


def _simple_json_path(value: str, path: str) -> list[Cause]:
    if not value:
        return [v.invalid(path, value, "must not be empty")]
    if not value.startswith("."):
        return [v.invalid(path, value, "must be a simple json path starting with .")]
    return []


def _validate_scale(scale: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key, under in (("specReplicasPath", ".spec."), ("statusReplicasPath", ".status.")):
        value = scale.get(key) or ""
        at = f"{path}.{key}"
        if not value:
            causes.append(v.required(at))
            continue
        problems = _simple_json_path(value, at)
        if not problems and not value.startswith(under):
            problems = [v.invalid(at, value, f"should be a json path under {under[:-1]}")]
        causes += problems
    selector = scale.get("labelSelectorPath")
    if selector:
        at = f"{path}.labelSelectorPath"
        problems = _simple_json_path(selector, at)
        if not problems and not selector.startswith((".spec.", ".status.")):
            problems = [v.invalid(at, selector,
                                  "should be a json path under either .spec or .status")]
        causes += problems
    return causes


def _validate_column(column: Obj, path: str) -> list[Cause]:
    causes = [] if column.get("name") else [v.required(f"{path}.name")]
    kind = column.get("type")
    if not kind:
        causes.append(v.required(f"{path}.type", f"must be one of {','.join(COLUMN_TYPES)}"))
    else:
        causes += v.one_of(f"{path}.type", kind, COLUMN_TYPES)
    if column.get("format"):
        causes += v.one_of(f"{path}.format", column["format"], COLUMN_FORMATS)
    json_path = column.get("jsonPath") or ""
    causes += [v.required(f"{path}.jsonPath")] if not json_path else _simple_json_path(
        json_path, f"{path}.jsonPath")
    causes += v.non_negative(f"{path}.priority", column.get("priority"))
    return causes


def _validate_version(version: Obj, path: str) -> list[Cause]:
    causes = _dns1035(f"{path}.name", version.get("name") or "")
    warning = version.get("deprecationWarning")
    if warning is not None:
        if not version.get("deprecated"):
            causes.append(v.invalid(f"{path}.deprecationWarning", warning,
                                    "can only be set for deprecated versions"))
        elif len(warning) > MAX_DEPRECATION_WARNING:
            causes.append(v.too_long(f"{path}.deprecationWarning", MAX_DEPRECATION_WARNING))
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    if schema is None:
        causes.append(v.required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
    else:
        causes += validate_structural(schema, f"{path}.schema.openAPIV3Schema")
    scale = (version.get("subresources") or {}).get("scale")
    if scale is not None:
        causes += _validate_scale(scale, f"{path}.subresources.scale")
    for i, column in enumerate(version.get("additionalPrinterColumns") or []):
        causes += _validate_column(column, f"{path}.additionalPrinterColumns[{i}]")
    fields = version.get("selectableFields") or []
    if len(fields) > MAX_SELECTABLE_FIELDS:
        causes.append(Cause("FieldValueTooMany", f"Too many: {len(fields)}: must have at "
                            f"most {MAX_SELECTABLE_FIELDS} items", f"{path}.selectableFields"))
    for i, selectable in enumerate(fields):
        at = f"{path}.selectableFields[{i}].jsonPath"
        json_path = selectable.get("jsonPath") or ""
        causes += [v.required(at)] if not json_path else _simple_json_path(json_path, at)
    return causes


def _validate_versions(versions: list[Obj], path: str) -> list[Cause]:
    if not versions:
        return [v.required(path)]
    causes: list[Cause] = []
    for i, version in enumerate(versions):
        causes += _validate_version(version, f"{path}[{i}]")
    names = [version.get("name") for version in versions]
    if len(set(names)) != len(names):
        causes.append(v.invalid(path, names, "must contain unique version names"))
    if sum(1 for version in versions if version.get("storage")) != 1:
        causes.append(v.invalid(path, names, "must have exactly one version marked as "
                                              "storage version"))
    return causes


def _validate_conversion(conversion: Obj, path: str) -> list[Cause]:
    strategy, webhook = conversion.get("strategy"), conversion.get("webhook")
    if strategy != "Webhook":
        causes = v.one_of(f"{path}.strategy", strategy, CONVERSION_STRATEGIES)
        if webhook is not None:
            causes.append(v.forbidden(f"{path}.webhook", "should not be set when strategy "
                                                          "is not set to Webhook"))
        return causes
    if webhook is None:
        return [v.required(f"{path}.webhook", "required when strategy is set to Webhook")]
    config = webhook.get("clientConfig")
    if config is None:
        return [v.required(f"{path}.webhook.clientConfig",
                           "required when strategy is set to Webhook")]
    if (config.get("url") is None) == (config.get("service") is None):
        return [v.required(f"{path}.webhook.clientConfig",
                           "exactly one of url or service is required")]
    return []


def _established(crd: Obj) -> bool:
    return any(c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


def validate(crd: Obj, old: Obj | None) -> list[Cause]:
    spec = crd.get("spec") or {}
    names, group = spec.get("names") or {}, spec.get("group") or ""
    causes: list[Cause] = []
    name = (crd.get("metadata") or {}).get("name") or ""
    if name != f"{names.get('plural', '')}.{group}":
        causes.append(v.invalid("metadata.name", name,
                                'must be spec.names.plural+"."+spec.group'))
    if not group:
        causes.append(v.required("spec.group"))
    else:
        causes += v.check("spec.group", group, v.is_dns1123_subdomain(group))
        if "." not in group:
            causes.append(v.invalid("spec.group", group,
                                    "should be a domain with at least one dot"))
    scope = spec.get("scope")
    causes += [v.required("spec.scope")] if not scope else v.one_of(
        "spec.scope", scope, SCOPES)
    causes += _validate_names(names, "spec.names")
    causes += _validate_versions(spec.get("versions") or [], "spec.versions")
    if spec.get("conversion") is not None:
        causes += _validate_conversion(spec["conversion"], "spec.conversion")
    if spec.get("preserveUnknownFields") is True and (
            old is None or not (old.get("spec") or {}).get("preserveUnknownFields")):
        causes.append(v.invalid("spec.preserveUnknownFields", True,
                                "cannot set to true, set x-kubernetes-preserve-unknown-fields "
                                "to true in spec.versions[*].schema instead"))
    if old is not None:
        old_spec = old.get("spec") or {}
        old_names = old_spec.get("names") or {}
        causes += v.unchanged("spec.group", group, old_spec.get("group"))
        causes += v.unchanged("spec.names.plural", names.get("plural"),
                              old_names.get("plural"))
        if _established(old):
            causes += v.unchanged("spec.scope", scope, old_spec.get("scope"))
            causes += v.unchanged("spec.names.kind", names.get("kind"),
                                  old_names.get("kind"))
    return causes


RESOURCE = register(Resource(
    group="apiextensions.k8s.io",
    version="v1",
    kind="CustomResourceDefinition",
    plural="customresourcedefinitions",
    namespaced=False,
    schema=CRD,
    short_names=("crd", "crds"),
    categories=("api-extensions",),
    status_subresource=True,
    # No field of CustomResourceDefinitionStatus is omitempty: nil slices
    # are written as null, and the names struct has plural and kind.
    zero_status={"conditions": None, "acceptedNames": {"plural": "", "kind": ""},
                 "storedVersions": None},
    default=default,
    validate=validate,
    columns=(
        NAME_COLUMN,
        # Shown as the timestamp itself, not as an age.
        Column("Created At", lambda c: (c.get("metadata") or {}).get("creationTimestamp")
               or "", format="date-time", description="When the definition was created."),
    ),
))
