"""The API server's certificates: a CA generated in the data dir, the serving
certificate and the admin client certificate it signs, and the TLS context
the server listens with.

`ensure_pki` creates `<data-dir>/pki/` on the first start and reuses it
afterwards. The CA is kept as it is (a damaged or expired CA stops start-up
with a clear error instead of silently invalidating every kubeconfig); the
serving and admin certificates are issued again whenever they are missing,
not signed by the CA, not matching their key, close to expiry, or, for the
serving certificate, not covering every requested host name and address.

The builders (`new_key`, `build_ca`, `build_leaf`) and the checks are pure:
they take keys, names and a time and return certificates. Only
`ensure_pki`, `issue_client_cert` and `write_atomic` touch files.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "kubelite-ca"
SERVER_NAME = "kube-apiserver"
ADMIN_NAME = "kubernetes-admin"
ADMIN_GROUP = "system:masters"
DEFAULT_DNS = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
DEFAULT_IPS = ("127.0.0.1",)

CA_LIFETIME = dt.timedelta(days=3650)
LEAF_LIFETIME = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)
BACKDATE = dt.timedelta(minutes=5)  # tolerate clients whose clock is a little behind

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey  # kubelite makes EC keys


class PkiError(Exception):
    """The CA in the data dir cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Pki:
    """Paths of the PEM files in `<data-dir>/pki/`."""

    dir: str
    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str
    admin_cert: str
    admin_key: str

    @classmethod
    def in_dir(cls, pki_dir: str) -> Pki:
        def p(name: str) -> str:
            return os.path.join(pki_dir, name)

        return cls(
            dir=pki_dir,
            ca_cert=p("ca.crt"),
            ca_key=p("ca.key"),
            server_cert=p("apiserver.crt"),
            server_key=p("apiserver.key"),
            admin_cert=p("admin.crt"),
            admin_key=p("admin.key"),
        )


@dataclass(frozen=True)
class SubjectAltNames:
    """DNS names (lower case) and IP addresses a serving certificate is for."""

    dns: frozenset[str]
    ips: frozenset[IpAddress]

    @classmethod
    def for_hosts(cls, hosts: list[str]) -> SubjectAltNames:
        """The default names and addresses plus `hosts`, each either an IP
        address or a DNS name."""
        dns = set(DEFAULT_DNS)
        ips = {ipaddress.ip_address(a) for a in DEFAULT_IPS}
        for host in hosts:
            h = host.strip()
            if not h:
                raise ValueError(f"empty host name in {hosts!r}")
            try:
                ips.add(ipaddress.ip_address(h))
            except ValueError:
                dns.add(h.lower())
        return cls(frozenset(dns), frozenset(ips))

    def of(self, cert: x509.Certificate) -> bool:
        """Whether `cert` names all of these."""
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            return False
        have_dns = {n.lower() for n in ext.get_values_for_type(x509.DNSName)}
        have_ips = set(ext.get_values_for_type(x509.IPAddress))
        return self.dns <= have_dns and self.ips <= have_ips

    def extension(self) -> x509.SubjectAlternativeName:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in sorted(self.dns)]
        names += [x509.IPAddress(a) for a in sorted(self.ips, key=lambda a: (a.version, a))]
        return x509.SubjectAlternativeName(names)


def new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def subject(common_name: str, groups: list[str] | tuple[str, ...] = ()) -> x509.Name:
    """A subject as Kubernetes reads it: CN is the user, each O a group."""
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def build_ca(key: PrivateKey, now: dt.datetime) -> x509.Certificate:
    name = subject(CA_NAME)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def build_leaf(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    key: PrivateKey,
    name: x509.Name,
    usage: x509.ObjectIdentifier,
    now: dt.datetime,
    sans: SubjectAltNames | None = None,
) -> x509.Certificate:
    """A certificate for `key` signed by the CA, for one extended key usage
    (serverAuth or clientAuth)."""
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + LEAF_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if sans is not None:
        builder = builder.add_extension(sans.extension(), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def leaf_is_current(
    cert: x509.Certificate,
    key: PrivateKey,
    ca_cert: x509.Certificate,
    name: x509.Name,
    now: dt.datetime,
    sans: SubjectAltNames | None = None,
) -> bool:
    """Whether a stored certificate can be kept: it is for `key` and `name`,
    signed by the CA, not about to expire, and covers `sans` if given."""
    if cert.public_key() != key.public_key() or cert.subject != name:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):  # wrong issuer, bad signature, key type
        return False
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return False
    return sans is None or sans.of(cert)


def ensure_pki(data_dir: str, hosts: list[str]) -> Pki:
    """Create the CA and certificates in `<data_dir>/pki/`, or reuse those
    there; issue the serving and admin certificates again when needed (see
    the module docstring). `hosts` are extra names and IP addresses the
    serving certificate must be valid for."""
    pki = Pki.in_dir(os.path.join(data_dir, "pki"))
    os.makedirs(pki.dir, mode=0o700, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_cert, ca_key = _ensure_ca(pki, now)
    _ensure_leaf(
        ca_cert,
        ca_key,
        pki.server_cert,
        pki.server_key,
        subject(SERVER_NAME),
        ExtendedKeyUsageOID.SERVER_AUTH,
        now,
        SubjectAltNames.for_hosts(hosts),
    )
    _ensure_leaf(
        ca_cert,
        ca_key,
        pki.admin_cert,
        pki.admin_key,
        subject(ADMIN_NAME, [ADMIN_GROUP]),
        ExtendedKeyUsageOID.CLIENT_AUTH,
        now,
    )
    return pki


def _ensure_ca(pki: Pki, now: dt.datetime) -> tuple[x509.Certificate, PrivateKey]:
    have_cert, have_key = os.path.exists(pki.ca_cert), os.path.exists(pki.ca_key)
    if not have_cert and not have_key:
        key = new_key()
        cert = build_ca(key, now)
        _write_pair(pki.ca_cert, cert, pki.ca_key, key)
        return cert, key
    if not (have_cert and have_key):
        missing = pki.ca_key if have_cert else pki.ca_cert
        raise PkiError(f"{missing} is missing; restore it, or remove {pki.dir} to start afresh")
    try:
        cert, key = _load_pair(pki.ca_cert, pki.ca_key)
    except (ValueError, TypeError) as e:
        raise PkiError(f"cannot read the CA in {pki.dir}: {e}") from e
    if cert.public_key() != key.public_key():
        raise PkiError(f"{pki.ca_cert} does not match {pki.ca_key}")
    if cert.not_valid_after_utc <= now:
        raise PkiError(f"the CA {pki.ca_cert} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return cert, key


def _ensure_leaf(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    cert_path: str,
    key_path: str,
    name: x509.Name,
    usage: x509.ObjectIdentifier,
    now: dt.datetime,
    sans: SubjectAltNames | None = None,
) -> None:
    try:
        cert, key = _load_pair(cert_path, key_path)
        if leaf_is_current(cert, key, ca_cert, name, now, sans):
            return
    except (OSError, ValueError, TypeError):
        pass  # missing or unreadable: issue a new one
    key = new_key()
    _write_pair(cert_path, build_leaf(ca_cert, ca_key, key, name, usage, now, sans), key_path, key)


def issue_client_cert(pki: Pki, common_name: str, groups: list[str]) -> tuple[bytes, bytes]:
    """A new client certificate signed by the CA for user `common_name` in
    `groups`, with its key: (certificate PEM, key PEM)."""
    if not common_name:
        raise ValueError("a client certificate needs a common name (the user name)")
    ca_cert, ca_key = _load_pair(pki.ca_cert, pki.ca_key)
    key = new_key()
    cert = build_leaf(
        ca_cert,
        ca_key,
        key,
        subject(common_name, groups),
        ExtendedKeyUsageOID.CLIENT_AUTH,
        dt.datetime.now(dt.UTC),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem(key)


def server_ssl_context(pki: Pki, client_ca_file: str | None) -> ssl.SSLContext:
    """The API server's TLS context. It asks every client for a certificate
    but does not require one, so token clients connect without; a client
    certificate that is presented must chain to the kubelite CA or to
    `client_ca_file` (--client-ca-file) and carry clientAuth, or the
    handshake fails. Only those CAs are trusted, never the system's."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(cafile=pki.ca_cert)
    if client_ca_file:
        ctx.load_verify_locations(cafile=client_ca_file)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_pair(cert_path: str, key_path: str) -> tuple[x509.Certificate, PrivateKey]:
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{key_path} is neither an EC nor an RSA private key")
    return cert, key


def _write_pair(cert_path: str, cert: x509.Certificate, key_path: str, key: PrivateKey) -> None:
    write_atomic(key_path, key_pem(key), 0o600)
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Replace `path` with `data` in one step, the file having `mode` from
    the start (a secret is never readable by others, even briefly)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
