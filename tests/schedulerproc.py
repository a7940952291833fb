"""Start `kubelite scheduler` against a test API server: its /healthz and
/metrics on a free 127.0.0.1 port, its log in the test's directory."""

from __future__ import annotations

import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field

from tests.storeproc import KUBELITE, free_port, kill, log_tail, terminate

# Short leases, so that a takeover test waits seconds, not a quarter minute.
FAST_ELECTION = ["--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s",
                 "--leader-elect-retry-period=1s"]


@dataclass
class SchedulerProcess:
    kubeconfig: str
    log_path: str
    extra: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> SchedulerProcess:
        self.port = self.port or free_port()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [KUBELITE, "scheduler", "--kubeconfig", self.kubeconfig,
                 "--bind-address", "127.0.0.1", "--secure-port", str(self.port), *self.extra],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scheduler exited {self.proc.returncode}: {self.log_tail()}")
            try:
                if self.get("/healthz") == "ok":
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"scheduler not healthy after {timeout}s: {self.log_tail()}")

    def get(self, path: str) -> str:
        # Its certificate is self-signed, made at start.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=ctx,
                                    timeout=5) as r:
            return r.read().decode()

    def metric(self, metric_name: str, **labels: str) -> float:
        """The sum of a metric's samples whose labels include `labels`."""
        total = 0.0
        for line in self.get("/metrics").splitlines():
            if not line.startswith(metric_name) or line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            metric, _, label_text = series.partition("{")
            if metric != metric_name:
                continue
            if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
                total += float(value)
        return total

    def log_tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        kill(self.proc)

    def stop(self) -> None:
        terminate(self.proc)
