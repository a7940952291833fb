"""Validation of a PodSpec as Kubernetes does it for Pods and for every pod
template: containers (names, images, ports, environment, mounts, probes,
resources, enums), volumes, tolerations, spread constraints, DNS settings.

Each function returns the causes found, with Kubernetes' field paths and
messages; nothing raises on values of the wrong type.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import validation as v
from kubelite.api.core.common import protocol, resource_requirements, taint_effect
from kubelite.api.core.podspec_defaults import PROBES, child, dicts
from kubelite.api.core.volume import VOLUME_SOURCES
from kubelite.api.meta import validate_annotations
from kubelite.api.resource import Cause, Obj

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
ENV_SOURCES = ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
# What an ephemeral container may not have.
EPHEMERAL_FORBIDDEN = ("ports", "livenessProbe", "readinessProbe", "startupProbe",
                       "lifecycle", "resources")


def _required_enum(path: str, value: Any, allowed: tuple[str, ...]) -> list[Cause]:
    if not value:
        return [v.required(path)]
    return v.one_of(path, value, allowed)


# --- volumes -------------------------------------------------------------------


def _file_mode(path: str, value: Any) -> list[Cause]:
    if isinstance(value, int) and not 0 <= value <= 0o777:
        return [v.invalid(path, value, FILE_MODE_ERROR)]
    return []


def _volume_source(volume: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key, name_field in (("secret", "secretName"), ("configMap", "name"),
                            ("persistentVolumeClaim", "claimName"), ("hostPath", "path"),
                            ("nfs", "server"), ("csi", "driver")):
        source = child(volume, key)
        if source is not None and not source.get(name_field):
            causes.append(v.required(f"{path}.{key}.{name_field}"))
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        source = child(volume, key)
        if source is not None:
            causes += _file_mode(f"{path}.{key}.defaultMode", source.get("defaultMode"))
    return causes


def validate_volumes(volumes: Any, path: str) -> tuple[set[str], list[Cause]]:
    """The volume names, and the causes: names are unique DNS labels, and
    each volume has exactly one source."""
    names: set[str] = set()
    causes: list[Cause] = []
    for i, volume in enumerate(dicts(volumes)):
        where = f"{path}[{i}]"
        name = volume.get("name") or ""
        if not name:
            causes.append(v.required(f"{where}.name"))
        elif name in names:
            causes.append(v.duplicate(f"{where}.name", name))
        else:
            causes += v.check(f"{where}.name", name, v.is_dns1123_label(name))
        names.add(name)
        sources = [key for key in VOLUME_SOURCES if volume.get(key) is not None]
        if not sources:
            causes.append(v.required(where, "must specify a volume type"))
        for extra in sources[1:]:
            causes.append(v.forbidden(f"{where}.{extra}",
                                      "may not specify more than 1 volume type"))
        causes += _volume_source(volume, where)
    return names, causes


# --- containers ----------------------------------------------------------------


def _ports(ports: Any, path: str, host_network: bool) -> list[Cause]:
    causes: list[Cause] = []
    names: set[str] = set()
    for i, port in enumerate(dicts(ports)):
        where = f"{path}[{i}]"
        name = port.get("name")
        if name:
            causes += v.check(f"{where}.name", name, v.is_valid_port_name(name))
            if name in names:
                causes.append(v.duplicate(f"{where}.name", name))
            names.add(name)
        container_port = port.get("containerPort")
        if not container_port:
            causes.append(v.required(f"{where}.containerPort"))
        else:
            causes += v.check(f"{where}.containerPort", container_port,
                              v.is_valid_port_num(container_port))
        host_port = port.get("hostPort")
        if host_port:
            causes += v.check(f"{where}.hostPort", host_port, v.is_valid_port_num(host_port))
        if host_network and host_port and host_port != container_port:
            causes.append(v.invalid(f"{where}.containerPort", container_port,
                                    "must match `hostPort` when `hostNetwork` is true"))
        causes += protocol(f"{where}.protocol", port.get("protocol"))
    return causes


def _env(env: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, var in enumerate(dicts(env)):
        where = f"{path}[{i}]"
        name = var.get("name") or ""
        if not name:
            causes.append(v.required(f"{where}.name"))
        else:
            causes += v.check(f"{where}.name", name, v.is_env_var_name(name))
        value_from = child(var, "valueFrom")
        if value_from is None:
            continue
        count = sum(1 for key in ENV_SOURCES if value_from.get(key) is not None)
        if var.get("value"):
            causes.append(v.invalid(f"{where}.valueFrom", "",
                                    "may not be specified when `value` is not empty"))
        if count == 0:
            causes.append(v.invalid(
                f"{where}.valueFrom", "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                "or `secretKeyRef`"))
        elif count > 1:
            causes.append(v.invalid(f"{where}.valueFrom", "",
                                    "may not have more than one field specified at a time"))
        for key in ("configMapKeyRef", "secretKeyRef"):
            selector = child(value_from, key)
            if selector is not None and not selector.get("key"):
                causes.append(v.required(f"{where}.valueFrom.{key}.key"))
    return causes


def _relative_path(path: str, value: str) -> list[Cause]:
    if value.startswith("/"):
        return [v.invalid(path, value, "must be a relative path")]
    if ".." in value.split("/"):
        return [v.invalid(path, value, "must not contain '..'")]
    return []


def _mounts(mounts: Any, path: str, volumes: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    paths: set[str] = set()
    for i, mount in enumerate(dicts(mounts)):
        where = f"{path}[{i}]"
        name = mount.get("name") or ""
        if not name:
            causes.append(v.required(f"{where}.name"))
        elif name not in volumes:
            causes.append(v.not_found(f"{where}.name", name))
        mount_path = mount.get("mountPath") or ""
        if not mount_path:
            causes.append(v.required(f"{where}.mountPath"))
        elif mount_path in paths:
            causes.append(v.invalid(f"{where}.mountPath", mount_path, "must be unique"))
        paths.add(mount_path)
        if mount.get("subPath"):
            causes += _relative_path(f"{where}.subPath", mount["subPath"])
    return causes


def _handler(handler: Obj, path: str, allowed: tuple[str, ...]) -> list[Cause]:
    present = [key for key in allowed if handler.get(key) is not None]
    if not present:
        return [v.required(path, "must specify a handler type")]
    causes = [v.forbidden(f"{path}.{key}", "may not specify more than 1 handler type")
              for key in present[1:]]
    for key in ("httpGet", "tcpSocket"):
        action = child(handler, key)
        if action is not None:
            if action.get("port") is None:
                causes.append(v.required(f"{path}.{key}.port"))
            else:
                causes += v.port_num_or_name(f"{path}.{key}.port", action["port"])
    grpc = child(handler, "grpc")
    if grpc is not None:
        causes += v.check(f"{path}.grpc.port", grpc.get("port"),
                          v.is_valid_port_num(grpc.get("port")))
    return causes


def _probe(probe: Obj, path: str, single_success: bool) -> list[Cause]:
    causes = _handler(probe, path, ("exec", "httpGet", "tcpSocket", "grpc"))
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                "failureThreshold", "terminationGracePeriodSeconds"):
        causes += v.non_negative(f"{path}.{key}", probe.get(key))
    success = probe.get("successThreshold")
    if single_success and isinstance(success, int) and success != 1:
        causes.append(v.invalid(f"{path}.successThreshold", success, "must be 1"))
    return causes


def _container(
    container: Obj, path: str, volumes: set[str], *, host_network: bool, sidecar_ok: bool
) -> list[Cause]:
    """Everything about one container but its name."""
    causes: list[Cause] = []
    image = container.get("image")
    if not image:
        causes.append(v.required(f"{path}.image"))
    elif isinstance(image, str) and image != image.strip():
        causes.append(v.invalid(f"{path}.image", image,
                                "must not have leading or trailing whitespace"))
    causes += _ports(container.get("ports"), f"{path}.ports", host_network)
    causes += _env(container.get("env"), f"{path}.env")
    causes += _mounts(container.get("volumeMounts"), f"{path}.volumeMounts", volumes)
    for i, device in enumerate(dicts(container.get("volumeDevices"))):
        if device.get("name") not in volumes:
            causes.append(v.not_found(f"{path}.volumeDevices[{i}].name", device.get("name")))
    for key in PROBES:
        probe = child(container, key)
        if probe is not None:
            causes += _probe(probe, f"{path}.{key}", key != "readinessProbe")
    lifecycle = child(container, "lifecycle")
    for hook in ("postStart", "preStop"):
        handler = child(lifecycle, hook) if lifecycle else None
        if handler is not None:
            causes += _handler(handler, f"{path}.lifecycle.{hook}",
                               ("exec", "httpGet", "tcpSocket", "sleep"))
    resources = child(container, "resources")
    if resources is not None:
        causes += resource_requirements(resources, f"{path}.resources")
    causes += _required_enum(f"{path}.imagePullPolicy", container.get("imagePullPolicy"),
                             PULL_POLICIES)
    causes += _required_enum(f"{path}.terminationMessagePolicy",
                             container.get("terminationMessagePolicy"),
                             TERMINATION_MESSAGE_POLICIES)
    restart = container.get("restartPolicy")
    if restart is not None:
        if not sidecar_ok:
            causes.append(v.forbidden(f"{path}.restartPolicy",
                                      "may not be set for non-init containers"))
        else:
            causes += v.one_of(f"{path}.restartPolicy", restart, ("Always",))
    return causes


def _init_only(container: Obj, path: str) -> list[Cause]:
    """Init containers that are not sidecars run to completion: no probes,
    no lifecycle hooks."""
    if container.get("restartPolicy") == "Always":
        return []
    return [v.forbidden(f"{path}.{key}",
                        "may not be set for init containers without restartPolicy=Always")
            for key in (*PROBES, "lifecycle") if container.get(key) is not None]


def _name(container: Obj, path: str, seen: set[str]) -> list[Cause]:
    name = container.get("name") or ""
    if not name:
        return [v.required(f"{path}.name")]
    if name in seen:
        return [v.duplicate(f"{path}.name", name)]
    seen.add(name)
    return v.check(f"{path}.name", name, v.is_dns1123_label(name))


def _host_port_conflicts(spec: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, container in enumerate(dicts(spec.get("containers"))):
        for j, port in enumerate(dicts(container.get("ports"))):
            if not port.get("hostPort"):
                continue
            key = f"{port.get('hostIP', '')}/{port.get('protocol', 'TCP')}/{port['hostPort']}"
            if key in seen:
                causes.append(v.duplicate(f"{path}.containers[{i}].ports[{j}].hostPort", key))
            seen.add(key)
    return causes


def validate_containers(spec: Obj, path: str, volumes: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    host_network = spec.get("hostNetwork") is True
    names: set[str] = set()
    containers = list(dicts(spec.get("containers")))
    if not containers:
        causes.append(v.required(f"{path}.containers"))
    for i, container in enumerate(containers):
        where = f"{path}.containers[{i}]"
        causes += _name(container, where, names)
        causes += _container(container, where, volumes, host_network=host_network,
                             sidecar_ok=False)
    for i, container in enumerate(dicts(spec.get("initContainers"))):
        where = f"{path}.initContainers[{i}]"
        causes += _name(container, where, names)
        causes += _container(container, where, volumes, host_network=host_network,
                             sidecar_ok=True)
        causes += _init_only(container, where)
    for i, container in enumerate(dicts(spec.get("ephemeralContainers"))):
        where = f"{path}.ephemeralContainers[{i}]"
        causes += _name(container, where, names)
        causes += [v.forbidden(f"{where}.{key}", "cannot be set for an Ephemeral Container")
                   for key in EPHEMERAL_FORBIDDEN if container.get(key) is not None]
        if not container.get("image"):
            causes.append(v.required(f"{where}.image"))
    causes += _host_port_conflicts(spec, path)
    return causes


# --- pod-level settings --------------------------------------------------------


def _tolerations(tolerations: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, tol in enumerate(dicts(tolerations)):
        where = f"{path}[{i}]"
        key, operator, value = tol.get("key") or "", tol.get("operator") or "", tol.get("value")
        effect = tol.get("effect") or ""
        if key:
            causes += v.check(f"{where}.key", key, v.is_qualified_name(key))
        elif operator != "Exists":
            causes.append(v.invalid(
                f"{where}.operator", operator,
                'operator must be Exists when `key` is empty, which means "match all values '
                'and all keys"'))
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(v.invalid(f"{where}.effect", effect,
                                    "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("", "Equal"):
            errs = v.is_valid_label_value(value or "")
            if errs:
                causes.append(v.invalid(f"{where}.operator", value, ";".join(errs)))
        elif operator == "Exists":
            if value:
                causes.append(v.invalid(f"{where}.operator", tol,
                                        "value must be empty when `operator` is 'Exists'"))
        else:
            causes.append(v.not_supported(f"{where}.operator", operator, ("Equal", "Exists")))
        if effect:
            causes += taint_effect(f"{where}.effect", effect)
    return causes


def _spread_constraints(constraints: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for i, tsc in enumerate(dicts(constraints)):
        where = f"{path}[{i}]"
        skew = tsc.get("maxSkew")
        if not isinstance(skew, int) or skew <= 0:
            causes.append(v.invalid(f"{where}.maxSkew", skew, "must be greater than zero"))
        key = tsc.get("topologyKey") or ""
        if not key:
            causes.append(v.required(f"{where}.topologyKey", "can not be empty"))
        when = tsc.get("whenUnsatisfiable") or ""
        causes += v.one_of(f"{where}.whenUnsatisfiable", when,
                           ("DoNotSchedule", "ScheduleAnyway"))
        if (key, when) in seen:
            causes.append(v.duplicate(where, f"{{{key}, {when}}}"))
        seen.add((key, when))
    return causes


def _dns(spec: Obj, path: str) -> list[Cause]:
    causes = _required_enum(f"{path}.dnsPolicy", spec.get("dnsPolicy"), DNS_POLICIES)
    config = child(spec, "dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if config is None:
            return causes + [v.required(f"{path}.dnsConfig",
                                        "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not config.get("nameservers"):
            causes.append(v.required(
                f"{path}.dnsConfig.nameservers",
                "must provide at least one DNS nameserver when `dnsPolicy` is None"))
    for i, server in enumerate((config or {}).get("nameservers") or []):
        causes += v.check(f"{path}.dnsConfig.nameservers[{i}]", server, v.is_valid_ip(server))
    return causes


def _names(spec: Obj, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key, check in (("serviceAccountName", v.is_dns1123_subdomain),
                       ("nodeName", v.is_dns1123_subdomain),
                       ("hostname", v.is_dns1123_label),
                       ("subdomain", v.is_dns1123_label)):
        value = spec.get(key)
        if value:
            causes += v.check(f"{path}.{key}", value, check(value))
    return causes


def validate_pod_spec(spec: Obj, path: str) -> list[Cause]:
    """Everything Kubernetes checks in a PodSpec, wherever it appears
    (`path` is where: "spec", "spec.template.spec", ...)."""
    volumes, causes = validate_volumes(spec.get("volumes"), f"{path}.volumes")
    causes += validate_containers(spec, path, volumes)
    causes += _required_enum(f"{path}.restartPolicy", spec.get("restartPolicy"),
                             RESTART_POLICIES)
    causes += _dns(spec, path)
    causes += _names(spec, path)
    causes += v.validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None:
        causes += v.in_range(f"{path}.activeDeadlineSeconds", deadline, 1, 2**31 - 1)
    causes += _tolerations(spec.get("tolerations"), f"{path}.tolerations")
    causes += _spread_constraints(spec.get("topologySpreadConstraints"),
                                  f"{path}.topologySpreadConstraints")
    for i, alias in enumerate(dicts(spec.get("hostAliases"))):
        causes += v.check(f"{path}.hostAliases[{i}].ip", alias.get("ip", ""),
                          v.is_valid_ip(alias.get("ip", "")))
    resources = child(spec, "resources")
    if resources is not None:
        causes += resource_requirements(resources, f"{path}.resources")
    return causes


def validate_pod_template(template: Obj, path: str) -> list[Cause]:
    """A PodTemplateSpec at `path` ("spec.template"): its labels and
    annotations, and its spec."""
    meta = child(template, "metadata") or {}
    causes = v.validate_labels(meta.get("labels"), f"{path}.metadata.labels")
    causes += validate_annotations(meta.get("annotations"), f"{path}.metadata.annotations")
    spec = child(template, "spec")
    if spec is None:
        return causes + [v.required(f"{path}.spec")]
    return causes + validate_pod_spec(spec, f"{path}.spec")
