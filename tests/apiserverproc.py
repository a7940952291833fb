"""Start `kubelite apiserver` over a store, or `kubelite server`, for tests
and benchmarks: the store (kubelite's or a real etcd) on free 127.0.0.1
ports, the API server on another, and the admin kubeconfig it writes; and
run the real kubectl against it (`KubectlRunner`)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field

from tests.storeproc import KUBELITE, StoreProcess, free_port, kill, log_tail, terminate

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def kubectl_binary(version: str | None = None) -> str:
    """`kubectl` (1.32), or `kubectl.<version>`, which lies beside the binary
    `kubectl` links to."""
    if version is None:
        return KUBECTL
    return os.path.join(os.path.dirname(os.path.realpath(KUBECTL)), f"kubectl.{version}")


@dataclass
class APIProcess:
    """A process serving the Kubernetes API on a free 127.0.0.1 port with its
    files in <data_dir>/apiserver/; `start` runs `argv()` and waits until
    /readyz answers. Starting again (after `stop` or `kill`) reuses the data
    dir and the port."""

    data_dir: str
    port: int = 0
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

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 60.0) -> APIProcess:
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = self.port or free_port()
        self.log_path = os.path.join(self.data_dir, "apiserver.log")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
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

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        kill(self.proc)

    def stop(self) -> None:
        terminate(self.proc)

    def __enter__(self) -> APIProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class APIServerProcess(APIProcess):
    """`kubelite apiserver` over a store: its own (kubelite's or a real etcd,
    started and stopped with it), or a `store` already running."""

    store_kind: str = "kubelite"
    extra: list[str] = field(default_factory=list)
    store: StoreProcess | None = None
    owns_store: bool = False

    def start(self, timeout: float = 60.0) -> APIServerProcess:
        if self.store is None:
            os.makedirs(self.data_dir, exist_ok=True)
            self.store = StoreProcess(self.store_kind,
                                      os.path.join(self.data_dir, "store")).start()
            self.owns_store = True
        try:
            super().start(timeout)
        except BaseException:
            self.stop()  # a server that did not come up takes its store with it
            raise
        return self

    def argv(self) -> list[str]:
        assert self.store is not None
        return [KUBELITE, "apiserver", "--etcd-servers", self.store.url,
                "--secure-port", str(self.port),
                "--data-dir", os.path.join(self.data_dir, "apiserver"), *self.extra]

    def stop(self) -> None:
        super().stop()
        if self.owns_store and self.store is not None:
            self.store.stop()


@dataclass
class ServerProcess(APIProcess):
    """`kubelite server`: the store, the API server and the scheduler in one
    process, the store's data in <data_dir>/store."""

    etcd_port: int = 0

    def argv(self) -> list[str]:
        self.etcd_port = self.etcd_port or free_port()
        return [KUBELITE, "server", "--data-dir", self.data_dir,
                "--etcd-listen-client-url", f"http://127.0.0.1:{self.etcd_port}",
                "--secure-port", str(self.port)]


class KubectlRunner:
    """Runs `kubectl` (1.32), or kubectl.<version>, against `server` with the
    kubeconfig it wrote; `home` holds kubectl's HOME and discovery cache.
    A call fails the test (with the API server's log) unless it succeeds or
    `ok=False`; `binary` and `env` are there for the commands a test starts
    itself (watches)."""

    def __init__(self, server: APIProcess, home: str, version: str | None = None) -> None:
        self.server = server
        self.binary = kubectl_binary(version)
        self.env = dict(os.environ, KUBECONFIG=server.kubeconfig, HOME=home,
                        KUBECACHEDIR=os.path.join(home, "cache"))

    def __call__(self, *args: str, stdin: str | None = None, ok: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run([self.binary, *args], input=stdin, capture_output=True,
                                text=True, env=self.env, timeout=timeout)
        if ok and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}\n"
                f"--- apiserver log ---\n{self.server.log_tail()}"
            )
        return result
