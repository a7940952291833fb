"""Where the API server is and how to prove who we are: `ClientConfig`.

Three ways to get one, as client-go's clientcmd and rest packages have:

- `load_kubeconfig(path, context)`: a kubeconfig file (the one kubelite
  writes is <data-dir>/apiserver/admin.kubeconfig: the server URL, the CA
  and an admin client certificate, inline). Without a path, $KUBECONFIG (a
  list of files, merged: the first file to name a cluster, user, context
  or the current-context wins) or ~/.kube/config. The context is
  `current-context` unless one is named. Relative file paths in it are
  relative to the file that holds them.
- `in_cluster_config()`: a pod's service account (token, ca.crt and
  namespace under /var/run/secrets/kubernetes.io/serviceaccount, the
  server from KUBERNETES_SERVICE_HOST/PORT); the paths are parameters so
  tests can point them elsewhere.
- `config_from_flags(args)` after `add_client_flags(parser)`: the flags
  kube-scheduler has (--kubeconfig, --kube-api-qps, --kube-api-burst).
  Without --kubeconfig it tries in-cluster, then the default kubeconfig,
  as client-go's BuildConfigFromFlags does.

A token file is read again at most once a minute (service account tokens
rotate); the last good read wins over an inline token, as in client-go.
"""

from __future__ import annotations

import argparse
import base64
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from kubelite.client.ratelimit import DEFAULT_BURST, DEFAULT_QPS

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_REREAD_SECONDS = 60.0


class ConfigError(Exception):
    """The configuration is missing, malformed or inconsistent."""


@dataclass
class ClientConfig:
    """Everything the REST client needs. PEM data fields win over the
    matching file fields."""

    server: str
    ca_data: bytes | None = None
    ca_file: str | None = None
    cert_data: bytes | None = None
    cert_file: str | None = None
    key_data: bytes | None = None
    key_file: str | None = None
    token: str | None = None
    token_file: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    # The context's namespace (or the service account's): what a
    # component uses when it is told no other.
    namespace: str = "default"
    qps: float = DEFAULT_QPS
    burst: int = DEFAULT_BURST
    # Seconds allowed for one non-watch request.
    request_timeout: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    _token_cache: tuple[float, str] | None = field(default=None, repr=False, compare=False)

    def bearer_token(self) -> str | None:
        """The token to send: the token file's contents (re-read at most
        once a minute; the last good read is kept if a read fails), else
        the inline token."""
        if self.token_file:
            now = self.clock()
            cached = self._token_cache
            if cached is None or now - cached[0] >= TOKEN_REREAD_SECONDS:
                try:
                    with open(self.token_file, encoding="utf-8") as f:
                        self._token_cache = (now, f.read().strip())
                except OSError as e:
                    if cached is None and not self.token:
                        raise ConfigError(f"cannot read token file {self.token_file}: {e}") from e
            if self._token_cache is not None:
                return self._token_cache[1]
        return self.token or None

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for an https server (None for http)."""
        if not self.server.startswith("https://"):
            return None
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_data:
            ctx.load_verify_locations(cadata=self.ca_data.decode("ascii"))
        elif self.ca_file:
            ctx.load_verify_locations(cafile=self.ca_file)
        if self.cert_data or self.cert_file:
            self._load_client_cert(ctx)
        return ctx

    def _load_client_cert(self, ctx: ssl.SSLContext) -> None:
        if not (self.key_data or self.key_file):
            raise ConfigError("a client certificate needs a client key")
        if self.cert_file and self.key_file and not self.cert_data and not self.key_data:
            ctx.load_cert_chain(self.cert_file, self.key_file)
            return
        # The ssl module loads certificates from files only: write the PEM
        # data to a private directory for as long as loading takes.
        with tempfile.TemporaryDirectory(prefix="kubelite-client-") as tmp:
            cert_path = self.cert_file or ""
            key_path = self.key_file or ""
            if self.cert_data:
                cert_path = _write_private(os.path.join(tmp, "client.crt"), self.cert_data)
            if self.key_data:
                key_path = _write_private(os.path.join(tmp, "client.key"), self.key_data)
            ctx.load_cert_chain(cert_path, key_path)


def _write_private(path: str, data: bytes) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


# --- kubeconfig ---------------------------------------------------------------


def default_kubeconfig_paths(environ: Mapping[str, str] = os.environ) -> list[str]:
    """$KUBECONFIG's files, else ~/.kube/config."""
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    if listed:
        return listed
    return [os.path.join(os.path.expanduser("~"), ".kube", "config")]


def _read_kubeconfig(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigError(f"cannot read kubeconfig {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"kubeconfig {path} is not valid YAML: {e}") from e
    if not isinstance(doc, dict):
        raise ConfigError(f"kubeconfig {path} is not a mapping")
    return doc


def _named(doc: dict[str, Any], section: str, item: str, path: str,
           into: dict[str, tuple[dict[str, Any], str]]) -> None:
    """Add doc[section]'s entries to `into` (name -> (entry, file dir))
    unless an earlier file named them."""
    for entry in doc.get(section) or []:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ConfigError(f"kubeconfig {path}: every entry of {section} needs a name")
        body = entry.get(item) or {}
        if not isinstance(body, dict):
            raise ConfigError(f"kubeconfig {path}: {section} {entry['name']!r} is not a mapping")
        into.setdefault(entry["name"], (body, os.path.dirname(os.path.abspath(path))))


def load_kubeconfig(path: str | list[str] | None = None, context: str | None = None,
                    environ: Mapping[str, str] = os.environ) -> ClientConfig:
    """The ClientConfig of `context` (default: current-context) in the
    kubeconfig at `path` (a path, a list of paths merged first-wins, or
    None for $KUBECONFIG / ~/.kube/config)."""
    paths = default_kubeconfig_paths(environ) if path is None else (
        [path] if isinstance(path, str) else list(path))
    if path is None:
        # Missing files in $KUBECONFIG are skipped, as client-go does; an
        # explicit path must exist.
        paths = [p for p in paths if os.path.exists(p)]
        if not paths:
            raise ConfigError("no kubeconfig: set --kubeconfig or KUBECONFIG, "
                              "or create ~/.kube/config")
    clusters: dict[str, tuple[dict[str, Any], str]] = {}
    users: dict[str, tuple[dict[str, Any], str]] = {}
    contexts: dict[str, tuple[dict[str, Any], str]] = {}
    current = ""
    for p in paths:
        doc = _read_kubeconfig(p)
        _named(doc, "clusters", "cluster", p, clusters)
        _named(doc, "users", "user", p, users)
        _named(doc, "contexts", "context", p, contexts)
        current = current or str(doc.get("current-context") or "")
    name = context or current
    if not name:
        raise ConfigError("the kubeconfig has no current-context and no context was named")
    if name not in contexts:
        raise ConfigError(f'context "{name}" does not exist in the kubeconfig')
    ctx, _ = contexts[name]
    cluster_name, user_name = ctx.get("cluster") or "", ctx.get("user") or ""
    if cluster_name not in clusters:
        raise ConfigError(f'context "{name}": cluster "{cluster_name}" does not exist')
    cluster, cluster_dir = clusters[cluster_name]
    user, user_dir = users.get(user_name, ({}, ""))
    if user_name and user_name not in users:
        raise ConfigError(f'context "{name}": user "{user_name}" does not exist')
    server = str(cluster.get("server") or "")
    if not server:
        raise ConfigError(f'cluster "{cluster_name}" has no server')
    for unsupported in ("exec", "auth-provider"):
        if user.get(unsupported):
            raise ConfigError(f'user "{user_name}": {unsupported} credentials are not supported')
    return ClientConfig(
        server=server.rstrip("/"),
        ca_data=_data(cluster, "certificate-authority-data", cluster_name),
        ca_file=_file(cluster, "certificate-authority", cluster_dir),
        cert_data=_data(user, "client-certificate-data", user_name),
        cert_file=_file(user, "client-certificate", user_dir),
        key_data=_data(user, "client-key-data", user_name),
        key_file=_file(user, "client-key", user_dir),
        token=str(user["token"]) if user.get("token") else None,
        token_file=_file(user, "tokenFile", user_dir),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name") or None,
        namespace=str(ctx.get("namespace") or "default"),
    )


def _data(section: dict[str, Any], key: str, owner: str) -> bytes | None:
    value = section.get(key)
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError as e:
        raise ConfigError(f'"{owner}": {key} is not valid base64') from e


def _file(section: dict[str, Any], key: str, base_dir: str) -> str | None:
    value = section.get(key)
    if not value:
        return None
    path = os.path.expanduser(str(value))
    return path if os.path.isabs(path) else os.path.join(base_dir, path)


# --- in-cluster ---------------------------------------------------------------


def in_cluster_config(token_path: str = SERVICE_ACCOUNT_DIR + "/token",
                      ca_path: str = SERVICE_ACCOUNT_DIR + "/ca.crt",
                      namespace_path: str = SERVICE_ACCOUNT_DIR + "/namespace",
                      environ: Mapping[str, str] = os.environ) -> ClientConfig:
    """A pod's own service-account configuration."""
    host = environ.get("KUBERNETES_SERVICE_HOST", "")
    port = environ.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise ConfigError("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST "
                          "and KUBERNETES_SERVICE_PORT must be defined")
    if not os.path.exists(token_path):
        raise ConfigError(f"unable to load in-cluster configuration: no token at {token_path}")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    namespace = "default"
    try:
        with open(namespace_path, encoding="utf-8") as f:
            namespace = f.read().strip() or "default"
    except OSError:
        pass
    return ClientConfig(
        server=f"https://{host}:{port}",
        ca_file=ca_path if os.path.exists(ca_path) else None,
        token_file=token_path,
        namespace=namespace,
    )


# --- flags ----------------------------------------------------------------------


def add_client_flags(parser: argparse.ArgumentParser, qps: float = DEFAULT_QPS,
                     burst: int = DEFAULT_BURST) -> None:
    """--kubeconfig, --kube-api-qps and --kube-api-burst, with the
    component's own defaults (kube-scheduler's are 50 and 100,
    kube-controller-manager's 20 and 30; client-go's 5 and 10)."""
    group = parser.add_argument_group("API server connection")
    group.add_argument("--kubeconfig", default="",
                       help="path to a kubeconfig file with the API server's address and "
                            "credentials (default: in-cluster, then $KUBECONFIG or "
                            "~/.kube/config)")
    group.add_argument("--kube-api-qps", type=float, default=qps,
                       help=f"QPS to use while talking with the API server (default {qps:g}; "
                            "negative: no client-side limit)")
    group.add_argument("--kube-api-burst", type=int, default=burst,
                       help=f"burst to use while talking with the API server (default {burst})")


def config_from_flags(args: argparse.Namespace,
                      environ: Mapping[str, str] = os.environ) -> ClientConfig:
    """The ClientConfig the flags of `add_client_flags` describe."""
    if args.kubeconfig:
        config = load_kubeconfig(args.kubeconfig)
    elif environ.get("KUBERNETES_SERVICE_HOST") and environ.get("KUBERNETES_SERVICE_PORT") \
            and os.path.exists(SERVICE_ACCOUNT_DIR + "/token"):
        config = in_cluster_config(environ=environ)
    else:
        config = load_kubeconfig(environ=environ)
    config.qps = args.kube_api_qps
    config.burst = args.kube_api_burst
    return config
