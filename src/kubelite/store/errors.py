"""The errors the store returns, with etcd 3.4's gRPC status codes and messages.

Code anywhere in the store raises ``EtcdError``; the gRPC layer turns it into
the status etcd would send, so clients see exactly etcd's codes and texts.
"""

from __future__ import annotations

import grpc


class EtcdError(Exception):
    """A request failed the way etcd reports it: a gRPC code and a message."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, EtcdError)
            and other.code == self.code
            and other.message == self.message
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message))


_IA = grpc.StatusCode.INVALID_ARGUMENT

EMPTY_KEY = EtcdError(_IA, "etcdserver: key is not provided")
KEY_NOT_FOUND = EtcdError(_IA, "etcdserver: key not found")
VALUE_PROVIDED = EtcdError(_IA, "etcdserver: value is provided")
LEASE_PROVIDED = EtcdError(_IA, "etcdserver: lease is provided")
TOO_MANY_OPS = EtcdError(_IA, "etcdserver: too many operations in txn request")
DUPLICATE_KEY = EtcdError(_IA, "etcdserver: duplicate key given in txn request")
REQUEST_TOO_LARGE = EtcdError(_IA, "etcdserver: request is too large")
COMPACTED = EtcdError(
    grpc.StatusCode.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted"
)
FUTURE_REV = EtcdError(
    grpc.StatusCode.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision"
)
NO_SPACE = EtcdError(
    grpc.StatusCode.RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded"
)
LEASE_NOT_FOUND = EtcdError(grpc.StatusCode.NOT_FOUND, "etcdserver: requested lease not found")
LEASE_EXIST = EtcdError(grpc.StatusCode.FAILED_PRECONDITION, "etcdserver: lease already exists")
LEASE_TTL_TOO_LARGE = EtcdError(grpc.StatusCode.OUT_OF_RANGE, "etcdserver: too large lease TTL")
MEMBER_NOT_FOUND = EtcdError(grpc.StatusCode.NOT_FOUND, "etcdserver: member not found")
NOT_CAPABLE = EtcdError(grpc.StatusCode.UNAVAILABLE, "etcdserver: not capable")
STOPPED = EtcdError(grpc.StatusCode.UNAVAILABLE, "etcdserver: server stopped")
TIMEOUT = EtcdError(grpc.StatusCode.UNAVAILABLE, "etcdserver: request timed out")
CORRUPT = EtcdError(grpc.StatusCode.DATA_LOSS, "etcdserver: corrupt cluster")
