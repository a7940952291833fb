"""Member and cluster IDs, derived the way etcd derives them.

etcd names a member by the first 8 bytes (big-endian) of the SHA-1 of its
sorted peer URLs joined together followed by the cluster token, and the
cluster by the SHA-1 of its sorted member IDs. Deriving them the same way
means `kubelite store` started with etcd's flags reports the same IDs etcd
would, so tools and tests can compare the two directly.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass


def _id_of(data: bytes) -> int:
    return struct.unpack(">Q", hashlib.sha1(data).digest()[:8])[0]


def member_id(peer_urls: list[str], cluster_token: str) -> int:
    return _id_of("".join(sorted(peer_urls)).encode() + cluster_token.encode())


def cluster_id(member_ids: list[int]) -> int:
    return _id_of(b"".join(struct.pack(">Q", m) for m in sorted(member_ids)))


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...] = ()


def parse_initial_cluster(spec: str, cluster_token: str) -> list[Member]:
    """Members from etcd's --initial-cluster "name=url,name=url" form."""
    urls: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, url = part.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"--initial-cluster: bad entry {part!r}, want name=peer-url")
        urls.setdefault(name, []).append(url)
    return [
        Member(member_id(u, cluster_token), name, tuple(sorted(u))) for name, u in urls.items()
    ]
