"""Unit tests for the API server's PKI, authentication, authorizer seam and
admin kubeconfig, including TLS handshakes on 127.0.0.1 with the generated
certificates."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import ssl
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubelite.apiserver import certs
from kubelite.apiserver.authn import (
    AUTHENTICATED,
    Authenticator,
    User,
    ensure_admin_token,
    load_token_file,
    parse_token_file,
)
from kubelite.apiserver.authz import AllowAll, Attributes
from kubelite.apiserver.kubeconfig import admin_kubeconfig, write_kubeconfig


def load(path: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def load_key(path: str) -> certs.PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    assert isinstance(key, certs.PrivateKey)
    return key


def store(cert_path: str, cert: x509.Certificate, key_path: str, key: certs.PrivateKey) -> None:
    certs.write_atomic(key_path, certs.key_pem(key), 0o600)
    Path(cert_path).write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def snapshot(pki: certs.Pki) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(pki.dir).iterdir()}


def names(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]


def sans(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(ext.get_values_for_type(x509.DNSName)), {
        str(a) for a in ext.get_values_for_type(x509.IPAddress)
    }


def eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> certs.Pki:
    return certs.ensure_pki(str(tmp_path_factory.mktemp("data")), ["10.96.0.1", "node-1"])


# --- PKI -------------------------------------------------------------------


def test_ca_is_a_ten_year_signing_ca(pki: certs.Pki) -> None:
    ca = load(pki.ca_cert)
    assert names(ca, NameOID.COMMON_NAME) == ["kubelite-ca"]
    assert ca.issuer == ca.subject
    ca.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert ca.not_valid_after_utc - ca.not_valid_before_utc >= dt.timedelta(days=3650)


def test_certificates_chain_to_the_ca(pki: certs.Pki) -> None:
    ca = load(pki.ca_cert)
    for path in (pki.server_cert, pki.admin_cert):
        cert = load(path)
        cert.verify_directly_issued_by(ca)
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_serving_certificate_names_and_usage(pki: certs.Pki) -> None:
    server = load(pki.server_cert)
    dns, ips = sans(server)
    assert dns >= {
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "node-1",
    }
    assert ips >= {"127.0.0.1", "10.96.0.1"}
    assert eku(server) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_admin_certificate_subject_and_usage(pki: certs.Pki) -> None:
    admin = load(pki.admin_cert)
    assert names(admin, NameOID.COMMON_NAME) == ["kubernetes-admin"]
    assert names(admin, NameOID.ORGANIZATION_NAME) == ["system:masters"]
    assert eku(admin) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_key_files_are_private(pki: certs.Pki) -> None:
    assert mode(pki.dir) == 0o700
    for key in (pki.ca_key, pki.server_key, pki.admin_key):
        assert mode(key) == 0o600
    assert mode(pki.ca_cert) == 0o644


def test_second_start_reuses_everything(tmp_path: Path) -> None:
    first = certs.ensure_pki(str(tmp_path), ["192.0.2.7", "Node-1"])
    before = snapshot(first)
    second = certs.ensure_pki(str(tmp_path), ["node-1", "192.0.2.7"])
    assert second == first
    assert snapshot(second) == before
    certs.ensure_pki(str(tmp_path), [])  # fewer hosts are still covered
    assert snapshot(second) == before


def test_new_host_reissues_only_the_serving_certificate(tmp_path: Path) -> None:
    pki = certs.ensure_pki(str(tmp_path), ["node-1"])
    before = snapshot(pki)
    certs.ensure_pki(str(tmp_path), ["node-1", "::1", "api.example"])
    after = snapshot(pki)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"apiserver.crt", "apiserver.key"}
    dns, ips = sans(load(pki.server_cert))
    assert {"node-1", "api.example"} <= dns
    assert {"127.0.0.1", "::1"} <= ips
    load(pki.server_cert).verify_directly_issued_by(load(pki.ca_cert))


def test_expiring_or_foreign_leaf_is_reissued(tmp_path: Path) -> None:
    pki = certs.ensure_pki(str(tmp_path), [])
    ca = load(pki.ca_cert)
    ca_key = load_key(pki.ca_key)
    # An admin certificate issued 360 days ago has five days left: renew it.
    key = certs.new_key()
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=360)
    old = certs.build_leaf(
        ca,
        ca_key,
        key,
        certs.subject("kubernetes-admin", ["system:masters"]),
        ExtendedKeyUsageOID.CLIENT_AUTH,
        long_ago,
    )
    store(pki.admin_cert, old, pki.admin_key, key)
    # A serving certificate from another CA: replace it.
    other_key = certs.new_key()
    other_ca = certs.build_ca(other_key, dt.datetime.now(dt.UTC))
    key = certs.new_key()
    foreign = certs.build_leaf(
        other_ca,
        other_key,
        key,
        certs.subject("kube-apiserver"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        dt.datetime.now(dt.UTC),
        certs.SubjectAltNames.for_hosts([]),
    )
    store(pki.server_cert, foreign, pki.server_key, key)

    certs.ensure_pki(str(tmp_path), [])
    admin, server = load(pki.admin_cert), load(pki.server_cert)
    assert admin.serial_number != old.serial_number
    assert admin.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    assert server.serial_number != foreign.serial_number
    server.verify_directly_issued_by(ca)


def test_leaf_with_missing_key_is_reissued(tmp_path: Path) -> None:
    pki = certs.ensure_pki(str(tmp_path), [])
    os.unlink(pki.server_key)
    certs.ensure_pki(str(tmp_path), [])
    assert os.path.exists(pki.server_key)
    assert certs.leaf_is_current(
        load(pki.server_cert),
        load_key(pki.server_key),
        load(pki.ca_cert),
        certs.subject("kube-apiserver"),
        dt.datetime.now(dt.UTC),
        certs.SubjectAltNames.for_hosts([]),
    )


def test_broken_ca_stops_startup(tmp_path: Path) -> None:
    pki = certs.ensure_pki(str(tmp_path), [])
    os.unlink(pki.ca_key)
    with pytest.raises(certs.PkiError, match="ca.key is missing"):
        certs.ensure_pki(str(tmp_path), [])
    certs.write_atomic(pki.ca_key, certs.key_pem(certs.new_key()), 0o600)
    with pytest.raises(certs.PkiError, match="does not match"):
        certs.ensure_pki(str(tmp_path), [])
    Path(pki.ca_cert).write_text("not a certificate")
    with pytest.raises(certs.PkiError, match="cannot read the CA"):
        certs.ensure_pki(str(tmp_path), [])


def test_empty_host_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty host"):
        certs.ensure_pki(str(tmp_path), ["node-1", " "])


def test_issue_client_cert(pki: certs.Pki) -> None:
    cert_pem, key_pem = certs.issue_client_cert(pki, "system:node:n1", ["system:nodes"])
    cert = x509.load_pem_x509_certificate(cert_pem)
    cert.verify_directly_issued_by(load(pki.ca_cert))
    assert names(cert, NameOID.COMMON_NAME) == ["system:node:n1"]
    assert names(cert, NameOID.ORGANIZATION_NAME) == ["system:nodes"]
    assert eku(cert) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert b"PRIVATE KEY" in key_pem
    with pytest.raises(ValueError, match="common name"):
        certs.issue_client_cert(pki, "", [])


def test_server_context_trusts_only_the_given_cas(pki: certs.Pki, tmp_path: Path) -> None:
    ctx = certs.server_ssl_context(pki, None)
    assert ctx.verify_mode == ssl.CERT_OPTIONAL
    subjects = [c["subject"] for c in ctx.get_ca_certs()]
    assert subjects == [((("commonName", "kubelite-ca"),),)]
    ctx = certs.server_ssl_context(pki, _other_pki(tmp_path).ca_cert)
    assert len(ctx.get_ca_certs()) == 2


# --- TLS on 127.0.0.1 ------------------------------------------------------


def _other_pki(tmp_path: Path) -> certs.Pki:
    """A second, unrelated PKI, as an external --client-ca-file would be."""
    return certs.ensure_pki(str(tmp_path / "other"), [])


def _client_context(
    pki: certs.Pki, cert: str | None = None, key: str | None = None
) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=pki.ca_cert)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


async def _exchange(
    server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, server_hostname: str = "localhost"
) -> tuple[bytes | None, list[Any]]:
    """Connects once; returns what the client read (None if the connection
    failed) and the peer certificates the server saw."""
    seen: list[Any] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("peercert"))
        writer.write(b"hello")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname=server_hostname
        )
        try:
            got: bytes | None = await asyncio.wait_for(reader.read(), 5)
        except (ssl.SSLError, ConnectionError):
            got = None
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    return got, seen


async def test_tls_with_admin_client_certificate(pki: certs.Pki) -> None:
    server_ctx = certs.server_ssl_context(pki, None)
    client_ctx = _client_context(pki, pki.admin_cert, pki.admin_key)
    got, seen = await _exchange(server_ctx, client_ctx, server_hostname="127.0.0.1")
    assert got == b"hello"
    [peer] = seen
    assert (("commonName", "kubernetes-admin"),) in peer["subject"]
    assert (("organizationName", "system:masters"),) in peer["subject"]
    user = Authenticator({}).authenticate({}, peer)
    assert user == User("kubernetes-admin", "", ("system:masters", AUTHENTICATED))


async def test_tls_without_client_certificate(pki: certs.Pki) -> None:
    got, seen = await _exchange(certs.server_ssl_context(pki, None), _client_context(pki))
    assert got == b"hello"
    assert seen == [None]
    assert Authenticator({}).authenticate({}, seen[0]) is None


async def test_tls_refuses_certificates_not_for_client_auth(pki: certs.Pki) -> None:
    # The serving certificate is signed by the CA but is for serverAuth only.
    client_ctx = _client_context(pki, pki.server_cert, pki.server_key)
    got, seen = await _exchange(certs.server_ssl_context(pki, None), client_ctx)
    assert got is None or got == b""
    assert seen == []


async def test_tls_client_ca_file(pki: certs.Pki, tmp_path: Path) -> None:
    other = _other_pki(tmp_path)
    client_ctx = _client_context(pki, other.admin_cert, other.admin_key)
    got, seen = await _exchange(certs.server_ssl_context(pki, None), client_ctx)
    assert got in (None, b"")  # a certificate from an unknown CA is refused
    assert seen == []
    got, seen = await _exchange(certs.server_ssl_context(pki, other.ca_cert), client_ctx)
    assert got == b"hello"
    assert (("commonName", "kubernetes-admin"),) in seen[0]["subject"]


# --- tokens and the authenticator -----------------------------------------

TOKENS = """\
abc123,alice,u-1,"devs,ops"

def456,bob,u-2
ghi789,carol,u-3,system:masters,extra-ignored
"""


def test_token_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text(TOKENS)
    assert load_token_file(str(path)) == {
        "abc123": User("alice", "u-1", ("devs", "ops")),
        "def456": User("bob", "u-2", ()),
        "ghi789": User("carol", "u-3", ("system:masters",)),
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("ok,alice,1\n\nbad,bob\n", "line 3: expected at least 3 columns"),
        (",alice,1\n", "line 1: the token is empty"),
        ("a b,alice,1\n", "line 1: the token is empty or contains white space"),
        ("tok,,1\n", "line 1: the user name is empty"),
        ("tok,alice,1\ntok,bob,2\n", "line 2: this token is already given"),
        ('tok,alice,1,"unclosed', "line 1: unexpected end of data"),
        ('tok,alice,1,"a"b\n', "line 1: ',' expected after"),
    ],
)
def test_token_file_errors(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error) as info:
        parse_token_file(text, "tokens.csv")
    assert "tokens.csv" in str(info.value)


def test_admin_token_is_generated_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = ensure_admin_token(str(data))
    path = data / "tokens.csv"
    assert mode(str(path)) == 0o600
    assert len(token) >= 32
    user = load_token_file(str(path))[token]
    assert (user.name, user.groups) == ("admin", ("system:masters",))
    assert ensure_admin_token(str(data)) == token
    assert ensure_admin_token(str(tmp_path / "elsewhere")) != token


def test_admin_token_file_without_admin(tmp_path: Path) -> None:
    (tmp_path / "tokens.csv").write_text("tok,alice,1\n")
    with pytest.raises(ValueError, match="no token for user 'admin'"):
        ensure_admin_token(str(tmp_path))


AUTHN = Authenticator({"s3cret": User("alice", "u-1", ("devs",))})
ALICE = User("alice", "u-1", ("devs", AUTHENTICATED))
ADMIN_CERT = {
    "subject": (
        (("organizationName", "system:masters"),),
        (("organizationName", "ops"),),
        (("commonName", "root"),),
    ),
    "issuer": ((("commonName", "kubelite-ca"),),),
}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer s3cret"},
        {"authorization": "bearer s3cret"},
        {"AUTHORIZATION": "  Bearer s3cret "},
    ],
)
def test_bearer_token(headers: dict[str, str]) -> None:
    assert AUTHN.authenticate(headers, None) == ALICE


@pytest.mark.parametrize(
    "value",
    ["Bearer wrong", "Bearer", "Bearer ", "Bearer s3cret extra", "Basic s3cret", "s3cret", ""],
)
def test_bad_bearer_token(value: str) -> None:
    assert AUTHN.authenticate({"Authorization": value}, None) is None


def test_anonymous() -> None:
    assert AUTHN.authenticate({"Accept": "application/json"}, None) is None


def test_client_certificate_user() -> None:
    user = AUTHN.authenticate({}, ADMIN_CERT)
    assert user == User("root", "", ("system:masters", "ops", AUTHENTICATED))
    # The certificate proves the user; a token alongside does not change that.
    assert AUTHN.authenticate({"Authorization": "Bearer s3cret"}, ADMIN_CERT) == user


def test_certificate_without_one_common_name_falls_back_to_token() -> None:
    no_cn = {"subject": ((("organizationName", "system:masters"),),)}
    two_cn = {"subject": ((("commonName", "a"),), (("commonName", "b"),))}
    for cert in (no_cn, two_cn, {}):
        assert AUTHN.authenticate({}, cert) is None
        assert AUTHN.authenticate({"Authorization": "Bearer s3cret"}, cert) == ALICE


def test_authenticated_group_is_not_repeated() -> None:
    authn = Authenticator({"t": User("bob", "", (AUTHENTICATED,))})
    assert authn.authenticate({"Authorization": "Bearer t"}, None) == User(
        "bob", "", (AUTHENTICATED,)
    )


def test_allow_all() -> None:
    attrs = Attributes(ALICE, "delete", "apps", "deployments", "", "default", "web")
    assert AllowAll().authorize(attrs) == (True, "")


# --- kubeconfig ------------------------------------------------------------


def test_kubeconfig_round_trip(pki: certs.Pki, tmp_path: Path) -> None:
    ca = Path(pki.ca_cert).read_bytes()
    cert, key = Path(pki.admin_cert).read_bytes(), Path(pki.admin_key).read_bytes()
    config = admin_kubeconfig("https://127.0.0.1:6443", ca, cert, key)
    path = tmp_path / "new" / "dir" / "admin.kubeconfig"
    write_kubeconfig(str(path), config)
    assert mode(str(path)) == 0o600
    assert mode(str(path.parent)) == 0o700
    loaded = yaml.safe_load(path.read_text())
    assert loaded == config
    assert loaded["current-context"] == "kubelite"
    [context] = loaded["contexts"]
    assert context == {
        "name": "kubelite",
        "context": {"cluster": "kubelite", "user": "kubelite-admin"},
    }
    write_kubeconfig(str(path), admin_kubeconfig("https://[::1]:6443", ca, cert, key, name="x"))
    assert yaml.safe_load(path.read_text())["current-context"] == "x"
    assert mode(str(path)) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["admin.kubeconfig"]


def test_kubeconfig_loads_in_the_kubernetes_client(pki: certs.Pki, tmp_path: Path) -> None:
    kube_config = pytest.importorskip("kubernetes.config")
    client = pytest.importorskip("kubernetes.client")
    ca = Path(pki.ca_cert).read_bytes()
    cert, key = Path(pki.admin_cert).read_bytes(), Path(pki.admin_key).read_bytes()
    path = tmp_path / "admin.kubeconfig"
    write_kubeconfig(str(path), admin_kubeconfig("https://127.0.0.1:6443", ca, cert, key))
    configuration = client.Configuration()
    kube_config.load_kube_config(config_file=str(path), client_configuration=configuration)
    assert configuration.host == "https://127.0.0.1:6443"
    assert Path(configuration.ssl_ca_cert).read_bytes() == ca
    assert Path(configuration.cert_file).read_bytes() == cert
    assert Path(configuration.key_file).read_bytes() == key
