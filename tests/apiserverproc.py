"""Start `kubelite apiserver` over a store for tests and benchmarks: the
store (kubelite's or a real etcd) on free 127.0.0.1 ports, the API server
on another, and the admin kubeconfig it writes."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field

from tests.storeproc import KUBELITE, StoreProcess, free_port, log_tail, terminate

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def kubectl_binary(version: str | None = None) -> str:
    """`kubectl` (1.32), or `kubectl.<version>`, which lies beside the binary
    `kubectl` links to."""
    if version is None:
        return KUBECTL
    return os.path.join(os.path.dirname(os.path.realpath(KUBECTL)), f"kubectl.{version}")


@dataclass
class APIServerProcess:
    data_dir: str
    store_kind: str = "kubelite"
    extra: list[str] = field(default_factory=list)
    port: int = 0
    store: StoreProcess | None = None
    proc: subprocess.Popen | None = None
    log_path: str = ""

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> str:
        return os.path.join(self.data_dir, "apiserver", "admin.kubeconfig")

    @property
    def ca_file(self) -> str:
        return os.path.join(self.data_dir, "apiserver", "pki", "ca.crt")

    def start(self, timeout: float = 60.0) -> APIServerProcess:
        os.makedirs(self.data_dir, exist_ok=True)
        self.store = StoreProcess(self.store_kind, os.path.join(self.data_dir, "store")).start()
        self.port = self.port or free_port()
        self.log_path = os.path.join(self.data_dir, "apiserver.log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [KUBELITE, "apiserver", "--etcd-servers", self.store.url,
                 "--secure-port", str(self.port),
                 "--data-dir", os.path.join(self.data_dir, "apiserver"), *self.extra],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"apiserver exited {self.proc.returncode}: {self.log_tail()}")
            if os.path.exists(self.kubeconfig):
                try:
                    ctx = ssl.create_default_context(cafile=self.ca_file)
                    with urllib.request.urlopen(self.url + "/readyz", context=ctx,
                                                timeout=2) as r:
                        if r.read() == b"ok":
                            return
                except OSError as e:
                    last = e
            time.sleep(0.1)
        raise TimeoutError(f"apiserver not ready after {timeout}s: {last}; {self.log_tail()}")

    def log_tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)

    def stop(self) -> None:
        terminate(self.proc)
        if self.store is not None:
            self.store.stop()

    def __enter__(self) -> APIServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
