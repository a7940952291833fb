"""Run etcdctl scenarios against a store and turn what etcdctl printed into a
transcript that can be compared, as text, with the same scenario run on etcd.

A scenario is a list of steps run in order against one store:

- `Ctl` runs one etcdctl command to completion (optionally feeding stdin);
- `Spawn` starts one in the background (a watch), `Reap` collects what it
  printed (until a marker shows up, the command exits, or a time limit) and
  stops it;
- `Poll` repeats a command until its output is the expected one, within a
  time limit (lease expiry), and records only the last attempt;
- `Sleep` waits.

`Session.run` returns the transcript: every command line, what it printed on
stdout and stderr, and its exit code, normalized so that only what differs
between two correct servers on every run is masked: lease IDs (named L1, L2,
... in the order the scenario grants them, in their hex and decimal forms),
raft indexes, database sizes, the server's version string, timings, the
client address, and the timestamps and connection names in etcdctl's own log
lines. Arguments and stdin may name a lease as `{L1}`; it is replaced by that
lease's hex ID in this session before the command runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ETCDCTL = shutil.which("etcdctl") or "/usr/bin/etcdctl"
CTL_TIMEOUT = 30.0  # seconds for one etcdctl command that should finish by itself
STOP_TIMEOUT = 5.0  # seconds a background command gets to exit after SIGTERM
MAX_SHOWN = 4096  # longer outputs are shown as their size and digest


@dataclass(frozen=True)
class Ctl:
    """One etcdctl command, run to completion."""

    args: tuple[str, ...]
    stdin: bytes | None = None


@dataclass(frozen=True)
class Spawn:
    """Start an etcdctl command in the background under `name`."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Reap:
    """Collect the output of background command `name` until `until` (a value,
    found as text or in base64 as -w json prints it) appears on its stdout, the
    command exits, or `timeout` passes; then read `linger` seconds more (to
    catch anything printed after the marker) and stop it."""

    name: str
    until: str | None = None
    timeout: float = 10.0
    linger: float = 0.3


@dataclass(frozen=True)
class Poll:
    """Run a command every `interval` seconds until its normalized stdout equals
    `until`, for at most `timeout` seconds; only the last run is recorded."""

    args: tuple[str, ...]
    until: str
    timeout: float = 15.0
    interval: float = 0.2


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Ctl | Spawn | Reap | Poll | Sleep


def ctl(*args: str, stdin: bytes | str | None = None) -> Ctl:
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return Ctl(tuple(args), stdin)


def txn(compares: list[str], success: list[str], failure: list[str], *flags: str) -> Ctl:
    """`etcdctl txn --interactive=false`: stdin holds the compares, then the
    success ops, then the failure ops, each block ended by an empty line."""
    blocks = [compares, success, failure]
    stdin = "".join("".join(line + "\n" for line in block) + "\n" for block in blocks)
    return ctl("txn", "--interactive=false", *flags, stdin=stdin)


def watch(name: str, *args: str) -> Spawn:
    """`etcdctl watch` in the background, reaped later with `Reap(name, ...)`."""
    return Spawn(name, ("watch", *args))


# --- normalization ---------------------------------------------------------

# Lease IDs are learnt from the commands that reveal new ones, in order.
_LEASE_HEX_LEARN = re.compile(r"^lease ([0-9a-f]{16}) granted|^([0-9a-f]{16})$", re.M)
_LEASE_DEC = re.compile(r'("(?:ID|id|lease|Lease)"\s*:\s*)(-?\d+)')
_HEX16 = re.compile(r"\b[0-9a-f]{16}\b")

_SUBSTITUTIONS = [
    # -w json: endpoint status, endpoint health
    (re.compile(r'"(raftIndex|raftAppliedIndex|dbSize|dbSizeInUse)":\d+'), r'"\1":<\1>'),
    (re.compile(r'"version":"[^"]*"'), '"version":"<version>"'),
    (re.compile(r'"took":"[^"]*"'), '"took":"<took>"'),
    # -w fields
    (re.compile(r'^"(RaftIndex|RaftAppliedIndex|DBSize)" : \d+$', re.M), r'"\1" : <\1>'),
    (re.compile(r'^"Version" : "[^"]*"$', re.M), '"Version" : "<version>"'),
    (re.compile(r'^"Took" : .*$', re.M), '"Took" : <took>'),
    # simple: endpoint health
    (re.compile(r"took = \S+"), "took = <took>"),
]

# `snapshot status` reads the saved file: its hash and size follow the
# database's page layout, not its contents.
_SNAPSHOT_STATUS = re.compile(r'"(hash|totalSize)":\d+')

# Columns of -w table output, and of the simple (comma separated) endpoint
# status line, that legitimately differ between servers.
_MASKED_COLUMNS = {"VERSION", "DB SIZE", "RAFT INDEX", "RAFT APPLIED INDEX"}
_MASKED_SNAPSHOT_COLUMNS = {"HASH", "TOTAL SIZE"}
_STATUS_COLUMNS = [
    "ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER",
    "RAFT TERM", "RAFT INDEX", "RAFT APPLIED INDEX", "ERRORS",
]
# Fields of etcdctl's own JSON log lines (stderr) that change on every run.
_LOG_MASKED = {"ts", "target", "took", "size"}


class LeaseNames:
    """Names lease IDs L1, L2, ... in the order they are first seen."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def learn(self, lease_id: int) -> None:
        if lease_id not in self.names:
            self.names[lease_id] = f"L{len(self.names) + 1}"

    def learn_from(self, args: tuple[str, ...], stdout: str) -> None:
        if args[:2] not in (("lease", "grant"), ("lease", "list")):
            return
        for m in _LEASE_HEX_LEARN.finditer(stdout):
            self.learn(int(m.group(1) or m.group(2), 16))
        for m in _LEASE_DEC.finditer(stdout):
            self.learn(int(m.group(2)))

    def hex_of(self, name: str) -> str:
        for lease_id, known in self.names.items():
            if known == name:
                return f"{lease_id:016x}"
        return f"no-lease-named-{name}"

    def substitute(self, text: str) -> str:
        return re.sub(r"\{(L\d+)\}", lambda m: self.hex_of(m.group(1)), text)

    def mask(self, text: str) -> str:
        if not self.names:
            return text
        by_hex = {f"{i:016x}": name for i, name in self.names.items()}
        text = _HEX16.sub(lambda m: by_hex.get(m.group(0), m.group(0)), text)

        def dec(m: re.Match[str]) -> str:
            name = self.names.get(int(m.group(2)))
            return m.group(1) + name if name else m.group(0)

        return _LEASE_DEC.sub(dec, text)


def _mask_log_line(line: str) -> str:
    if not line.startswith('{"level":'):
        return line
    try:
        record = json.loads(line)
    except ValueError:
        return line
    for key in _LOG_MASKED & record.keys():
        record[key] = f"<{key}>"
    return json.dumps(record, separators=(",", ":"))


def _canonical_tables(text: str, masked: set[str]) -> str:
    """Drop table borders and padding (they only follow the cell widths) and
    mask the `masked` columns."""
    out: list[str] = []
    header: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("+-"):
            continue
        if not line.startswith("|"):
            header = None
            out.append(line)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        else:
            cells = [
                f"<{h.lower()}>" if h in masked else c
                for h, c in zip(header, cells, strict=False)
            ] + cells[len(header):]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _mask_status_line(line: str) -> str:
    cells = line.split(", ", len(_STATUS_COLUMNS) - 1)
    if len(cells) != len(_STATUS_COLUMNS):
        return line
    return ", ".join(
        f"<{name.lower()}>" if name in _MASKED_COLUMNS else cell
        for name, cell in zip(_STATUS_COLUMNS, cells, strict=True)
    )


def _shorten(text: str) -> str:
    if len(text) <= MAX_SHOWN:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"<{len(text)} characters, sha256 {digest}...>"


def _command_line(args: tuple[str, ...]) -> str:
    """Shell form of the arguments; lease placeholders like {L1} stay bare."""
    return " ".join(a if re.fullmatch(r"[\w@%+=:,./{}-]+", a) else shlex.quote(a) for a in args)


def _is_simple_format(args: tuple[str, ...]) -> bool:
    for i, a in enumerate(args):
        if a in ("-w", "--write-out") and i + 1 < len(args):
            return args[i + 1] == "simple"
        if a.startswith("--write-out=") or a.startswith("-w="):
            return a.split("=", 1)[1] == "simple"
    return True


# --- running -----------------------------------------------------------------


class Background:
    """An etcdctl command running in the background, its output read by threads."""

    def __init__(
        self, args: tuple[str, ...], argv: list[str], env: dict[str, str], cwd: Path
    ) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, cwd=cwd, start_new_session=True,
        )
        self.stdout = bytearray()
        self.stderr = bytearray()
        self._lock = threading.Lock()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read(self, pipe, buf: bytearray) -> None:  # type: ignore[no-untyped-def]
        while chunk := os.read(pipe.fileno(), 65536):
            with self._lock:
                buf.extend(chunk)

    def wait_for(self, markers: list[bytes], timeout: float) -> None:
        """Until a marker is on stdout, or the command exited and all its
        output is read, or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if any(m in self.stdout for m in markers):
                    return
            if self.proc.poll() is not None and not any(t.is_alive() for t in self._readers):
                return
            time.sleep(0.02)

    def stop(self) -> int | None:
        """Stop the command; its exit code if it had exited by itself."""
        code = self.proc.poll()
        if code is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT)
            except ProcessLookupError:
                pass
        for t in self._readers:
            t.join(STOP_TIMEOUT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()
        return code


class Session:
    """One scenario run against one store (`endpoint` is host:port), with
    `workdir` as the current directory of every etcdctl command."""

    def __init__(self, endpoint: str, workdir: Path) -> None:
        self.endpoint = endpoint
        self.workdir = workdir
        self.leases = LeaseNames()
        self.background: dict[str, Background] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        self.env["ETCDCTL_API"] = "3"

    def argv(self, args: tuple[str, ...]) -> list[str]:
        return [
            ETCDCTL, f"--endpoints={self.endpoint}", "--dial-timeout=3s",
            "--command-timeout=10s", *(self.leases.substitute(a) for a in args),
        ]

    def run(self, steps: list[Step]) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        blocks: list[str] = []
        try:
            for step in steps:
                blocks.append(self.step(step))
        finally:
            self.close()
        return "\n".join(blocks) + "\n"

    def close(self) -> None:
        for bg in self.background.values():
            bg.stop()
        self.background.clear()

    def step(self, step: Step) -> str:
        if isinstance(step, Ctl):
            return self.run_ctl(step)
        if isinstance(step, Spawn):
            self.background[step.name] = Background(
                step.args, self.argv(step.args), self.env, self.workdir
            )
            return f"$ etcdctl {_command_line(step.args)} &  [{step.name}]"
        if isinstance(step, Reap):
            return self.reap(step)
        if isinstance(step, Poll):
            return self.poll(step)
        time.sleep(step.seconds)
        return f"[sleep {step.seconds}s]"

    def execute(self, args: tuple[str, ...], stdin: bytes | None) -> tuple[str, str, str]:
        """Run etcdctl; (exit status, stdout, stderr) as text, normalized."""
        if stdin is not None:
            stdin = self.leases.substitute(stdin.decode()).encode()
        try:
            done = subprocess.run(
                self.argv(args), input=stdin if stdin is not None else b"",
                capture_output=True, env=self.env, cwd=self.workdir, timeout=CTL_TIMEOUT,
            )
        except subprocess.TimeoutExpired as e:
            out, err = e.stdout or b"", e.stderr or b""
            status = f"timed out after {CTL_TIMEOUT}s"
        else:
            out, err, status = done.stdout, done.stderr, f"exit {done.returncode}"
        stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
        self.leases.learn_from(args, stdout)
        return status, self.normalize(args, stdout), self.normalize(args, stderr)

    def run_ctl(self, step: Ctl) -> str:
        status, out, err = self.execute(step.args, step.stdin)
        head = f"$ etcdctl {_command_line(step.args)}"
        if step.stdin is not None:
            shown = _shorten(step.stdin.decode(errors="replace"))
            head += "\n" + "\n".join("< " + line for line in shown.split("\n"))
        return render(head, status, out, err)

    def reap(self, step: Reap) -> str:
        bg = self.background.pop(step.name)
        markers = []
        if step.until is not None:
            markers = [step.until.encode(), base64.b64encode(step.until.encode())]
        bg.wait_for(markers, step.timeout)
        time.sleep(step.linger)
        code = bg.stop()
        status = "still running, stopped" if code is None else f"exit {code}"
        out = self.normalize(bg.args, bg.stdout.decode(errors="replace"))
        err = self.normalize(bg.args, bg.stderr.decode(errors="replace"))
        return render(f"[output of {step.name}]", status, out, err)

    def poll(self, step: Poll) -> str:
        deadline = time.monotonic() + step.timeout
        while True:
            status, out, err = self.execute(step.args, None)
            if out.strip() == step.until:
                verdict = f"[output became {step.until!r}]"
                break
            if time.monotonic() >= deadline:
                verdict = f"[output still not {step.until!r} after {step.timeout}s]"
                break
            time.sleep(step.interval)
        head = f"$ etcdctl {_command_line(step.args)}  [repeated until output is {step.until!r}]"
        return render(head, status, out, err) + "\n" + verdict

    def normalize(self, args: tuple[str, ...], text: str) -> str:
        text = text.replace(self.endpoint, "<endpoint>")
        text = self.leases.mask(text)
        text = "\n".join(_mask_log_line(line) for line in text.split("\n"))
        for pattern, replacement in _SUBSTITUTIONS:
            text = pattern.sub(replacement, text)
        masked = _MASKED_COLUMNS
        if args[:2] == ("snapshot", "status"):
            text = _SNAPSHOT_STATUS.sub(r'"\1":<\1>', text)
            masked = _MASKED_SNAPSHOT_COLUMNS
        text = _canonical_tables(text, masked)
        if args[:2] == ("endpoint", "status") and _is_simple_format(args):
            text = "\n".join(_mask_status_line(line) for line in text.split("\n"))
        return _shorten(text)


def render(head: str, status: str, stdout: str, stderr: str) -> str:
    lines = [head]
    if stdout:
        lines += ["  " + line for line in stdout.split("\n")]
    if stderr:
        lines += ["! " + line for line in stderr.split("\n")]
    lines.append(f"[{status}]")
    return "\n".join(lines)
