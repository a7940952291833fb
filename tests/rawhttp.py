"""Raw HTTPS requests to a test API server, for tests that check bytes and
status codes rather than what a client library makes of them: http.client,
trusting the generated CA, authenticating with the admin token from
<data-dir>/apiserver/tokens.csv, a new connection per request."""

from __future__ import annotations

import csv
import http.client
import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.apiserverproc import APIServerProcess

JSON = "application/json"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class WatchStream:
    response: http.client.HTTPResponse

    @property
    def status(self) -> int:
        return self.response.status

    def next(self) -> dict | None:
        """The next watch event, or None once the server ends the stream."""
        line = self.response.readline()
        return json.loads(line) if line.strip() else None

    def body(self) -> bytes:
        return self.response.read()


class Raw:
    """One HTTPS client for the API server; a new connection per request."""

    def __init__(self, apiserver: APIServerProcess) -> None:
        self.port = apiserver.port
        self.context = ssl.create_default_context(cafile=apiserver.ca_file)
        with open(f"{apiserver.data_dir}/apiserver/tokens.csv", newline="") as f:
            self.token = next(csv.reader(f))[0]

    def connect(self, timeout: float = 30) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context,
                                           timeout=timeout)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @contextmanager
    def watch(self, path: str, timeout: float = 30) -> Iterator[WatchStream]:
        """A streaming GET (a watch): yields once the response headers are
        in; reads block for at most `timeout` seconds."""
        conn = self.connect(timeout)
        try:
            conn.request("GET", path, headers=self.auth())
            yield WatchStream(conn.getresponse())
        finally:
            conn.close()

    def request(self, method: str, path: str, body: bytes | dict | None = None,
                content_type: str | None = JSON, token: str | None = "admin",
                headers: dict[str, str] | None = None) -> Reply:
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        sent = dict(headers or {})
        if token == "admin":
            token = self.token
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if content_type is not None and body is not None:
            sent["Content-Type"] = content_type
        conn = self.connect()
        try:
            try:
                conn.request(method, path, body=body, headers=sent)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer before reading all of a large body
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
