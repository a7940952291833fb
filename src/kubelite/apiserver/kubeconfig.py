"""The kubeconfig the API server writes for its administrator: the server's
address, the CA to trust, and the admin client certificate, all inline, so
that kubectl and the client libraries work with nothing else.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import yaml

from kubelite.apiserver.certs import write_atomic


def _b64(pem: bytes) -> str:
    return base64.b64encode(pem).decode("ascii")


def admin_kubeconfig(
    server_url: str,
    ca_pem: bytes,
    client_cert_pem: bytes,
    client_key_pem: bytes,
    name: str = "kubelite",
) -> dict[str, Any]:
    """A kubeconfig with one cluster `name`, one user `<name>-admin` and one
    context `name` joining them, which is the current context."""
    user = f"{name}-admin"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {"server": server_url, "certificate-authority-data": _b64(ca_pem)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(client_cert_pem),
                    "client-key-data": _b64(client_key_pem),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(path: str, config: dict[str, Any]) -> None:
    """Write `config` as YAML to `path` in one step, mode 0600, creating the
    parent directory (mode 0700) if needed."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, mode=0o700, exist_ok=True)
    text = yaml.safe_dump(config, default_flow_style=False, sort_keys=False)
    write_atomic(path, text.encode("utf-8"), 0o600)
