"""Start and stop a store process for tests and benchmarks: `kubelite store`
or a real etcd 3.4, with the same etcd flags, on free 127.0.0.1 ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import grpc

from kubelite.etcdpb.etcdserverpb import rpc_pb2, rpc_pb2_grpc

KUBELITE = os.path.join(os.path.dirname(sys.executable), "kubelite")
ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: str, n: int = 4000) -> str:
    """The last `n` bytes of a process's log, for failure messages."""
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


def kill(proc: subprocess.Popen | None) -> None:
    """SIGKILL a process group started with start_new_session, as a crash
    would, and reap it."""
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def terminate(proc: subprocess.Popen | None) -> None:
    """SIGTERM a process group started with start_new_session; SIGKILL it if
    it has not exited within 10 s."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@dataclass
class StoreProcess:
    """One running store; `endpoint` is host:port for clients."""

    kind: str  # "kubelite" or "etcd"
    data_dir: str
    name: str = "default"
    extra: list[str] = field(default_factory=list)
    client_port: int = 0
    peer_port: int = 0
    # Peer port to advertise (--initial-advertise-peer-urls, --initial-cluster) when it
    # should differ from the one listened on: etcd derives the member and cluster IDs
    # from the advertised peer URLs, so two single-member stores that advertise the
    # same URL report the same IDs even while both run. 0 means peer_port.
    advertise_peer_port: int = 0
    proc: subprocess.Popen | None = None
    log_path: str = ""

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def argv(self) -> list[str]:
        peer = f"http://127.0.0.1:{self.peer_port}"
        advertised = f"http://127.0.0.1:{self.advertise_peer_port or self.peer_port}"
        binary = [KUBELITE, "store"] if self.kind == "kubelite" else [ETCD]
        return binary + [
            "--name", self.name,
            "--data-dir", self.data_dir,
            "--listen-client-urls", self.url,
            "--advertise-client-urls", self.url,
            "--listen-peer-urls", peer,
            "--initial-advertise-peer-urls", advertised,
            "--initial-cluster", f"{self.name}={advertised}",
            "--initial-cluster-token", "kubelite-test",
            *self.extra,
        ]

    def start(self, timeout: float = 30.0) -> StoreProcess:
        if not self.client_port:
            self.client_port, self.peer_port = free_port(), free_port()
        self.log_path = self.data_dir.rstrip("/") + f".{self.kind}.log"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited {self.proc.returncode}: {self.log_tail()}")
            try:
                with grpc.insecure_channel(self.endpoint) as ch:
                    rpc_pb2_grpc.MaintenanceStub(ch).Status(rpc_pb2.StatusRequest(), timeout=1)
                return
            except grpc.RpcError as e:
                last = e
                time.sleep(0.05)
        raise TimeoutError(f"{self.kind} not ready after {timeout}s: {last}; {self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        kill(self.proc)

    def stop(self) -> None:
        terminate(self.proc)

    def __enter__(self) -> StoreProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
