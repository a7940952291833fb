"""Which resource, namespace, name and subresource a request path names.

Pure: `parse_path` turns "/apis/apps/v1/namespaces/web/deployments/front/scale"
into a RequestInfo; the HTTP layer looks the resource up and dispatches on
the verb. Paths follow the Kubernetes layout:

    /api/v1/<plural>[/<name>[/<subresource>]]
    /api/v1/namespaces/<ns>/<plural>[/<name>[/<subresource>]]
    /apis/<group>/<version>/... the same
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_path(path: str, namespaced: set[tuple[str, str, str]]) -> RequestInfo | None:
    """The resource request a path names, or None if it names none (a
    discovery or unknown path). `namespaced` holds (group, version, plural)
    of the namespaced resources, to tell /namespaces/<ns>/<plural> apart from
    the namespace object's own subresources."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and (group, version, rest[2]) in namespaced:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        return None
    return RequestInfo(
        group=group,
        version=version,
        plural=rest[0],
        namespace=namespace,
        name=rest[1] if len(rest) > 1 else None,
        subresource=rest[2] if len(rest) > 2 else None,
    )
