"""Fixtures for the end-to-end store tests: pairs of stores started side by
side on 127.0.0.1, a real etcd 3.4 as the reference and the store under test,
so that every scenario runs on both and the outputs can be compared.

The store under test is `kubelite store`; KUBELITE_E2E_SUBJECT=etcd makes it
a second etcd instead, which checks the harness itself (every comparison must
then pass).

Both stores of a pair advertise the same peer URL (each listens on its own
port): etcd derives the member ID from the advertised peer URLs and the
cluster token, and the cluster ID from the member IDs, so two correct stores
report the same IDs.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.etcdctl_harness import ETCDCTL, Session, Step
from tests.storeproc import StoreProcess, free_port

SUBJECT = os.environ.get("KUBELITE_E2E_SUBJECT", "kubelite")
REFERENCE_LABEL = "etcd"
SUBJECT_LABEL = SUBJECT if SUBJECT != "etcd" else "etcd-as-subject"


class StorePair:
    """A reference etcd and a store under test, started on first use.

    A `shared` pair serves several scenarios that use disjoint keys; both
    stores then see the same history, so even revisions stay comparable. If
    a scenario leaves the two at different revisions, the pair is restarted
    afresh before the next one, so one difference does not cascade.
    """

    def __init__(self, root: Path, shared: bool = False) -> None:
        self.root = root
        self.shared = shared
        self.generation = 0
        self.runs = 0
        self.reference: StoreProcess | None = None
        self.subject: StoreProcess | None = None
        self.last_workdirs: list[tuple[str, Path]] = []

    def start(self) -> None:
        self.generation += 1
        base = self.root / f"stores{self.generation}"
        base.mkdir(parents=True)
        advertised = free_port()
        self.reference = StoreProcess(
            "etcd", str(base / "reference"), advertise_peer_port=advertised
        )
        self.subject = StoreProcess(SUBJECT, str(base / "subject"), advertise_peer_port=advertised)
        stores = [self.reference, self.subject]
        with ThreadPoolExecutor(2) as pool:
            failures = [f.exception() for f in [pool.submit(s.start) for s in stores]]
        if any(failures):
            self.stop()
            raise next(f for f in failures if f is not None)

    def stop(self) -> None:
        for store in (self.reference, self.subject):
            if store is not None:
                store.stop()
        self.reference = self.subject = None

    def sides(self) -> list[tuple[str, StoreProcess]]:
        if self.reference is None:
            self.start()
        assert self.reference is not None and self.subject is not None
        return [(REFERENCE_LABEL, self.reference), (SUBJECT_LABEL, self.subject)]

    def run(self, steps: list[Step]) -> tuple[str, str]:
        """Run the scenario on both stores at once; both transcripts."""
        sides = self.sides()
        self.runs += 1
        self.last_workdirs = [(label, self.root / f"run{self.runs}" / label) for label, _ in sides]
        with ThreadPoolExecutor(2) as pool:
            futures = [
                pool.submit(Session(store.endpoint, workdir).run, steps)
                for (_, store), (_, workdir) in zip(sides, self.last_workdirs, strict=True)
            ]
            reference, subject = (f.result() for f in futures)
        if self.shared and len({current_revision(s) for _, s in sides}) != 1:
            self.stop()
        return reference, subject

    def check(self, steps: list[Step], expect: tuple[str, ...] = ()) -> str:
        """Run the scenario on both stores and require the same transcript.
        `expect` are texts the reference transcript must hold: they guard the
        scenario itself (it exercises what it means to). Returns the
        reference transcript."""
        reference, subject = self.run(steps)
        for text in expect:
            assert text in reference, f"etcd's transcript lacks {text!r}:\n{reference}"
        if reference != subject:
            pytest.fail(self.explain(reference, subject), pytrace=False)
        return reference

    def explain(self, reference: str, subject: str) -> str:
        diff = "\n".join(difflib.unified_diff(
            reference.split("\n"), subject.split("\n"), REFERENCE_LABEL, SUBJECT_LABEL,
            lineterm="", n=4,
        ))
        log = self.subject.log_tail(3000) if self.subject else ""
        return (
            f"{SUBJECT_LABEL} printed something else than etcd "
            f"(- etcd, + {SUBJECT_LABEL}):\n{diff}\n\n"
            f"--- last lines of the {SUBJECT_LABEL} log ---\n{log}"
        )


def current_revision(store: StoreProcess) -> int | None:
    """The store's current revision, from a response header."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
    env["ETCDCTL_API"] = "3"
    try:
        done = subprocess.run(
            [ETCDCTL, f"--endpoints={store.endpoint}", "get", "-w", "json", "/"],
            capture_output=True, env=env, timeout=15,
        )
        return int(json.loads(done.stdout)["header"]["revision"])
    except (subprocess.TimeoutExpired, ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def shared_pair(tmp_path_factory: pytest.TempPathFactory):
    """One pair for a module's scenarios that use disjoint keys."""
    pair = StorePair(tmp_path_factory.mktemp("shared"), shared=True)
    yield pair
    pair.stop()


@pytest.fixture(scope="module")
def module_pair(tmp_path_factory: pytest.TempPathFactory):
    """One pair for a whole module, without any resynchronisation."""
    pair = StorePair(tmp_path_factory.mktemp("module"))
    yield pair
    pair.stop()


@pytest.fixture
def fresh_pair(tmp_path: Path):
    """A pair of stores fresh from an empty data dir, for one scenario."""
    pair = StorePair(tmp_path)
    yield pair
    pair.stop()
