"""`kubelite apiserver`: kube-apiserver's flags, HTTPS on 127.0.0.1:6443,
and an admin kubeconfig in <data-dir>/admin.kubeconfig."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
from dataclasses import dataclass

from aiohttp import web

from kubelite.api import all as api_all
from kubelite.api.resource import REGISTRY, Resource
from kubelite.apiserver import errors
from kubelite.apiserver.allocators import ServiceAllocator
from kubelite.apiserver.app import API
from kubelite.apiserver.authn import Authenticator, User, ensure_admin_token, load_token_file
from kubelite.apiserver.authz import AllowAll
from kubelite.apiserver.bootstrap import Bootstrap, first_service_ip
from kubelite.apiserver.certs import Pki, PkiError, ensure_pki, server_ssl_context
from kubelite.apiserver.crds import CustomResources
from kubelite.apiserver.garbage import GarbageCollector
from kubelite.apiserver.kubeconfig import admin_kubeconfig, write_kubeconfig
from kubelite.apiserver.metrics import Metrics
from kubelite.apiserver.migrations import migrate
from kubelite.apiserver.namespaces import NamespaceCleaner
from kubelite.apiserver.priority import PodPriority, PriorityClassDefault
from kubelite.apiserver.registry import Registry
from kubelite.apiserver.storage import Storage
from kubelite.apiserver.watchcache import DEFAULT_WINDOW

log = logging.getLogger("kubelite.apiserver")

assert api_all  # every declaration module is imported for REGISTRY


@dataclass
class Config:
    etcd_servers: list[str]
    secure_port: int
    bind_address: str
    advertise_address: str
    service_cluster_ip_range: str
    service_node_port_range: tuple[int, int]
    token_auth_file: str | None
    client_ca_file: str | None
    data_dir: str
    write_kubeconfig: str | None
    watch_cache_size: int  # 0: no watch cache


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        lo, hi = int(low), int(high if sep else low)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad port range {text!r}, want e.g. 30000-32767"
        ) from None
    if not 0 < lo <= hi < 65536:
        raise argparse.ArgumentTypeError(f"bad port range {text!r}")
    return lo, hi


def _cidr(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _boolean(text: str) -> bool:
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"want true or false, got {text!r}")


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse(argv: list[str]) -> Config:
    p = argparse.ArgumentParser(
        prog="kubelite apiserver", description="The Kubernetes API over an etcd v3 store."
    )
    p.add_argument("--etcd-servers", default="http://127.0.0.1:2379",
                   help="comma-separated etcd client URLs")
    p.add_argument("--secure-port", type=int, default=6443)
    p.add_argument("--bind-address", default="127.0.0.1")
    p.add_argument("--advertise-address", type=_ip,
                   help="the address the kubernetes Service's endpoints give for this "
                   "server (default: --bind-address, or 127.0.0.1 when that is unspecified)")
    p.add_argument("--service-cluster-ip-range", type=_cidr, default="10.96.0.0/12")
    p.add_argument("--service-node-port-range", type=_port_range, default=(30000, 32767))
    p.add_argument("--token-auth-file")
    p.add_argument("--client-ca-file")
    p.add_argument("--data-dir", default=os.path.abspath(".kubelite/apiserver"))
    p.add_argument("--write-kubeconfig", help="also write the admin kubeconfig here")
    p.add_argument("--watch-cache", type=_boolean, default=True,
                   help="serve watches and lists from a cache of each resource (true)")
    p.add_argument("--default-watch-cache-size", type=int, default=DEFAULT_WINDOW,
                   help="recent changes each resource's watch cache keeps, from which "
                   f"watches resume ({DEFAULT_WINDOW})")
    a = p.parse_args(argv)
    return Config(
        etcd_servers=[s.strip() for s in a.etcd_servers.split(",") if s.strip()],
        secure_port=a.secure_port,
        bind_address=a.bind_address,
        advertise_address=a.advertise_address or (
            "127.0.0.1" if a.bind_address in ("0.0.0.0", "::") else a.bind_address),
        service_cluster_ip_range=a.service_cluster_ip_range,
        service_node_port_range=a.service_node_port_range,
        token_auth_file=a.token_auth_file,
        client_ca_file=a.client_ca_file,
        data_dir=a.data_dir,
        write_kubeconfig=a.write_kubeconfig,
        watch_cache_size=a.default_watch_cache_size if a.watch_cache else 0,
    )


CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")
# In-flight requests get this long to finish when the server stops; open
# watches are ended at once.
SHUTDOWN_GRACE_SECONDS = 1.0
# Leaving the kubernetes Service's endpoints on the way out may take this
# long; a store that is already gone is not waited for.
LEAVE_SECONDS = 2.0


def builtin_resources() -> list[Resource]:
    return list(REGISTRY.values())


class StartupError(Exception):
    """The API server cannot start; the message says why, in one line."""


async def serve(cfg: Config, stop: asyncio.Event) -> None:
    try:
        os.makedirs(cfg.data_dir, mode=0o700, exist_ok=True)
        hosts = [first_service_ip(cfg.service_cluster_ip_range)]
        hosts += [a for a in dict.fromkeys((cfg.bind_address, cfg.advertise_address))
                  if a not in ("0.0.0.0", "127.0.0.1", "::")]
        pki = ensure_pki(cfg.data_dir, hosts)
        ensure_admin_token(cfg.data_dir)
        tokens = load_token_file(os.path.join(cfg.data_dir, "tokens.csv"))
        if cfg.token_auth_file:
            tokens = {**tokens, **load_token_file(cfg.token_auth_file)}
        storage = await Storage.connect(cfg.etcd_servers)
    except (PkiError, ValueError, OSError) as e:  # ConnectionError is an OSError
        raise StartupError(str(e)) from e
    try:
        await _serve(cfg, stop, storage, pki, tokens)
    finally:
        await storage.close()


async def _serve(cfg: Config, stop: asyncio.Event, storage: Storage, pki: Pki,
                 tokens: dict[str, User]) -> None:
    registry = Registry(storage, cfg.watch_cache_size)
    allocator = ServiceAllocator(storage, cfg.service_cluster_ip_range,
                                 cfg.service_node_port_range)
    registry.admission[("", "services")] = allocator
    registry.admission[("", "pods")] = PodPriority(registry)
    registry.admission[("scheduling.k8s.io", "priorityclasses")] = PriorityClassDefault(registry)
    custom = CustomResources(registry, builtin_resources, REGISTRY[CRDS])
    registry.admission[(CRDS[0], CRDS[2])] = custom
    host = "127.0.0.1" if cfg.bind_address in ("0.0.0.0", "::") else cfg.bind_address
    address = f"{host}:{cfg.secure_port}"
    bootstrap = Bootstrap(registry, storage, cfg.service_cluster_ip_range,
                          cfg.advertise_address, cfg.secure_port)
    metrics = Metrics()
    storage.observer = metrics.observe_store
    metrics.store_watches = lambda: storage.watch_count
    api = API(registry, custom.resources, Authenticator(tokens), AllowAll(), address, metrics)
    runner = web.AppRunner(api.app(), access_log=None, handle_signals=False,
                           shutdown_timeout=SHUTDOWN_GRACE_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, cfg.bind_address, cfg.secure_port,
                       ssl_context=server_ssl_context(pki, cfg.client_ca_file))
    advertised = False
    try:
        try:
            await migrate(storage)
            await custom.sync()
            await site.start()
            # Listening: now it may be advertised.
            advertised = True
            await bootstrap.start()
            api.ready = True
        except OSError as e:
            raise StartupError(f"cannot serve on {address}: {e}") from e
        except errors.StatusError as e:
            raise StartupError(e.message) from e
        _write_kubeconfigs(cfg, pki, address)
        log.info("apiserver: serving https://%s (etcd %s); admin kubeconfig %s; admin token "
                 "in %s", address, ",".join(cfg.etcd_servers),
                 os.path.join(cfg.data_dir, "admin.kubeconfig"),
                 os.path.join(cfg.data_dir, "tokens.csv"))
        collector = GarbageCollector(registry, custom.resources)
        registry.marked_listeners.append(collector.marked)
        namespaces = REGISTRY[("", "v1", "namespaces")]
        background = [
            asyncio.create_task(NamespaceCleaner(registry, custom.resources, namespaces).run()),
            asyncio.create_task(collector.run()),
            asyncio.create_task(custom.run()),
            asyncio.create_task(bootstrap.run()),
            asyncio.create_task(allocator.run_repair(registry)),
        ]
        try:
            await stop.wait()
        finally:
            log.info("apiserver: shutting down")
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
    finally:
        if advertised:  # leave the endpoints while still serving, as kube-apiserver does
            try:
                async with asyncio.timeout(LEAVE_SECONDS):
                    await bootstrap.stop()
            except (TimeoutError, errors.StatusError) as e:
                log.warning("apiserver: could not leave the kubernetes endpoints: %s", e)
        await runner.cleanup()
        await registry.close()


def _write_kubeconfigs(cfg: Config, pki: Pki, address: str) -> None:
    with open(pki.ca_cert, "rb") as f:
        ca = f.read()
    with open(pki.admin_cert, "rb") as f:
        cert = f.read()
    with open(pki.admin_key, "rb") as f:
        key = f.read()
    kubeconfig = admin_kubeconfig(f"https://{address}", ca, cert, key)
    write_kubeconfig(os.path.join(cfg.data_dir, "admin.kubeconfig"), kubeconfig)
    if cfg.write_kubeconfig:
        write_kubeconfig(cfg.write_kubeconfig, kubeconfig)
