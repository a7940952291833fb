"""`kubelite store` configuration: etcd's flag names, defaults and meaning."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from urllib.parse import urlsplit

from kubelite.store.compactor import parse_retention

DEFAULT_MAX_REQUEST_BYTES = int(1.5 * 1024 * 1024)
DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024
DEFAULT_SNAPSHOT_COUNT = 100_000


@dataclass
class StoreConfig:
    name: str = "default"
    data_dir: str = ""
    listen_client_urls: tuple[str, ...] = ("http://127.0.0.1:2379",)
    advertise_client_urls: tuple[str, ...] = ("http://127.0.0.1:2379",)
    listen_peer_urls: tuple[str, ...] = ("http://127.0.0.1:2380",)
    initial_advertise_peer_urls: tuple[str, ...] = ("http://127.0.0.1:2380",)
    initial_cluster: str = ""
    initial_cluster_state: str = "new"
    initial_cluster_token: str = "etcd-cluster"
    snapshot_count: int = DEFAULT_SNAPSHOT_COUNT
    quota_backend_bytes: int = DEFAULT_QUOTA_BYTES
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    auto_compaction_mode: str = "periodic"
    auto_compaction_retention: str = "0"
    progress_notify_interval: float = 600.0

    def __post_init__(self) -> None:
        if not self.data_dir:
            self.data_dir = f"{self.name}.etcd"
        if not self.initial_cluster:
            self.initial_cluster = ",".join(
                f"{self.name}={u}" for u in self.initial_advertise_peer_urls
            )
        if self.quota_backend_bytes <= 0:
            self.quota_backend_bytes = DEFAULT_QUOTA_BYTES

    def client_addresses(self) -> list[str]:
        """host:port for each --listen-client-urls entry (http only)."""
        out = []
        for url in self.listen_client_urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", ""):
                raise ValueError(f"--listen-client-urls: {url}: only http is served for now")
            if not parts.hostname or parts.port is None:
                raise ValueError(f"--listen-client-urls: {url}: want http://host:port")
            out.append(f"{parts.hostname}:{parts.port}")
        return out


def _urls(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in text.split(",") if u.strip())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kubelite store",
        description="An etcd-v3-compatible key-value store (etcd's flags).",
    )
    d = StoreConfig()
    p.add_argument("--name", default=d.name, help="human-readable name for this member")
    p.add_argument("--data-dir", default="", help="path to the data directory")
    p.add_argument("--listen-client-urls", type=_urls, default=d.listen_client_urls)
    p.add_argument("--advertise-client-urls", type=_urls, default=d.advertise_client_urls)
    p.add_argument("--listen-peer-urls", type=_urls, default=d.listen_peer_urls)
    p.add_argument(
        "--initial-advertise-peer-urls", type=_urls, default=d.initial_advertise_peer_urls
    )
    p.add_argument("--initial-cluster", default="")
    p.add_argument("--initial-cluster-state", choices=["new", "existing"], default="new")
    p.add_argument("--initial-cluster-token", default=d.initial_cluster_token)
    p.add_argument("--snapshot-count", type=int, default=d.snapshot_count)
    p.add_argument("--quota-backend-bytes", type=int, default=0)
    p.add_argument("--max-request-bytes", type=int, default=d.max_request_bytes)
    p.add_argument("--auto-compaction-mode", choices=["periodic", "revision"], default="periodic")
    p.add_argument("--auto-compaction-retention", default="0")
    p.add_argument(
        "--experimental-watch-progress-notify-interval",
        dest="progress_notify_interval",
        default="10m",
        help="how often watchers that asked for progress notifications get one",
    )
    return p


def parse(argv: list[str]) -> StoreConfig:
    p = parser()
    a = p.parse_args(argv)
    try:
        parse_retention(a.auto_compaction_mode, a.auto_compaction_retention)
        interval = parse_retention("periodic", a.progress_notify_interval)
    except ValueError as e:
        p.error(str(e))
    return StoreConfig(
        name=a.name,
        data_dir=a.data_dir,
        listen_client_urls=a.listen_client_urls,
        advertise_client_urls=a.advertise_client_urls,
        listen_peer_urls=a.listen_peer_urls,
        initial_advertise_peer_urls=a.initial_advertise_peer_urls,
        initial_cluster=a.initial_cluster,
        initial_cluster_state=a.initial_cluster_state,
        initial_cluster_token=a.initial_cluster_token,
        snapshot_count=a.snapshot_count,
        quota_backend_bytes=a.quota_backend_bytes,
        max_request_bytes=a.max_request_bytes,
        auto_compaction_mode=a.auto_compaction_mode,
        auto_compaction_retention=a.auto_compaction_retention,
        progress_notify_interval=interval,
    )
