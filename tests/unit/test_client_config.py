"""Unit tests for kubelite.client.config: kubeconfig parsing (data and file
fields, contexts, merging, relative paths), the in-cluster form, token
files and the command-line flags."""

from __future__ import annotations

import argparse
import base64
import ssl
from pathlib import Path

import pytest
import yaml

from kubelite.apiserver import certs
from kubelite.apiserver.kubeconfig import admin_kubeconfig, write_kubeconfig
from kubelite.client.config import (
    ClientConfig,
    ConfigError,
    add_client_flags,
    config_from_flags,
    in_cluster_config,
    load_kubeconfig,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write(path: Path, doc: dict) -> str:
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def two_context_config() -> dict:
    return {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [
            {"name": "a", "cluster": {"server": "https://10.0.0.1:6443/",
                                      "certificate-authority-data": b64(b"CA-A")}},
            {"name": "b", "cluster": {"server": "https://10.0.0.2:6443",
                                      "certificate-authority": "pki/ca.crt",
                                      "tls-server-name": "kubernetes"}},
        ],
        "users": [
            {"name": "ua", "user": {"token": "tok-a"}},
            {"name": "ub", "user": {"client-certificate": "pki/u.crt",
                                    "client-key": "/abs/u.key", "tokenFile": "tok"}},
        ],
        "contexts": [
            {"name": "ctx-a", "context": {"cluster": "a", "user": "ua", "namespace": "team"}},
            {"name": "ctx-b", "context": {"cluster": "b", "user": "ub"}},
        ],
        "current-context": "ctx-a",
    }


def test_current_context_and_data_fields(tmp_path: Path) -> None:
    config = load_kubeconfig(write(tmp_path / "kc", two_context_config()))
    assert config.server == "https://10.0.0.1:6443"  # the trailing slash dropped
    assert config.ca_data == b"CA-A" and config.ca_file is None
    assert config.token == "tok-a" and config.bearer_token() == "tok-a"
    assert config.namespace == "team"


def test_named_context_and_paths_relative_to_the_file(tmp_path: Path) -> None:
    config = load_kubeconfig(write(tmp_path / "kc", two_context_config()), context="ctx-b")
    assert config.server == "https://10.0.0.2:6443"
    assert config.ca_file == str(tmp_path / "pki" / "ca.crt")
    assert config.cert_file == str(tmp_path / "pki" / "u.crt")
    assert config.key_file == "/abs/u.key"
    assert config.token_file == str(tmp_path / "tok")
    assert config.tls_server_name == "kubernetes"
    assert config.namespace == "default"


def test_kubelite_admin_kubeconfig_gives_a_working_tls_context(tmp_path: Path) -> None:
    pki = certs.ensure_pki(str(tmp_path), [])
    cert_pem, key_pem = Path(pki.admin_cert).read_bytes(), Path(pki.admin_key).read_bytes()
    doc = admin_kubeconfig("https://127.0.0.1:6443", Path(pki.ca_cert).read_bytes(),
                           cert_pem, key_pem)
    path = str(tmp_path / "admin.kubeconfig")
    write_kubeconfig(path, doc)
    config = load_kubeconfig(path)
    assert config.cert_data == cert_pem and config.key_data == key_pem
    ctx = config.ssl_context()
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.get_ca_certs()  # the CA from the data field is trusted


def test_insecure_skip_tls_verify(tmp_path: Path) -> None:
    doc = two_context_config()
    doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    ctx = load_kubeconfig(write(tmp_path / "kc", doc)).ssl_context()
    assert ctx is not None and ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname


def test_http_server_has_no_tls_context() -> None:
    assert ClientConfig(server="http://127.0.0.1:8080").ssl_context() is None


def test_certificate_without_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="client key"):
        ClientConfig(server="https://x", cert_data=b"x").ssl_context()


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("current-context"), "no current-context"),
    (lambda d: d.update({"current-context": "nope"}), 'context "nope" does not exist'),
    (lambda d: d["contexts"][0]["context"].update(cluster="zz"), 'cluster "zz" does not exist'),
    (lambda d: d["contexts"][0]["context"].update(user="zz"), 'user "zz" does not exist'),
    (lambda d: d["clusters"][0]["cluster"].pop("server"), "has no server"),
    (lambda d: d["clusters"][0]["cluster"].update({"certificate-authority-data": "%%"}),
     "not valid base64"),
    (lambda d: d["users"][0]["user"].update(exec={"command": "x"}), "exec credentials"),
])
def test_bad_kubeconfigs_say_why(tmp_path: Path, change, message: str) -> None:
    doc = two_context_config()
    change(doc)
    with pytest.raises(ConfigError, match=message):
        load_kubeconfig(write(tmp_path / "kc", doc))


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_kubeconfig(str(tmp_path / "missing"))
    (tmp_path / "bad").write_text("clusters: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_kubeconfig(str(tmp_path / "bad"))


def test_kubeconfig_env_merges_first_wins(tmp_path: Path) -> None:
    first = {"clusters": [{"name": "a", "cluster": {"server": "https://first"}}],
             "users": [{"name": "ua", "user": {"token": "first"}}],
             "contexts": [{"name": "c", "context": {"cluster": "a", "user": "ua"}}]}
    second = two_context_config()  # also defines a, ua; and the current-context
    second["contexts"].append({"name": "c", "context": {"cluster": "b", "user": "ub"}})
    second["current-context"] = "c"
    env = {"KUBECONFIG": f"{write(tmp_path / 'one', first)}:{tmp_path / 'absent'}:"
                         f"{write(tmp_path / 'two', second)}"}
    config = load_kubeconfig(environ=env)
    assert config.server == "https://first" and config.token == "first"


def test_no_kubeconfig_anywhere(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no kubeconfig"):
        load_kubeconfig(environ={"KUBECONFIG": str(tmp_path / "absent")})


def test_token_file_wins_and_is_reread_each_minute(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("one\n")
    now = [100.0]
    config = ClientConfig(server="https://x", token="inline", token_file=str(token),
                          clock=lambda: now[0])
    assert config.bearer_token() == "one"
    token.write_text("two")
    now[0] += 59
    assert config.bearer_token() == "one"  # cached
    now[0] += 1
    assert config.bearer_token() == "two"
    token.unlink()
    now[0] += 60
    assert config.bearer_token() == "two"  # the last good read is kept


def test_missing_token_file_without_fallback_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read token file"):
        ClientConfig(server="https://x", token_file=str(tmp_path / "none")).bearer_token()


def service_account(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_text("ca")
    (tmp_path / "namespace").write_text("kube-system\n")
    return {"token_path": str(tmp_path / "token"), "ca_path": str(tmp_path / "ca.crt"),
            "namespace_path": str(tmp_path / "namespace")}


def test_in_cluster(tmp_path: Path) -> None:
    paths = service_account(tmp_path)
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    config = in_cluster_config(**paths, environ=env)
    assert config.server == "https://10.96.0.1:443"
    assert config.bearer_token() == "sa-token"
    assert config.ca_file == paths["ca_path"] and config.namespace == "kube-system"
    v6 = in_cluster_config(**paths, environ={**env, "KUBERNETES_SERVICE_HOST": "fd00::1"})
    assert v6.server == "https://[fd00::1]:443"


def test_in_cluster_needs_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_config(**service_account(tmp_path), environ={})


def test_flags(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_client_flags(parser, qps=50, burst=100)
    path = write(tmp_path / "kc", two_context_config())
    args = parser.parse_args(["--kubeconfig", path, "--kube-api-qps", "7.5"])
    config = config_from_flags(args, environ={})
    assert config.server == "https://10.0.0.1:6443"
    assert (config.qps, config.burst) == (7.5, 100)
    defaults = parser.parse_args([])
    assert (defaults.kubeconfig, defaults.kube_api_qps, defaults.kube_api_burst) == ("", 50, 100)
    env = {"KUBECONFIG": path}
    assert config_from_flags(defaults, environ=env).qps == 50
