"""The small HTTPS server every control-plane component other than the API
server keeps, as kube-scheduler (10259) and kube-controller-manager
(10257) do: /healthz, /livez and /readyz, and /metrics in Prometheus' text
format from the component's own registry.

Flags as upstream names them: `--secure-port` (0 serves nothing) and
`--bind-address`. Without `--tls-cert-file` the component makes itself a
certificate at start, as upstream does when it has no --cert-dir: a
self-signed CA in memory and a serving certificate for localhost and
127.0.0.1. Every path is served without authentication here; upstream
asks the API server to authorize /metrics (a later round's RBAC).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import ssl
import tempfile
from collections.abc import Callable

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)

from kubelite.apiserver.certs import (
    SubjectAltNames,
    build_ca,
    build_leaf,
    key_pem,
    new_key,
    subject,
)

# Upstream components export no *_created series.
disable_created_metrics()


def add_serving_flags(parser: argparse.ArgumentParser, default_port: int) -> None:
    group = parser.add_argument_group("serving")
    group.add_argument("--secure-port", type=int, default=default_port,
                       help=f"the HTTPS port of /healthz and /metrics (default {default_port}; "
                            "0 serves nothing)")
    group.add_argument("--bind-address", default="0.0.0.0",
                       help="the address to listen on (default 0.0.0.0)")
    group.add_argument("--tls-cert-file", default="",
                       help="the serving certificate (PEM); default: a self-signed one")
    group.add_argument("--tls-private-key-file", default="",
                       help="the key of --tls-cert-file (PEM)")


def self_signed_context(common_name: str) -> ssl.SSLContext:
    """A TLS server context with a fresh self-signed certificate."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = new_key(), new_key()
    ca = build_ca(ca_key, now)
    cert = build_leaf(ca, ca_key, key, subject(common_name), ExtendedKeyUsageOID.SERVER_AUTH,
                      now, SubjectAltNames.for_hosts([]))
    chain = cert.public_bytes(serialization.Encoding.PEM) + \
        ca.public_bytes(serialization.Encoding.PEM)
    # ssl loads certificates from files only: a private file, gone at once.
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
        with open(cert_path, "wb") as f:
            f.write(chain)
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(key_pem(key))
        return _context(cert_path, key_path)


def _context(cert_file: str, key_file: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


class HealthServer:
    """/healthz, /livez, /readyz (ok while `healthy()`), /metrics."""

    def __init__(self, component: str, registry: CollectorRegistry,
                 healthy: Callable[[], bool] = lambda: True) -> None:
        self.component = component
        self.registry = registry
        self.healthy = healthy
        self.port = 0
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        for path in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(path, self._health)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        if self.healthy():
            return web.Response(text="ok")
        return web.Response(status=500, text=f"[-]{self.component} failed\n"
                            f"{request.path.lstrip('/')} check failed\n")

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self, args: argparse.Namespace) -> None:
        """Listen as the serving flags say (nothing with --secure-port 0)."""
        if not args.secure_port:
            return
        if args.tls_cert_file:
            ctx = _context(args.tls_cert_file, args.tls_private_key_file or args.tls_cert_file)
        else:
            ctx = self_signed_context(f"{self.component}@{int(dt.datetime.now().timestamp())}")
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, args.bind_address, args.secure_port, ssl_context=ctx)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
