"""The HTTP layer: aiohttp routes, authentication, content negotiation,
and the mapping from paths and methods to registry verbs.

Thin by design: it parses what a request asks for (resource, verb, query,
body), hands it to the registry, and writes the answer as JSON (or a Table
when the client asks for one, or a stream of watch events). Every error is
a Kubernetes Status with its HTTP code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
import yaml
from aiohttp import web

from kubelite.api.resource import Resource
from kubelite.apiserver import discovery, errors, openapi_v2_proto, protobuf, tables
from kubelite.apiserver.authn import Authenticator
from kubelite.apiserver.authz import Attributes, Authorizer
from kubelite.apiserver.metrics import Metrics
from kubelite.apiserver.openapi import OpenAPI
from kubelite.apiserver.registry import (
    INITIAL_EVENTS_END,
    PATCH_TYPES,
    Options,
    Registry,
    pending_deletion,
)
from kubelite.apiserver.routes import RequestInfo, parse_path
from kubelite.apiserver.subresources import SubresourceHandlers

Obj = dict[str, Any]

MAX_BODY = 3 * 1024 * 1024
PUBLIC_PATHS = {"/healthz", "/livez", "/readyz", "/version", "/version/"}
ACCEPTABLE = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
              "application/*", "*/*")
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-kubelite",
    "gitCommit": "kubelite",
    "gitTreeState": "clean",
    "buildDate": "2026-11-21T00:00:00Z",
    "goVersion": "python3",
    "compiler": "cpython",
    "platform": "linux/amd64",
}
BOOKMARK_INTERVAL = 30.0
# A watch without timeoutSeconds ends after this long (kube-apiserver picks
# 30 to 60 minutes); clients watch again from the last resourceVersion.
WATCH_TIMEOUT = 1800


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON body as kube-apiserver's encoder writes it: one line and a
    newline."""
    return web.Response(
        body=orjson.dumps(obj) + b"\n", status=status, content_type="application/json",
        headers=headers,
    )


def wants_table(request: web.Request) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _bool(value: str | None) -> bool:
    return value in ("true", "1", "True")


def options(request: web.Request, body: Obj | None = None) -> Options:
    q = request.query
    opts = Options(
        dry_run=bool(q.getall("dryRun", [])),
        field_validation=q.get("fieldValidation", "Warn"),
        label_selector=q.get("labelSelector", ""),
        field_selector=q.get("fieldSelector", ""),
        continue_token=q.get("continue") or None,
        resource_version=q.get("resourceVersion", ""),
        resource_version_match=q.get("resourceVersionMatch", ""),
        allow_bookmarks=_bool(q.get("allowWatchBookmarks")),
        send_initial_events=(None if q.get("sendInitialEvents") is None
                             else _bool(q.get("sendInitialEvents"))),
        propagation=q.get("propagationPolicy"),
    )
    if opts.field_validation not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f'fieldValidation "{opts.field_validation}" is invalid: valid values are '
            '"Ignore", "Warn" or "Strict"'
        )
    for name in ("limit", "timeoutSeconds", "gracePeriodSeconds"):
        raw = q.get(name)
        if raw is None:
            continue
        try:
            value = int(raw)
        except ValueError:
            raise errors.bad_request(f"invalid value for {name}: {raw!r}") from None
        if name == "limit":
            opts.limit = max(value, 0)
        elif name == "timeoutSeconds":
            opts.timeout_seconds = value
        else:
            opts.grace_period = value
    if q.get("orphanDependents") == "true":
        opts.propagation = "Orphan"
    if body:  # DeleteOptions
        if body.get("dryRun"):
            opts.dry_run = True
        if body.get("propagationPolicy"):
            opts.propagation = body["propagationPolicy"]
        if body.get("orphanDependents") is True:
            opts.propagation = "Orphan"
        if body.get("gracePeriodSeconds") is not None:
            opts.grace_period = int(body["gracePeriodSeconds"])
        opts.preconditions = body.get("preconditions") or {}
    if opts.propagation not in (None, "Orphan", "Background", "Foreground"):
        raise errors.bad_request(
            f'propagationPolicy "{opts.propagation}" is invalid: valid values are '
            '"Orphan", "Background" or "Foreground"'
        )
    return opts


async def read_body(request: web.Request, *, allow_patch: bool = False) -> tuple[Any, str]:
    """The decoded body and its media type."""
    # No Content-Type reads as JSON, as Kubernetes reads it.
    media = request.content_type if "Content-Type" in request.headers else "application/json"
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise errors.too_large(f"Request entity too large: limit is {MAX_BODY}") from None
    if len(raw) > MAX_BODY:
        raise errors.too_large(f"Request entity too large: limit is {MAX_BODY}")
    if media == protobuf.CONTENT_TYPE:
        try:
            return protobuf.decode(raw), "application/json"
        except ValueError as e:
            raise errors.bad_request(f"error decoding the protobuf body: {e}") from None
    if media in ("application/yaml", "application/apply-patch+yaml"):
        try:
            return yaml.safe_load(raw), media
        except yaml.YAMLError as e:
            raise errors.bad_request(f"error converting YAML to JSON: {e}") from None
    if media == "application/json" or (allow_patch and media in PATCH_TYPES):
        if not raw.strip():
            return None, media
        try:
            return orjson.loads(raw), media
        except orjson.JSONDecodeError as e:
            raise errors.bad_request(
                f"couldn't get version/kind; json parse error: {e}"
            ) from None
    raise errors.unsupported_media_type(media)


def deleted_status(res: Resource, obj: Obj) -> Obj:
    """What a delete answers once the object is gone, for most kinds."""
    details: Obj = {"name": obj["metadata"]["name"], "kind": res.plural,
                    "uid": obj["metadata"].get("uid")}
    if res.group:
        details["group"] = res.group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": details}


class API:
    """The routes of one API server."""

    def __init__(
        self,
        registry: Registry,
        resources: Callable[[], list[Resource]],
        authenticator: Authenticator,
        authorizer: Authorizer,
        server_address: str,
        metrics: Metrics,
    ) -> None:
        self.registry = registry
        self.resources = resources
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.server_address = server_address
        self.metrics = metrics
        self.subresources = SubresourceHandlers(registry)
        self._openapi: OpenAPI | None = None
        self._openapi_for: list[Resource] | None = None
        # Set when the server stops: open watches end.
        self.closing = asyncio.Event()
        self.ready = False  # until the cluster's bootstrap objects are in place

    # -------------------------------------------------------------- lookups

    def openapi(self) -> OpenAPI:
        current = self.resources()
        if self._openapi is None or self._openapi_for != current:
            self._openapi, self._openapi_for = OpenAPI(current), current
        return self._openapi

    def find(self, info: RequestInfo) -> Resource:
        for res in self.resources():
            if (res.group, res.version, res.plural) == (info.group, info.version, info.plural):
                return res
        raise errors.path_not_found()

    # -------------------------------------------------------------- app

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY + 1, middlewares=[self._errors, self._authenticate]
        )
        app.on_shutdown.append(self._stopping)
        app.router.add_get("/healthz", self._ok)
        app.router.add_get("/livez", self._ok)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/version", lambda r: _json(VERSION))
        app.router.add_get("/version/", lambda r: _json(VERSION))
        app.router.add_get("/metrics", self._metrics)
        for slash in ("", "/"):
            app.router.add_get("/api" + slash, self._api)
            app.router.add_get("/apis" + slash, self._apis)
        app.router.add_get("/openapi/v2", self._openapi_v2)
        app.router.add_get("/openapi/v3", self._openapi_v3_index)
        app.router.add_get("/openapi/v3/{path:.+}", self._openapi_v3)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler):
        started = time.monotonic()
        try:
            response = await handler(request)
        except errors.StatusError as e:
            response = _json(e.status, e.code)
        except web.HTTPException as e:
            response = _json(
                errors.StatusError(e.status, e.reason or "Error", e.text or e.reason).status,
                e.status,
            )
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug must still answer as the API does
            response = _json(errors.internal(repr(e)).status, 500)
        self.metrics.observe(request, response.status, time.monotonic() - started)
        return response

    @web.middleware
    async def _authenticate(self, request: web.Request, handler):
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        peer = None
        ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
        if ssl_object is not None:
            peer = ssl_object.getpeercert() or None
        user = self.authenticator.authenticate(request.headers, peer)
        if user is None:
            raise errors.unauthorized()
        request["user"] = user
        return await handler(request)

    def _authorize(self, request: web.Request, verb: str, info: RequestInfo | None) -> None:
        attrs = Attributes(
            user=request["user"],
            verb=verb,
            api_group=info.group if info else "",
            resource=info.plural if info else "",
            subresource=(info.subresource or "") if info else "",
            namespace=(info.namespace or "") if info else "",
            name=(info.name or "") if info else "",
            path=request.path,
        )
        allowed, reason = self.authorizer.authorize(attrs)
        if not allowed:
            raise errors.forbidden(reason or "forbidden")

    async def _stopping(self, app: web.Application) -> None:
        self.closing.set()

    async def _readyz(self, request: web.Request) -> web.Response:
        """Ready once the bootstrap objects are in place, as kube-apiserver's
        readyz waits for its post-start hooks."""
        if not self.ready:
            return web.Response(status=500, text="[-]poststarthook/bootstrap-controller "
                                "failed: not finished\nreadyz check failed\n")
        return web.Response(text="ok")

    async def _ok(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(text=self.metrics.render(), content_type="text/plain")

    # -------------------------------------------------------------- discovery

    async def _api(self, request: web.Request) -> web.Response:
        return self._aggregated(request, core=True) or _json(
            discovery.api_versions(self.server_address)
        )

    async def _apis(self, request: web.Request) -> web.Response:
        return self._aggregated(request, core=False) or _json(
            discovery.api_group_list(self.resources())
        )

    def _aggregated(self, request: web.Request, core: bool) -> web.Response | None:
        """The aggregated discovery document, when the client asks for it."""
        accept = request.headers.get("Accept", "")
        for version in ("v2", "v2beta1"):
            if f"g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList" in accept:
                doc = discovery.aggregated(
                    self.resources(), core, f"apidiscovery.k8s.io/{version}"
                )
                return web.Response(
                    body=orjson.dumps(doc),
                    headers={"Content-Type": "application/json;g=apidiscovery.k8s.io;"
                             f"v={version};as=APIGroupDiscoveryList"},
                )
        return None

    async def _openapi_v2(self, request: web.Request) -> web.Response:
        doc = self.openapi().v2_document()
        if openapi_v2_proto.ACCEPT_PREFIX in request.headers.get("Accept", ""):
            encoded = await asyncio.to_thread(openapi_v2_proto.encode_json, doc)
            return web.Response(body=encoded, content_type=openapi_v2_proto.CONTENT_TYPE)
        return web.Response(body=doc, content_type="application/json")

    async def _openapi_v3_index(self, request: web.Request) -> web.Response:
        return _json(self.openapi().v3_index())

    async def _openapi_v3(self, request: web.Request) -> web.Response:
        doc = self.openapi().v3_document(request.match_info["path"])
        if doc is None:
            raise errors.path_not_found()
        return web.Response(body=doc, content_type="application/json")

    def _discovery(self, path: str) -> Obj | None:
        parts = [p for p in path.split("/") if p]
        resources = self.resources()
        if len(parts) == 2 and parts[0] == "api":
            chosen = [r for r in resources if not r.group and r.version == parts[1]]
            return discovery.api_resource_list(parts[1], chosen) if chosen else None
        if len(parts) == 2 and parts[0] == "apis":
            versions = [r.version for r in resources if r.group == parts[1]]
            if not versions:
                return None
            group = discovery.api_group(parts[1], list(dict.fromkeys(versions)))
            return {"kind": "APIGroup", "apiVersion": "v1", **group}
        if len(parts) == 3 and parts[0] == "apis":
            chosen = [r for r in resources if (r.group, r.version) == (parts[1], parts[2])]
            if chosen:
                return discovery.api_resource_list(f"{parts[1]}/{parts[2]}", chosen)
        return None

    # -------------------------------------------------------------- resources

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        namespaced = {(r.group, r.version, r.plural) for r in self.resources() if r.namespaced}
        info = parse_path(request.path, namespaced)
        if info is None:
            doc = self._discovery(request.path) if request.method == "GET" else None
            if doc is None:
                raise errors.path_not_found()
            self._authorize(request, "get", None)
            return _json(doc)
        res = self.find(info)
        accept = request.headers.get("Accept", "")
        if accept and not any(t in accept for t in ACCEPTABLE):
            raise errors.not_acceptable(
                "only the following media types are accepted: application/json, "
                "application/yaml, application/vnd.kubernetes.protobuf"
            )
        if info.subresource:
            return await self._subresource(request, res, info)
        method = request.method
        ns, name = info.namespace, info.name
        if res.namespaced and ns is None and name is not None:
            raise errors.path_not_found()
        if method == "GET" and name is None:
            watching = _bool(request.query.get("watch"))
            self._authorize(request, "watch" if watching else "list", info)
            opts = options(request)
            if watching:
                return await self._watch(request, res, ns, opts)
            listed = await self.registry.list(res, ns, opts)
            if wants_table(request):
                return _json(tables.table(
                    res, listed["items"], include_object=request.query.get("includeObject",
                                                                            "Metadata"),
                    list_meta=listed["metadata"],
                ))
            return _json(listed)
        if method == "GET":
            self._authorize(request, "get", info)
            obj = await self.registry.get(res, ns, name)
            return self._object(request, res, obj)
        if method == "POST" and name is None:
            self._authorize(request, "create", info)
            body, _ = await read_body(request)
            opts = options(request)
            created = await self.registry.create(res, ns, body, opts)
            return self._object(request, res, created, 201, opts.warnings)
        if method == "PUT" and name is not None:
            self._authorize(request, "update", info)
            body, _ = await read_body(request)
            opts = options(request)
            updated = await self.registry.update(res, ns, name, body, opts)
            return self._object(request, res, updated, 200, opts.warnings)
        if method == "PATCH" and name is not None:
            self._authorize(request, "patch", info)
            body, media = await read_body(request, allow_patch=True)
            if media not in PATCH_TYPES:
                raise errors.unsupported_media_type(media)
            opts = options(request)
            patched = await self.registry.patch(res, ns, name, media, body, opts)
            return self._object(request, res, patched, 200, opts.warnings)
        if method == "DELETE":
            body, _ = await read_body(request)
            opts = options(request, body if isinstance(body, dict) else None)
            if name is None:
                self._authorize(request, "deletecollection", info)
                deleted = await self.registry.delete_collection(res, ns, opts)
                return _json(deleted)
            self._authorize(request, "delete", info)
            gone = await self.registry.delete(res, ns, name, opts)
            if pending_deletion(gone) or res.return_deleted_object:
                return self._object(request, res, gone)
            return _json(deleted_status(res, gone))
        raise errors.method_not_allowed(
            "the server does not allow this method on the requested resource"
        )

    def _object(
        self,
        request: web.Request,
        res: Resource,
        obj: Obj,
        status: int = 200,
        warnings: list[str] | None = None,
    ) -> web.Response:
        headers = None
        if warnings:
            headers = {"Warning": ", ".join(f'299 - "{w}"' for w in warnings[:50])}
        if wants_table(request) and obj.get("kind") == res.kind:
            return _json(tables.table(res, [obj]), status, headers)
        return _json(obj, status, headers)

    async def _subresource(
        self, request: web.Request, res: Resource, info: RequestInfo
    ) -> web.Response:
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create"}.get(
            request.method, request.method.lower()
        )
        self._authorize(request, verb, info)
        body, media = (None, "")
        if request.method in ("PUT", "PATCH", "POST"):
            body, media = await read_body(request, allow_patch=request.method == "PATCH")
        opts = options(request)
        result = await self.subresources.handle(
            res, info, request.method, body, media, opts
        )
        return _json(result, 201 if request.method == "POST" else 200)

    # -------------------------------------------------------------- watch

    async def _watch(
        self, request: web.Request, res: Resource, ns: str | None, opts: Options
    ) -> web.StreamResponse:
        """A watch stream. A bad request is an error response; once it is
        accepted the headers go out at once, and what fails later (a
        compacted resourceVersion, a lost store) travels as an ERROR event,
        as kube-apiserver sends it. The stream ends after timeoutSeconds,
        or when the server stops."""
        events = self.registry.watch(res, ns, opts)
        timeout = opts.timeout_seconds or WATCH_TIMEOUT
        deadline = time.monotonic() + timeout
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        self.metrics.watchers += 1
        as_table = wants_table(request)
        include = request.query.get("includeObject", "Metadata")
        sent_columns = False
        last_rv = opts.resource_version or "0"  # until the registry says where it starts

        async def send(event_type: str, obj: Obj) -> None:
            nonlocal sent_columns
            if as_table and event_type not in ("ERROR", "BOOKMARK"):
                obj = tables.table(res, [obj], include_object=include,
                                   with_columns=not sent_columns)
                sent_columns = True
            await response.write(orjson.dumps({"type": event_type, "object": obj}) + b"\n")

        def bookmark(meta: Obj) -> Obj:
            return {"kind": res.kind, "apiVersion": res.group_version, "metadata": meta}

        pending: asyncio.Future | None = None
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            while not self.closing.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if pending is None:
                    pending = asyncio.ensure_future(anext(events, None))
                idle = opts.allow_bookmarks and remaining > BOOKMARK_INTERVAL
                done, _ = await asyncio.wait({pending, closing},
                                             timeout=BOOKMARK_INTERVAL if idle else remaining,
                                             return_when=asyncio.FIRST_COMPLETED)
                if pending not in done:
                    if idle and not done:  # quiet for a whole interval
                        await send("BOOKMARK", bookmark({"resourceVersion": last_rv}))
                    continue
                try:
                    event = pending.result()
                except errors.StatusError as e:
                    await send("ERROR", e.status)
                    break
                pending = None
                if event is None:
                    break
                last_rv = str(event.revision)
                if event.type == "BOOKMARK":
                    if opts.allow_bookmarks and INITIAL_EVENTS_END in (
                            event.object["metadata"].get("annotations") or {}):
                        await send("BOOKMARK", bookmark(event.object["metadata"]))
                    continue
                await send(event.type, event.object)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.metrics.watchers -= 1
            for task in (pending, closing):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (pending, closing) if t is not None),
                                 return_exceptions=True)
            await events.aclose()
        return response
