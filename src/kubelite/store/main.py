"""`kubelite store`: serve one store member until told to stop."""

from __future__ import annotations

import asyncio
import logging

import grpc

from kubelite.store import config
from kubelite.store.grpc_api import add_services
from kubelite.store.server import EtcdServer

# gRPC lets a message through up to this much over --max-request-bytes, so
# that an oversized request gets etcd's own "request is too large" error.
GRPC_OVERHEAD_BYTES = 512 * 1024

log = logging.getLogger("kubelite.store")


async def serve(cfg: config.StoreConfig, stop: asyncio.Event) -> None:
    server = EtcdServer(cfg)
    await server.start()
    grpc_server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", cfg.max_request_bytes + GRPC_OVERHEAD_BYTES),
        ("grpc.max_send_message_length", 2**31 - 1),
        ("grpc.max_concurrent_streams", 2**31 - 1),
    ])
    add_services(grpc_server, server)
    for address in cfg.client_addresses():
        grpc_server.add_insecure_port(address)
        log.info("store: serving clients on %s", address)
    await grpc_server.start()
    try:
        await stop.wait()
    finally:
        log.info("store: shutting down")
        await grpc_server.stop(grace=1)
        await server.stop()

