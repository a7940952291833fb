"""API errors as Kubernetes reports them: a Status object with a reason,
an HTTP code and details (the object's name, kind, group and causes).

Everything in the API server raises `StatusError`; the HTTP layer sends its
`status` as the body with its `code`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from kubelite.api.resource import Cause


class StatusError(Exception):
    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    @property
    def status(self) -> dict[str, Any]:
        """The Status object, its fields in the order kube-apiserver writes
        them (clients compare bodies as text), the empty ones left out."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            out["details"] = ordered_details(self.details)
        out["code"] = self.code
        return out


DETAILS_ORDER = ("name", "group", "kind", "uid", "causes", "retryAfterSeconds")
CAUSE_ORDER = ("reason", "message", "field")


def ordered_details(details: dict[str, Any]) -> dict[str, Any]:
    """StatusDetails as Go serializes them: its fields in declaration order,
    empty ones omitted, each cause's fields likewise."""
    out = {k: details[k] for k in DETAILS_ORDER if details.get(k)}
    if "causes" in out:
        out["causes"] = [{k: c[k] for k in CAUSE_ORDER if c.get(k)} for c in out["causes"]]
    return out


T = TypeVar("T")


async def unless_gone(call: Awaitable[T]) -> T | None:
    """What `call` gives, or None when its object is not there (a 404): for
    writes to objects that others may delete meanwhile."""
    try:
        return await call
    except StatusError as e:
        if e.reason != "NotFound":
            raise
        return None


def _details(resource: str, name: str, group: str = "", **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        d["group"] = group
    d.update(extra)
    return d


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> StatusError:
    return StatusError(
        404, "NotFound", f'{_qualified(resource, group)} "{name}" not found',
        _details(resource, name, group),
    )


def already_exists(resource: str, name: str, group: str = "") -> StatusError:
    return StatusError(
        409, "AlreadyExists", f'{_qualified(resource, group)} "{name}" already exists',
        _details(resource, name, group),
    )


def conflict(resource: str, name: str, why: str, group: str = "") -> StatusError:
    return StatusError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
        _details(resource, name, group),
    )


MODIFIED = (
    "the object has been modified; please apply your changes to the latest version "
    "and try again"
)


def invalid(kind: str, name: str, causes: list[Cause], group: str = "") -> StatusError:
    listed = ", ".join(f"{c.field}: {c.message}" for c in causes)
    qualified = f"{kind}.{group}" if group else kind
    return StatusError(
        422, "Invalid", f'{qualified} "{name}" is invalid: {listed}',
        _details(
            kind, name, group,
            causes=[{"reason": c.reason, "message": c.message, "field": c.field} for c in causes],
        ),
    )


def path_not_found() -> StatusError:
    """404 for a path that names no resource, or a subresource that does
    not exist; as kube-apiserver's, with empty details."""
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def forbidden(message: str) -> StatusError:
    return StatusError(403, "Forbidden", message)


def method_not_allowed(message: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed", message)


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def too_large(message: str) -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", message)


MEDIA_TYPES = (
    "application/json, application/yaml, application/json-patch+json, "
    "application/merge-patch+json, application/strategic-merge-patch+json"
)


def unsupported_media_type(content_type: str) -> StatusError:
    return StatusError(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        f"{MEDIA_TYPES}; got {content_type}",
    )


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def internal(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}")


def timeout(message: str) -> StatusError:
    return StatusError(504, "Timeout", message)
