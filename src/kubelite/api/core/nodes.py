"""Nodes (core/v1): the machines pods run on, registered and kept up to date
by the node agent. Schema, defaults, validation, the columns of
`kubectl get nodes` and the node field selector."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from kubelite.api import validation as v
from kubelite.api.core.common import CORE, core_ref, refs, taint_effect
from kubelite.api.core.podspec_defaults import child, dicts
from kubelite.api.meta import (
    AGE_COLUMN,
    NAME_COLUMN,
    TIME,
    quantities,
    strings,
    top_level,
)
from kubelite.api.resource import Cause, Column, Obj, Resource, register
from kubelite.api.schema import boolean, define, integer, obj, ref, string

NODE = CORE + "Node"
ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
LEGACY_ROLE_LABEL = "kubernetes.io/role"

define(CORE + "Taint", obj(
    "Repels pods that do not tolerate it.",
    {
        "key": string("Taint key."),
        "value": string("Taint value."),
        "effect": string("NoSchedule, PreferNoSchedule or NoExecute."),
        "timeAdded": ref(TIME, "When a NoExecute taint was added."),
    },
    required=("key", "effect"),
))

define(CORE + "ConfigMapNodeConfigSource", obj(
    "Deprecated: a ConfigMap holding kubelet configuration.",
    {
        "namespace": string("Namespace of the ConfigMap."),
        "name": string("Name of the ConfigMap."),
        "uid": string("UID of the ConfigMap."),
        "resourceVersion": string("Version of the ConfigMap."),
        "kubeletConfigKey": string("Key holding the configuration."),
    },
    required=("namespace", "name", "kubeletConfigKey"),
))

define(CORE + "NodeConfigSource", obj(
    "Deprecated: where node configuration comes from.",
    {"configMap": core_ref("ConfigMapNodeConfigSource", "A ConfigMap.")},
))

define(CORE + "NodePodPreemptionPolicy", obj(
    "Limits on preempting pods of this node.",
    {"disableResizePreemption": strings("Resources whose resize never preempts.")},
))

define(CORE + "NodeSpec", obj(
    "How a node is set up.",
    {
        "podCIDR": string("Pod address range of the node."),
        "podCIDRs": strings("Pod address ranges, one per IP family.", strategy="merge",
                            list_type="set"),
        "providerID": string("Id of the node at its cloud provider."),
        "unschedulable": boolean("Keep new pods off the node (cordon)."),
        "taints": refs("Taint", "Taints of the node."),
        "configSource": core_ref("NodeConfigSource", "Deprecated."),
        "externalID": string("Deprecated."),
        "podPreemptionPolicy": core_ref("NodePodPreemptionPolicy", "Preemption limits."),
    },
))

define(CORE + "NodeAddress", obj(
    "An address of a node.",
    {
        "type": string("Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS."),
        "address": string("The address."),
    },
    required=("type", "address"),
))

define(CORE + "NodeCondition", obj(
    "One aspect of a node's health: Ready, MemoryPressure, DiskPressure, ...",
    {
        "type": string("Condition type."),
        "status": string("True, False or Unknown."),
        "lastHeartbeatTime": ref(TIME, "When last reported."),
        "lastTransitionTime": ref(TIME, "When status last changed."),
        "reason": string("CamelCase reason."),
        "message": string("Human-readable details."),
    },
    required=("type", "status"),
))

define(CORE + "NodeConfigStatus", obj(
    "Deprecated: state of dynamic node configuration.",
    {
        "assigned": core_ref("NodeConfigSource", "Configuration assigned."),
        "active": core_ref("NodeConfigSource", "Configuration in use."),
        "lastKnownGood": core_ref("NodeConfigSource", "Fallback configuration."),
        "error": string("Problem applying the configuration."),
    },
))

define(CORE + "DaemonEndpoint", obj(
    "A port a node daemon listens on.",
    {"Port": integer("Port number.")},
    required=("Port",),
))

define(CORE + "NodeDaemonEndpoints", obj(
    "Ports of the daemons on a node.",
    {"kubeletEndpoint": core_ref("DaemonEndpoint", "The node agent's API port.")},
))

define(CORE + "NodeFeatures", obj(
    "Optional features the node supports.",
    {"supplementalGroupsPolicy": boolean("Whether supplementalGroupsPolicy works.")},
))

define(CORE + "ContainerImage", obj(
    "An image present on the node.",
    {
        "names": strings("Names and digests of the image."),
        "sizeBytes": integer("Size in bytes.", format="int64"),
    },
))

define(CORE + "NodeSwapStatus", obj(
    "Swap space of a node.",
    {"capacity": integer("Swap size in bytes.", format="int64")},
))

define(CORE + "NodeSystemInfo", obj(
    "Facts about a node's system.",
    {
        "machineID": string("Machine id."),
        "systemUUID": string("System UUID."),
        "bootID": string("Boot id."),
        "kernelVersion": string("Kernel version (uname -r)."),
        "osImage": string("Operating system name and version."),
        "containerRuntimeVersion": string("Runtime and version, e.g. "
                                          "containerd://1.7.0."),
        "kubeletVersion": string("Version of the node agent."),
        "kubeProxyVersion": string("Deprecated."),
        "operatingSystem": string("linux or windows."),
        "architecture": string("CPU architecture, e.g. amd64."),
        "swap": core_ref("NodeSwapStatus", "Swap space."),
        "runningInUserNamespace": boolean("Whether the agent runs in a user "
                                          "namespace."),
    },
    required=("machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
              "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion",
              "operatingSystem", "architecture"),
))

define(CORE + "AttachedVolume", obj(
    "A volume attached to the node.",
    {"name": string("Volume name."), "devicePath": string("Device path.")},
    required=("name", "devicePath"),
))

define(CORE + "NodeRuntimeHandlerFeatures", obj(
    "What a runtime handler supports.",
    {
        "recursiveReadOnlyMounts": boolean("Recursive read-only mounts."),
        "userNamespaces": boolean("User namespaces."),
    },
))

define(CORE + "NodeRuntimeHandler", obj(
    "A runtime handler of the node.",
    {
        "name": string("Handler name; empty for the default."),
        "features": core_ref("NodeRuntimeHandlerFeatures", "What it supports."),
    },
))

define(CORE + "NodeStatus", obj(
    "What is known of a node now; reported by its agent.",
    {
        "capacity": quantities("Total resources of the node."),
        "allocatable": quantities("Resources available to pods; capacity by default."),
        "phase": string("Deprecated."),
        "conditions": refs("NodeCondition", "Current conditions.", merge_key="type",
                           strategy="merge", list_type="map", map_keys=("type",)),
        "addresses": refs("NodeAddress", "Addresses of the node.", merge_key="type",
                          strategy="merge", list_type="map", map_keys=("type",)),
        "daemonEndpoints": core_ref("NodeDaemonEndpoints", "Daemon ports."),
        "nodeInfo": core_ref("NodeSystemInfo", "System facts."),
        "images": refs("ContainerImage", "Images present."),
        "volumesInUse": strings("Volumes in use."),
        "volumesAttached": refs("AttachedVolume", "Volumes attached."),
        "config": core_ref("NodeConfigStatus", "Deprecated."),
        "runtimeHandlers": refs("NodeRuntimeHandler", "Runtime handlers available."),
        "features": core_ref("NodeFeatures", "Optional features."),
        "declaredFeatures": strings("Features the node declares."),
    },
))

define(NODE, top_level(
    "A machine pods run on.",
    {
        "spec": core_ref("NodeSpec", "How the node is set up."),
        "status": core_ref("NodeStatus", "What the node reports."),
    },
), gvk=("", "v1", "Node"))


def default_node(node: Obj) -> None:
    status = child(node, "status")
    if status is not None and status.get("capacity") and "allocatable" not in status:
        status["allocatable"] = dict(status["capacity"])


def _valid_cidr(value: str) -> list[str]:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return []


def _taints(taints: object) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(dicts(taints)):
        where = f"spec.taints[{i}]"
        key, effect = taint.get("key") or "", taint.get("effect") or ""
        causes += v.check(f"{where}.key", key, v.is_qualified_name(key))
        if taint.get("value"):
            causes += v.check(f"{where}.value", taint["value"],
                              v.is_valid_label_value(taint["value"]))
        causes += taint_effect(f"{where}.effect", effect)
        if (key, effect) in seen:
            cause = v.duplicate(where, taint)
            causes.append(Cause(cause.reason, cause.message
                                + ": taints must be unique by key and effect pair", where))
        seen.add((key, effect))
    return causes


def validate_node(node: Obj, old: Obj | None) -> list[Cause]:
    spec = child(node, "spec") or {}
    causes = _taints(spec.get("taints"))
    if spec.get("podCIDR"):
        causes += v.check("spec.podCIDR", spec["podCIDR"], _valid_cidr(spec["podCIDR"]))
    for i, cidr in enumerate(spec.get("podCIDRs") or []):
        causes += v.check(f"spec.podCIDRs[{i}]", cidr, _valid_cidr(cidr))
    if old is not None:
        old_spec = child(old, "spec") or {}
        if old_spec.get("podCIDRs") and spec.get("podCIDRs") != old_spec["podCIDRs"]:
            causes.append(v.forbidden("spec.podCIDRs",
                                      'node updates may not change podCIDR except from "" '
                                      "to valid"))
        if old_spec.get("providerID") and spec.get("providerID") != old_spec["providerID"]:
            causes.append(v.forbidden("spec.providerID",
                                      'node updates may not change providerID except from "" '
                                      "to valid"))
    return causes


# --- table -----------------------------------------------------------------------


def node_status_cell(node: Obj) -> str:
    """STATUS: Ready, NotReady or Unknown (no Ready condition), then
    SchedulingDisabled when cordoned."""
    status = child(node, "status") or {}
    ready = [c for c in dicts(status.get("conditions")) if c.get("type") == "Ready"]
    if not ready:
        parts = ["Unknown"]
    else:
        parts = ["Ready" if ready[-1].get("status") == "True" else "NotReady"]
    if (child(node, "spec") or {}).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def node_roles(node: Obj) -> str:
    labels = (node.get("metadata") or {}).get("labels") or {}
    roles = set()
    for key, value in labels.items():
        if key.startswith(ROLE_LABEL_PREFIX) and key != ROLE_LABEL_PREFIX:
            roles.add(key.removeprefix(ROLE_LABEL_PREFIX))
        elif key == LEGACY_ROLE_LABEL and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _address(kind: str) -> Callable[[Obj], str]:
    def cell(node: Obj) -> str:
        for address in dicts((child(node, "status") or {}).get("addresses")):
            if address.get("type") == kind:
                return address.get("address") or ""
        return "<none>"

    return cell


def _info(key: str, missing: str = "<unknown>") -> Callable[[Obj], str]:
    def cell(node: Obj) -> str:
        info = child(child(node, "status") or {}, "nodeInfo") or {}
        return info.get(key) or missing

    return cell


COLUMNS = (
    NAME_COLUMN,
    Column("Status", node_status_cell, description="Readiness of the node."),
    Column("Roles", node_roles, description="Roles from node-role.kubernetes.io/ labels."),
    AGE_COLUMN,
    Column("Version", _info("kubeletVersion", ""), description="Version of the node agent."),
    Column("Internal-IP", _address("InternalIP"), priority=1,
           description="First internal address."),
    Column("External-IP", _address("ExternalIP"), priority=1,
           description="First external address."),
    Column("OS-Image", _info("osImage"), priority=1, description="Operating system."),
    Column("Kernel-Version", _info("kernelVersion"), priority=1,
           description="Kernel version."),
    Column("Container-Runtime", _info("containerRuntimeVersion"), priority=1,
           description="Container runtime and version."),
)

# What a Node's status holds before its agent reports anything.
ZERO_STATUS: Obj = {
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
    "nodeInfo": {
        "machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "",
        "osImage": "", "containerRuntimeVersion": "", "kubeletVersion": "",
        "kubeProxyVersion": "", "operatingSystem": "", "architecture": "",
    },
}

NODES = register(Resource(
    group="",
    version="v1",
    kind="Node",
    plural="nodes",
    namespaced=False,
    schema=NODE,
    short_names=("no",),
    status_subresource=True,
    status_on_create=True,  # the kubelet registers its node with its status
    # daemonEndpoints and nodeInfo are struct values (omitempty keeps them);
    # DaemonEndpoint.Port and NodeSystemInfo's ten strings have no omitempty.
    zero_status=ZERO_STATUS,
    default=default_node,
    validate=validate_node,
    columns=COLUMNS,
    field_selectors={
        "spec.unschedulable": lambda n: "true" if (child(n, "spec") or {}).get(
            "unschedulable") is True else "false",
    },
))
