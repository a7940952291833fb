"""The REST client: every verb of the Kubernetes API over aiohttp, JSON in
and out, as client-go's rest and dynamic clients give them.

`Client(config, component)` takes a `ClientConfig` (config.py); each call
names a `kubelite.api.resource.Resource` (see resources.py for finding one)
and returns the decoded JSON object. Failures are the exceptions of
errors.py. Every attempt first takes a token from the client's bucket
(ratelimit.py); failed attempts are retried as `RetryPolicy` (retry.py)
decides. Requests carry the user agent "kubelite-<component>/<version>".

`watch(...)` opens a watch stream and returns a `Watch`: iterate it for
`WatchEvent(type, object)`s. It ends when the server ends the stream
(timeoutSeconds, or the server's own limit); an ERROR event raises its
Status as an exception (`Gone` for a compacted resourceVersion); a broken
connection raises `TransportError`. Resuming is the caller's (the informer
does it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import aiohttp
import orjson

from kubelite.api.resource import Resource
from kubelite.client.config import ClientConfig
from kubelite.client.errors import TransportError, from_response, from_status
from kubelite.client.ratelimit import TokenBucket, client_bucket
from kubelite.client.retry import CONNECT, LOST, RetryPolicy, parse_retry_after

log = logging.getLogger("kubelite.client")

Obj = dict[str, Any]

JSON = "application/json"
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "json": "application/json-patch+json",
}
# A watch read that sees nothing for this long past its timeoutSeconds is
# taken as a dead connection.
WATCH_READ_SLACK = 60.0
# The server's own limit on a watch without timeoutSeconds.
SERVER_WATCH_LIMIT = 1800.0


def _version() -> str:
    try:
        return metadata.version("kubelite")
    except metadata.PackageNotFoundError:
        return "0"


def user_agent(component: str) -> str:
    return f"kubelite-{component}/{_version()}"


def resource_path(resource: Resource, namespace: str | None = None, name: str | None = None,
                  subresource: str | None = None) -> str:
    """/api/v1/namespaces/ns/pods/p/status and the like. A namespaced
    resource without a namespace is the all-namespaces collection."""
    base = f"/apis/{resource.group}/{resource.version}" if resource.group \
        else f"/api/{resource.version}"
    if resource.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    path = f"{base}/{resource.plural}"
    if name:
        path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
    return path


def _query(**params: Any) -> dict[str, str]:
    """Query parameters without the unset ones, booleans as true/false."""
    out = {}
    for key, value in params.items():
        if value is None or value == "":
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: Obj


class Watch:
    """One watch stream. `async with client.watch(...) as w: async for e in w`,
    or iterate it directly (it closes itself at the end)."""

    def __init__(self, client: Client, path: str, params: dict[str, str],
                 read_timeout: float) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._read_timeout = read_timeout
        self._resp: aiohttp.ClientResponse | None = None
        self._buffer = b""
        self._closed = False

    async def open(self) -> Watch:
        """Open the stream (done by the first iteration if not before)."""
        if self._resp is None and not self._closed:
            self._resp = await self._client._send(
                "GET", self._path, self._params, None, None,
                aiohttp.ClientTimeout(total=None, sock_connect=30,
                                      sock_read=self._read_timeout),
                stream=True)
        return self

    async def __aenter__(self) -> Watch:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[WatchEvent]:
        return self

    async def __anext__(self) -> WatchEvent:
        await self.open()
        line = await self._next_line()
        if line is None:
            await self.close()
            raise StopAsyncIteration
        try:
            event = orjson.loads(line)
            kind, obj = event["type"], event["object"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as e:
            await self.close()
            raise TransportError(f"watch {self._path}: undecodable event: {line[:200]!r}") from e
        if kind == "ERROR":
            await self.close()
            raise from_status(obj if isinstance(obj, dict) else {}, 500)
        return WatchEvent(kind, obj)

    async def _next_line(self) -> bytes | None:
        assert self._resp is not None or self._closed
        if self._resp is None:
            return None
        while True:
            line, sep, rest = self._buffer.partition(b"\n")
            if sep:
                self._buffer = rest
                if line.strip():
                    return line
                continue
            try:
                chunk = await self._resp.content.readany()
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                await self.close()
                raise TransportError(f"watch {self._path}: connection lost: {e!r}") from e
            if not chunk:  # the server ended the stream cleanly
                tail, self._buffer = self._buffer.strip(), b""
                return tail or None
            self._buffer += chunk

    async def close(self) -> None:
        self._closed = True
        if self._resp is not None:
            self._resp.close()
            self._resp = None


class Client:
    """An API client for one component. Create it inside the event loop
    that will use it (or before, and use it from one loop only); `close()`
    it when done."""

    def __init__(self, config: ClientConfig, component: str = "client", *,
                 retry: RetryPolicy | None = None, bucket: TokenBucket | None = None) -> None:
        self.config = config
        self.component = component
        self.user_agent = user_agent(component)
        self.retry = retry or RetryPolicy()
        self.bucket = bucket or client_bucket(config.qps, config.burst)
        self._ssl = config.ssl_context()
        self._session: aiohttp.ClientSession | None = None

    # --- plumbing -------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else False,
                                             limit=0)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": JSON, "User-Agent": self.user_agent}
        if content_type:
            headers["Content-Type"] = content_type
        token = self.config.bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def _throttle(self) -> None:
        delay = self.bucket.reserve()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _send(self, method: str, path: str, params: dict[str, str] | None,
                    body: bytes | None, content_type: str | None,
                    timeout: aiohttp.ClientTimeout, stream: bool = False) -> Any:
        """One request with its retries. Returns the response body (bytes)
        or, with `stream`, the open 2xx response."""
        loop = asyncio.get_running_loop()
        url = self.config.server + path
        start = loop.time()
        attempt = 0
        extra: dict[str, Any] = {}
        if self.config.tls_server_name:
            extra["server_hostname"] = self.config.tls_server_name
        while True:
            await self._throttle()
            attempt += 1
            status: int | None = None
            retry_after: float | None = None
            failure: str | None = None
            try:
                resp = await self._get_session().request(
                    method, url, params=params, data=body, headers=self._headers(content_type),
                    timeout=timeout, **extra)
            except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as e:
                raise TransportError(f"{method} {url}: TLS failure: {e}") from e
            except aiohttp.ClientConnectorError as e:
                failure, error = CONNECT, TransportError(f"{method} {url}: {e}")
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                failure, error = LOST, TransportError(f"{method} {url}: {e!r}")
            else:
                if stream and resp.status < 300:
                    return resp
                try:
                    data = await resp.read()
                except (TimeoutError, aiohttp.ClientError, OSError) as e:
                    failure, error = LOST, TransportError(f"{method} {url}: {e!r}")
                else:
                    if resp.status < 300:
                        return data
                    status = resp.status
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    error = from_response(status, data)
                finally:
                    resp.release()
            delay = self.retry.delay(method=method, attempt=attempt,
                                     elapsed=loop.time() - start, status=status,
                                     retry_after=retry_after, failure=failure)
            if delay is None:
                raise error
            log.debug("%s %s: %s; retrying in %.2fs (attempt %d)", method, path, error,
                      delay, attempt)
            await asyncio.sleep(delay)

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None, content_type: str = JSON) -> Any:
        """Any request: `body` (a dict/list, or bytes sent as they are) and
        the answer as decoded JSON (None for an empty body)."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
        raw = await self._send(method.upper(), path, _query(**(params or {})), data,
                               content_type if data is not None else None,
                               aiohttp.ClientTimeout(total=self.config.request_timeout))
        return orjson.loads(raw) if raw.strip() else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- verbs ------------------------------------------------------------------

    @staticmethod
    def _namespace(resource: Resource, namespace: str | None, obj: Obj | None = None) -> str | None:
        if not resource.namespaced:
            return None
        namespace = namespace or ((obj or {}).get("metadata") or {}).get("namespace")
        if not namespace:
            raise ValueError(f"{resource.plural} are namespaced: a namespace is needed")
        return namespace

    @staticmethod
    def _name(obj: Obj) -> str:
        name = (obj.get("metadata") or {}).get("name")
        if not name:
            raise ValueError("the object has no metadata.name")
        return name

    async def get(self, resource: Resource, name: str, namespace: str | None = None, *,
                  subresource: str | None = None) -> Obj:
        ns = self._namespace(resource, namespace)
        return await self.request("GET", resource_path(resource, ns, name, subresource))

    async def list(self, resource: Resource, namespace: str | None = None, *,
                   label_selector: str | None = None, field_selector: str | None = None,
                   resource_version: str | None = None,
                   resource_version_match: str | None = None,
                   limit: int | None = None, continue_: str | None = None,
                   timeout_seconds: int | None = None) -> Obj:
        """One page of a list (all of it without `limit`). A namespaced
        resource without a namespace lists every namespace."""
        ns = namespace if resource.namespaced else None
        return await self.request("GET", resource_path(resource, ns), params=_query(
            labelSelector=label_selector, fieldSelector=field_selector,
            resourceVersion=resource_version, resourceVersionMatch=resource_version_match,
            limit=limit, timeoutSeconds=timeout_seconds, **{"continue": continue_}))

    async def create(self, resource: Resource, obj: Obj, namespace: str | None = None, *,
                     dry_run: bool = False, field_validation: str | None = None) -> Obj:
        ns = self._namespace(resource, namespace, obj)
        return await self.request("POST", resource_path(resource, ns), body=obj, params=_query(
            dryRun="All" if dry_run else None, fieldValidation=field_validation))

    async def update(self, resource: Resource, obj: Obj, namespace: str | None = None, *,
                     subresource: str | None = None, dry_run: bool = False) -> Obj:
        """PUT: a 409 Conflict if obj's metadata.resourceVersion is stale."""
        ns = self._namespace(resource, namespace, obj)
        return await self.request("PUT", resource_path(resource, ns, self._name(obj), subresource),
                                  body=obj, params=_query(dryRun="All" if dry_run else None))

    async def update_status(self, resource: Resource, obj: Obj,
                            namespace: str | None = None) -> Obj:
        return await self.update(resource, obj, namespace, subresource="status")

    async def patch(self, resource: Resource, name: str, patch: Any,
                    namespace: str | None = None, *, patch_type: str = "merge",
                    subresource: str | None = None, dry_run: bool = False) -> Obj:
        """`patch_type` is "merge" (RFC 7386), "strategic" (built-in kinds
        only) or "json" (RFC 6902, a list of operations)."""
        if patch_type not in PATCH_TYPES:
            raise ValueError(f"patch_type must be one of {sorted(PATCH_TYPES)}")
        ns = self._namespace(resource, namespace)
        body = patch.encode() if isinstance(patch, str) else patch
        return await self.request("PATCH", resource_path(resource, ns, name, subresource),
                                  body=body, content_type=PATCH_TYPES[patch_type],
                                  params=_query(dryRun="All" if dry_run else None))

    async def delete(self, resource: Resource, name: str, namespace: str | None = None, *,
                     propagation_policy: str | None = None,
                     grace_period_seconds: int | None = None,
                     preconditions: dict[str, str] | None = None,
                     dry_run: bool = False) -> Obj:
        """The deleted object, the object marked for deletion, or a Status
        of Success. `propagation_policy` is Orphan, Background or
        Foreground; `preconditions` may hold uid and resourceVersion."""
        ns = self._namespace(resource, namespace)
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            options["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            options["preconditions"] = preconditions
        if dry_run:
            options["dryRun"] = ["All"]
        return await self.request("DELETE", resource_path(resource, ns, name), body=options)

    async def post_subresource(self, resource: Resource, name: str, subresource: str,
                               body: Obj, namespace: str | None = None) -> Obj:
        """POST to a subresource: pods/binding (a v1 Binding), pods/eviction
        (a policy/v1 Eviction)."""
        ns = self._namespace(resource, namespace, body)
        return await self.request("POST", resource_path(resource, ns, name, subresource),
                                  body=body)

    def watch(self, resource: Resource, namespace: str | None = None, *,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, allow_watch_bookmarks: bool = True,
              timeout_seconds: int | None = None, send_initial_events: bool | None = None,
              resource_version_match: str | None = None) -> Watch:
        """A watch from `resource_version` (every change after it), or,
        without one, the current objects as ADDED and then the changes.
        `send_initial_events=True` (with resource_version_match
        "NotOlderThan") is WatchList: the initial events end with a
        BOOKMARK annotated k8s.io/initial-events-end."""
        ns = namespace if resource.namespaced else None
        params = _query(watch=True, resourceVersion=resource_version,
                        labelSelector=label_selector, fieldSelector=field_selector,
                        allowWatchBookmarks=allow_watch_bookmarks or None,
                        timeoutSeconds=timeout_seconds, sendInitialEvents=send_initial_events,
                        resourceVersionMatch=resource_version_match)
        read_timeout = (timeout_seconds or SERVER_WATCH_LIMIT) + WATCH_READ_SLACK
        return Watch(self, resource_path(resource, ns), params, read_timeout)
