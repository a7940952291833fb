"""Unit tests for kubelite.client.errors: Status bodies to typed exceptions,
by reason first and code second."""

from __future__ import annotations

import pytest

from kubelite.client import errors


def status(code: int, reason: str, message: str = "m", **details) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


@pytest.mark.parametrize("code, reason, cls", [
    (404, "NotFound", errors.NotFound),
    (409, "AlreadyExists", errors.AlreadyExists),
    (409, "Conflict", errors.Conflict),
    (422, "Invalid", errors.Invalid),
    (410, "Expired", errors.Gone),
    (410, "Gone", errors.Gone),
    (429, "TooManyRequests", errors.TooManyRequests),
    (403, "Forbidden", errors.Forbidden),
    (401, "Unauthorized", errors.Unauthorized),
    (504, "Timeout", errors.Timeout),
    (500, "ServerTimeout", errors.Timeout),
    (500, "InternalError", errors.ServerError),
    (503, "ServiceUnavailable", errors.ServerError),
    (400, "BadRequest", errors.ApiError),
    # No reason: the code decides.
    (404, "", errors.NotFound),
    (409, "", errors.Conflict),
    (410, "", errors.Gone),
    (502, "", errors.ServerError),
    (418, "", errors.ApiError),
])
def test_class_by_reason_then_code(code: int, reason: str, cls: type) -> None:
    err = errors.from_response(code, status(code, reason))
    assert type(err) is cls
    assert (err.code, err.reason, err.message) == (code, reason, "m")


def test_details_and_causes_from_bytes() -> None:
    body = (b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
            b'"message":"ConfigMap \\"Bad\\" is invalid","reason":"Invalid","details":'
            b'{"name":"Bad","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid",'
            b'"message":"bad","field":"metadata.name"}],"retryAfterSeconds":3},"code":422}\n')
    err = errors.from_response(422, body)
    assert isinstance(err, errors.Invalid)
    assert err.details["name"] == "Bad"
    assert err.causes == [{"reason": "FieldValueInvalid", "message": "bad",
                           "field": "metadata.name"}]
    assert err.retry_after_seconds == 3
    assert str(err) == '422 Invalid: ConfigMap "Bad" is invalid'


def test_timeout_is_a_server_error() -> None:
    assert isinstance(errors.from_response(504, status(504, "Timeout")), errors.ServerError)


def test_body_that_is_not_a_status() -> None:
    err = errors.from_response(502, b"Bad Gateway\n")
    assert isinstance(err, errors.ServerError) and err.message == "Bad Gateway"
    assert err.details == {} and err.causes == []
    assert errors.from_response(404, b"").message == ""
    assert isinstance(errors.from_response(403, {"weird": 1}), errors.Forbidden)


def test_http_code_wins_over_a_status_without_one() -> None:
    body = status(0, "NotFound")
    del body["code"]
    err = errors.from_response(404, body)
    assert isinstance(err, errors.NotFound) and err.code == 404


def test_from_status_of_a_watch_error_event() -> None:
    err = errors.from_status(status(410, "Expired", "too old resource version: 5 (9)"))
    assert isinstance(err, errors.Gone) and err.message.startswith("too old")
