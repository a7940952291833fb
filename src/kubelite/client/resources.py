"""Finding the `Resource` a call names.

The built-in kinds are declared once in `kubelite.api` (their modules
register them in `kubelite.api.resource.REGISTRY`); `resource_for` looks
one up by apiVersion and plural. A custom resource has no declaration
here: `custom_resource` builds the little the client needs (group,
version, kind, plural, scope) from what its CRD says.
"""

from __future__ import annotations

from kubelite.api.resource import REGISTRY, Resource


def resource_for(api_version: str, plural: str) -> Resource:
    """The built-in resource: resource_for("v1", "pods"),
    resource_for("apps/v1", "deployments")."""
    import kubelite.api.all  # noqa: F401  (fills REGISTRY)

    group, _, version = api_version.rpartition("/")
    try:
        return REGISTRY[(group, version, plural)]
    except KeyError:
        raise KeyError(f"no built-in resource {plural} in {api_version}") from None


def custom_resource(group: str, version: str, kind: str, plural: str,
                    namespaced: bool = True) -> Resource:
    """A resource a CRD defines, e.g. custom_resource("example.com", "v1",
    "Widget", "widgets")."""
    return Resource(group=group, version=version, kind=kind, plural=plural,
                    namespaced=namespaced, schema="", strategic_merge=False,
                    typed_decoding=False)
