"""Start `kubelite agent --simulate N` against a test API server, its log
in the test's directory: simulated nodes that take the part of kubelets
(register, keep their Leases, run and stop the pods bound to them)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

from tests.storeproc import KUBELITE, log_tail, terminate


@dataclass
class AgentProcess:
    kubeconfig: str
    log_path: str
    count: int = 1
    prefix: str = "sim-node-"
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    log_start: int = 0  # where the log of the last start begins

    @property
    def names(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.count)]

    def start(self, timeout: float = 30.0) -> AgentProcess:
        """Start it and wait for its log to say every node is registered."""
        with open(self.log_path, "ab") as log:
            self.log_start = log.tell()
            self.proc = subprocess.Popen(
                [KUBELITE, "agent", "--kubeconfig", self.kubeconfig,
                 "--simulate", str(self.count), "--node-name-prefix", self.prefix,
                 *self.extra],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent exited {self.proc.returncode}: {self.log_tail()}")
            if f"registered {self.count} nodes" in self.log_since_start():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"agent did not register its nodes in {timeout}s: {self.log_tail()}")

    def log_since_start(self) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

    def log_tail(self, n: int = 4000) -> str:
        return log_tail(self.log_path, n)

    def stop(self) -> None:
        terminate(self.proc)

    def __enter__(self) -> AgentProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
