"""Who is asking: authentication by bearer token and by client certificate.

Tokens come from a file in kube-apiserver's --token-auth-file format, one
user a line: ``token,user,uid,"group1,group2"`` (the groups column is
optional). A client certificate has already been verified by TLS (see
`certs.server_ssl_context`); its subject's CN is the user name and its O
entries are the groups. Every authenticated user is also in
"system:authenticated". A request that proves nothing, or proves it badly,
gets None and the HTTP layer decides (401, except for the health and
version endpoints).
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubelite.apiserver.certs import ADMIN_GROUP, write_atomic

AUTHENTICATED = "system:authenticated"
ADMIN_USER = "admin"


@dataclass(frozen=True)
class User:
    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()


def parse_token_file(text: str, source: str) -> dict[str, User]:
    """Token -> user from the text of a token file; `source` names the file
    in errors. Blank lines are skipped; a malformed line is a ValueError
    naming its line number."""
    tokens: dict[str, User] = {}
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            record = next(reader, None)
        except csv.Error as e:
            raise ValueError(f"{source}, line {reader.line_num}: {e}") from e
        if record is None:
            break
        where = f"{source}, line {reader.line_num}"
        if not record or all(not field.strip() for field in record):
            continue
        if len(record) < 3:
            raise ValueError(
                f"{where}: expected at least 3 columns (token, user name, user uid), "
                f"found {len(record)}"
            )
        token, name, uid = record[0], record[1], record[2]
        if not token or any(c.isspace() for c in token):
            raise ValueError(f"{where}: the token is empty or contains white space")
        if not name:
            raise ValueError(f"{where}: the user name is empty")
        if token in tokens:
            raise ValueError(f"{where}: this token is already given to another line")
        groups = tuple(g for g in record[3].split(",") if g) if len(record) > 3 else ()
        tokens[token] = User(name, uid, groups)
    return tokens


def load_token_file(path: str) -> dict[str, User]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return parse_token_file(f.read(), path)


def ensure_admin_token(data_dir: str) -> str:
    """The admin token from `<data_dir>/tokens.csv`, writing that file (mode
    0600) with a new random token for user "admin" in "system:masters" if
    it does not exist yet."""
    path = os.path.join(data_dir, "tokens.csv")
    if os.path.exists(path):
        for token, user in load_token_file(path).items():
            if user.name == ADMIN_USER:
                return token
        raise ValueError(f"{path} has no token for user {ADMIN_USER!r}")
    token = secrets.token_urlsafe(32)
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    line = f'{token},{ADMIN_USER},{uuid.uuid4()},"{ADMIN_GROUP}"\n'
    write_atomic(path, line.encode(), 0o600)
    return token


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None if
    there is no such header or it is malformed. Header names are matched
    without regard to case."""
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if value is None:
        return None
    parts = value.strip().split(" ")
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1]


def cert_user(peer_cert: Mapping[str, Any]) -> User | None:
    """The user a verified client certificate stands for, from the dict that
    `ssl.SSLSocket.getpeercert()` returns: the one CN is the name, each O a
    group. None for a certificate with no CN, or more than one."""
    names: list[str] = []
    groups: list[str] = []
    for rdn in peer_cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                names.append(value)
            elif key == "organizationName":
                groups.append(value)
    if len(names) != 1 or not names[0]:
        return None
    return User(names[0], "", tuple(groups))


class Authenticator:
    """Tries the client certificate first, then the bearer token, as
    kube-apiserver does; the first that proves a user wins."""

    def __init__(self, tokens: Mapping[str, User]) -> None:
        self._tokens = dict(tokens)

    def authenticate(
        self, headers: Mapping[str, str], peer_cert: Mapping[str, Any] | None
    ) -> User | None:
        user = cert_user(peer_cert) if peer_cert else None
        if user is None:
            token = bearer_token(headers)
            user = self._tokens.get(token) if token is not None else None
        if user is None:
            return None
        if AUTHENTICATED in user.groups:
            return user
        return User(user.name, user.uid, (*user.groups, AUTHENTICATED))
