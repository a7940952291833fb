"""What a user may do: the seam where RBAC will plug in.

The HTTP layer describes each authenticated request as `Attributes` and
asks an `Authorizer`; a refusal becomes 403 Forbidden with the reason.
Until RBAC exists, `AllowAll` lets every authenticated user do everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kubelite.apiserver.authn import User


@dataclass(frozen=True)
class Attributes:
    """One request as an authorizer sees it. For a resource request `verb` is
    the API verb (get, list, watch, create, update, patch, delete,
    deletecollection) and `resource` is set; for a non-resource request
    (/version, /healthz, /openapi/v3, ...) `resource` is empty, `verb` is
    the lower-case HTTP method and `path` says what is asked for."""

    user: User
    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""


class Authorizer(Protocol):
    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        """(allowed, reason); the reason is shown to a refused user."""
        ...


class AllowAll:
    """Every authenticated user may do everything."""

    def authorize(self, attrs: Attributes) -> tuple[bool, str]:
        return True, ""
