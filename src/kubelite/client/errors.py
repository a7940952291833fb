"""What can go wrong talking to the API server, as exceptions.

`ApiError` is an answer the server gave: a Kubernetes `Status` with its
HTTP code, reason, message and details. `from_response(code, body)` picks
the subclass from the Status's reason first and its code second, as
apimachinery's `errors.IsNotFound` and friends do, so a caller writes
`except NotFound:` rather than comparing codes. `TransportError` is the
other kind of failure: no answer at all (connection refused, reset, a
read that timed out), raised once the client's retries are used up.
"""

from __future__ import annotations

from typing import Any

import orjson


class TransportError(Exception):
    """The request got no HTTP answer (or the answer was cut off)."""


class ApiError(Exception):
    """An error the API server answered with: `code` (HTTP status),
    `reason` (a Kubernetes StatusReason, "" if the body had none),
    `message`, and `details` (the Status's details: name, group, kind,
    causes, retryAfterSeconds; {} if none)."""

    def __init__(self, code: int, reason: str, message: str,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {reason}: {message}" if reason else f"{code}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    @property
    def causes(self) -> list[dict[str, Any]]:
        """The field causes of an Invalid (or other) Status: dicts with
        reason, message and field."""
        return list(self.details.get("causes") or [])

    @property
    def retry_after_seconds(self) -> int:
        return int(self.details.get("retryAfterSeconds") or 0)


class NotFound(ApiError):
    """404: the object (or the path) is not there."""


class AlreadyExists(ApiError):
    """409 AlreadyExists: a create found the name taken."""


class Conflict(ApiError):
    """409 Conflict: the object changed since it was read (a stale
    resourceVersion or a failed precondition)."""


class Invalid(ApiError):
    """422: the object failed validation; `causes` names the fields."""


class Gone(ApiError):
    """410 Expired/Gone: the resourceVersion (or continue token) asked for
    has been compacted away; list again from scratch."""


class TooManyRequests(ApiError):
    """429: the server asks the client to slow down (see Retry-After)."""


class Forbidden(ApiError):
    """403: the user may not do this."""


class Unauthorized(ApiError):
    """401: no valid credentials."""


class ServerError(ApiError):
    """5xx: the server failed (InternalError, ServiceUnavailable, ...)."""


class Timeout(ServerError):
    """504 Timeout (or a ServerTimeout): the server could not finish in
    time; the request may or may not have taken effect."""


_BY_REASON: dict[str, type[ApiError]] = {
    "NotFound": NotFound,
    "AlreadyExists": AlreadyExists,
    "Conflict": Conflict,
    "Invalid": Invalid,
    "Expired": Gone,
    "Gone": Gone,
    "TooManyRequests": TooManyRequests,
    "Forbidden": Forbidden,
    "Unauthorized": Unauthorized,
    "Timeout": Timeout,
    "ServerTimeout": Timeout,
    "InternalError": ServerError,
    "ServiceUnavailable": ServerError,
}

_BY_CODE: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    422: Invalid,
    429: TooManyRequests,
    504: Timeout,
}


def error_class(code: int, reason: str) -> type[ApiError]:
    """The exception class for a Status's reason, else for its code."""
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code)
    if cls is None and code >= 500:
        cls = ServerError
    return cls or ApiError


def from_status(status: dict[str, Any], code: int | None = None) -> ApiError:
    """The exception for a Status object (as in a watch's ERROR event);
    `code` is the HTTP code when the Status has none."""
    status_code = int(status.get("code") or code or 500)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or "")
    details = status.get("details") if isinstance(status.get("details"), dict) else None
    return error_class(status_code, reason)(status_code, reason, message, details)


def from_response(code: int, body: bytes | str | dict[str, Any] | None) -> ApiError:
    """The exception for an HTTP error answer. `body` is the raw body or
    its decoded JSON; a body that is not a Status (plain text from a
    proxy, say) becomes the message."""
    if isinstance(body, (bytes, str)):
        raw = body
        try:
            body = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            return error_class(code, "")(code, "", text.strip())
    if isinstance(body, dict) and body.get("kind") == "Status":
        err = from_status(body, code)
        if err.code != code:  # the HTTP code is the truth; the Status may lack one
            err = error_class(code, err.reason)(code, err.reason, err.message, err.details)
        return err
    message = "" if body is None else orjson.dumps(body).decode()
    return error_class(code, "")(code, "", message)
