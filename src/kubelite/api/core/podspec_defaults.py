"""Defaulting of a PodSpec as Kubernetes does it for every object that holds
one (Pods, and the pod templates of Deployments, Jobs, ...): restart and DNS
policy, grace period, scheduler, image pull policy, probe timings, port
protocols, volume file modes. Pod-only defaults live in `pods`.

Functions mutate the dicts in place and leave values of the wrong type
alone (validation reports those).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubelite.api.core.volume import PROJECTING_SOURCES, VOLUME_SOURCES
from kubelite.api.resource import Obj

DEFAULT_FILE_MODE = 0o644
DEFAULT_TOKEN_SECONDS = 3600
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def dicts(value: Any) -> Iterator[Obj]:
    """The dict items of a list (nothing for anything else)."""
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def child(parent: Obj, key: str) -> Obj | None:
    value = parent.get(key)
    return value if isinstance(value, dict) else None


def image_tag(image: str) -> str:
    """The tag of an image reference: "latest" when it has neither tag nor
    digest, "" when it has only a digest."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    return tag or ("" if digest else "latest")


def _default_http_get(handler: Obj | None) -> None:
    http_get = child(handler, "httpGet") if handler else None
    if http_get is not None:
        http_get.setdefault("path", "/")
        http_get.setdefault("scheme", "HTTP")


def _default_probe(probe: Obj) -> None:
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _default_http_get(probe)


def _default_field_refs(holder: Obj) -> None:
    """fieldRef.apiVersion v1 and resourceFieldRef.divisor 0, wherever a
    downward API reference appears."""
    field_ref = child(holder, "fieldRef")
    if field_ref is not None:
        field_ref.setdefault("apiVersion", "v1")
    resource_ref = child(holder, "resourceFieldRef")
    if resource_ref is not None:
        resource_ref.setdefault("divisor", "0")


def default_container(container: Obj) -> None:
    if "imagePullPolicy" not in container:
        image = container.get("image")
        tag = image_tag(image) if isinstance(image, str) and image else ""
        container["imagePullPolicy"] = "Always" if tag == "latest" else "IfNotPresent"
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in dicts(container.get("ports")):
        port.setdefault("protocol", "TCP")
    for env in dicts(container.get("env")):
        value_from = child(env, "valueFrom")
        if value_from is not None:
            _default_field_refs(value_from)
    for name in PROBES:
        probe = child(container, name)
        if probe is not None:
            _default_probe(probe)
    lifecycle = child(container, "lifecycle")
    if lifecycle is not None:
        for hook in ("postStart", "preStop"):
            _default_http_get(child(lifecycle, hook))


def _default_files(source: Obj, key: str = "items") -> None:
    for item in dicts(source.get(key)):
        _default_field_refs(item)


def default_volume(volume: Obj) -> None:
    if not any(key in volume for key in VOLUME_SOURCES):
        volume["emptyDir"] = {}
    for key in PROJECTING_SOURCES:
        source = child(volume, key)
        if source is not None:
            source.setdefault("defaultMode", DEFAULT_FILE_MODE)
            _default_files(source)
    projected = child(volume, "projected")
    for projection in dicts(projected.get("sources") if projected else None):
        token = child(projection, "serviceAccountToken")
        if token is not None:
            token.setdefault("expirationSeconds", DEFAULT_TOKEN_SECONDS)
        downward = child(projection, "downwardAPI")
        if downward is not None:
            _default_files(downward)
    host_path = child(volume, "hostPath")
    if host_path is not None:
        host_path.setdefault("type", "")
    ephemeral = child(volume, "ephemeral")
    template = child(ephemeral, "volumeClaimTemplate") if ephemeral else None
    claim_spec = child(template, "spec") if template else None
    if claim_spec is not None:
        claim_spec.setdefault("volumeMode", "Filesystem")


def default_pod_spec(spec: Obj) -> None:
    """Fill what Kubernetes fills in any PodSpec."""
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    # serviceAccount is the old name of serviceAccountName; both are kept equal.
    if spec.get("serviceAccountName"):
        spec["serviceAccount"] = spec["serviceAccountName"]
    elif spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    for key in CONTAINER_LISTS:
        for container in dicts(spec.get(key)):
            default_container(container)
    for volume in dicts(spec.get("volumes")):
        default_volume(volume)


def default_pod_template(template: Obj) -> None:
    """Fill the defaults of a PodTemplateSpec (its spec)."""
    spec = template.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pod_spec(spec)
