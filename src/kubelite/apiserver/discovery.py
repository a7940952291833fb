"""Discovery documents: which groups, versions and resources exist, with
their verbs, short names and categories, as /api and /apis serve them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubelite.api.resource import Resource

Obj = dict[str, Any]

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "binding": ["create"],
    "eviction": ["create"],
    "finalize": ["update"],
}
# Preferred order of the groups in /apis, as Kubernetes lists them.
GROUP_ORDER = [
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
    "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
]


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_versions(resources: Iterable[Resource]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for res in resources:
        if res.group:
            versions = groups.setdefault(res.group, [])
            if res.version not in versions:
                versions.append(res.version)
    return groups


def _order(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group) if group in GROUP_ORDER else len(GROUP_ORDER), group)


def api_group(name: str, versions: list[str]) -> Obj:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {
        "name": name,
        "versions": listed,
        "preferredVersion": listed[0],
    }


def api_group_list(resources: Iterable[Resource]) -> Obj:
    groups = _group_versions(resources)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [api_group(g, groups[g]) for g in sorted(groups, key=_order)],
    }


def api_resource_list(group_version: str, resources: Iterable[Resource]) -> Obj:
    listed: list[Obj] = []
    for res in sorted(resources, key=lambda r: r.plural):
        entry: Obj = {
            "name": res.plural,
            "singularName": res.singular,
            "namespaced": res.namespaced,
            "kind": res.kind,
            "verbs": VERBS,
        }
        if res.short_names:
            entry["shortNames"] = list(res.short_names)
        if res.categories:
            entry["categories"] = list(res.categories)
        listed.append(entry)
        subs = (("status",) if res.status_subresource else ()) + (
            ("scale",) if res.scale else ()
        ) + res.subresources
        for sub in subs:
            kind = "Scale" if sub == "scale" else res.kind
            sub_entry: Obj = {
                "name": f"{res.plural}/{sub}",
                "singularName": "",
                "namespaced": res.namespaced,
                "kind": kind,
                "verbs": SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
            if sub == "scale":
                sub_entry["group"], sub_entry["version"] = "autoscaling", "v1"
            if sub == "eviction":
                sub_entry["group"], sub_entry["version"] = "policy", "v1"
                sub_entry["kind"] = "Eviction"
            if sub == "binding":
                sub_entry["kind"] = "Binding"
            listed.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": listed,
    }


def _scope(res: Resource) -> str:
    return "Namespaced" if res.namespaced else "Cluster"


def _discovery_resource(res: Resource) -> Obj:
    entry: Obj = {
        "resource": res.plural,
        "responseKind": {"group": res.group, "version": res.version, "kind": res.kind},
        "scope": _scope(res),
        "singularResource": res.singular,
        "verbs": VERBS,
    }
    if res.short_names:
        entry["shortNames"] = list(res.short_names)
    if res.categories:
        entry["categories"] = list(res.categories)
    subs = []
    for sub_entry in api_resource_list(res.group_version, [res])["resources"][1:]:
        sub = sub_entry["name"].split("/", 1)[1]
        subs.append({
            "subresource": sub,
            "responseKind": {"group": sub_entry.get("group", res.group),
                             "version": sub_entry.get("version", res.version),
                             "kind": sub_entry["kind"]},
            "verbs": sub_entry["verbs"],
        })
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(resources: Iterable[Resource], core: bool, api_version: str) -> Obj:
    """The aggregated discovery document (apidiscovery.k8s.io v2 or
    v2beta1): every group, version and resource in one answer; `core`
    chooses /api (the legacy group) or /apis."""
    chosen = [r for r in resources if (not r.group) == core]
    groups: dict[str, dict[str, list[Resource]]] = {}
    for res in chosen:
        groups.setdefault(res.group, {}).setdefault(res.version, []).append(res)
    items = []
    for group in sorted(groups, key=_order):
        versions = [
            {"version": v, "freshness": "Current",
             "resources": [_discovery_resource(r) for r in sorted(rs, key=lambda r: r.plural)]}
            for v, rs in groups[group].items()
        ]
        items.append({"metadata": {"name": group, "creationTimestamp": None},
                      "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {},
            "items": items}
