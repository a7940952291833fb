"""Three `kubelite scheduler` replicas on one API server: exactly one holds
the kube-system/kube-scheduler Lease and binds; killed with SIGKILL, it is
replaced by another within the lease duration, and no pod is bound twice.

The replicas run with a 4 s lease (renew deadline 3 s, retry 1 s) so that
the takeover takes seconds. The bound checked is the lease duration plus
two of a standby's polls, as client-go's elector can reach it: a standby
counts the lease duration from when it observed the last renewal (up to
one poll after it), and takes the lease at its first poll after that; a
poll is the retry period plus up to 1.2 of it in jitter.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from tests.apiserverproc import APIServerProcess, KubectlRunner
from tests.schedulerproc import FAST_ELECTION, SchedulerProcess
from tests.waiting import wait_until

LEASE_DURATION, RETRY_PERIOD = 4.0, 1.0
POLL = RETRY_PERIOD * (1 + 1.2)  # the longest wait between a standby's attempts
LEADING = "leader_election_master_status"
ATTEMPTS = "scheduler_schedule_attempts_total"


def micro_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def create_pods(kubectl: KubectlRunner, names: list[str]) -> None:
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n, "namespace": "ha"},
              "spec": {"containers": [{"name": "c", "image": "busybox",
                                       "resources": {"requests": {"cpu": "100m"}}}]}}
             for n in names]
    kubectl("create", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                                   "items": items}))


def bound(kubectl: KubectlRunner) -> dict[str, str]:
    pods = json.loads(kubectl("get", "pods", "-n", "ha", "-o", "json").stdout)["items"]
    return {p["metadata"]["name"]: p["spec"].get("nodeName", "") for p in pods}


def test_one_leader_binds_and_a_standby_takes_over(tmp_path):
    server = APIServerProcess(str(tmp_path / "api")).start()
    replicas: list[SchedulerProcess] = []
    try:
        kubectl = KubectlRunner(server, str(tmp_path / "home"))
        for i in range(3):
            capacity = {"cpu": "8", "memory": "16Gi", "pods": "110"}
            kubectl("create", "-f", "-", stdin=json.dumps({
                "apiVersion": "v1", "kind": "Node", "metadata": {"name": f"ha-{i}"},
                "status": {"capacity": capacity, "allocatable": capacity}}))
        kubectl("create", "namespace", "ha")
        for i in range(3):
            replicas.append(SchedulerProcess(server.kubeconfig, str(tmp_path / f"s{i}.log"),
                                             extra=FAST_ELECTION).start())

        def leaders() -> list[SchedulerProcess]:
            return [r for r in replicas
                    if r.proc.poll() is None and r.metric(LEADING, name="kube-scheduler") == 1]

        first = wait_until("a leader", lambda: leaders())
        assert len(first) == 1
        leader = first[0]
        create_pods(kubectl, [f"a{i}" for i in range(20)])
        wait_until("the first pods bound", lambda: all(bound(kubectl).values()))
        assert leader.metric(ATTEMPTS, result="scheduled") == 20
        for standby in replicas:
            if standby is not leader:
                assert standby.metric(ATTEMPTS) == 0  # standbys never schedule

        lease = json.loads(kubectl("get", "lease", "kube-scheduler", "-n", "kube-system",
                                   "-o", "json").stdout)
        old_holder = lease["spec"]["holderIdentity"]
        leader.kill()
        killed = time.time()
        create_pods(kubectl, [f"b{i}" for i in range(20)])
        successor = wait_until("a new leader", lambda: leaders(), timeout=LEASE_DURATION * 4)
        assert len(successor) == 1 and successor[0] is not leader
        lease = json.loads(kubectl("get", "lease", "kube-scheduler", "-n", "kube-system",
                                   "-o", "json").stdout)
        assert lease["spec"]["holderIdentity"] != old_holder
        assert lease["spec"]["leaseTransitions"] >= 1
        # The dead leader's last renewal came before the kill.
        took_over = micro_time(lease["spec"]["acquireTime"]) - killed
        assert took_over <= LEASE_DURATION + 2 * POLL, took_over

        placed = wait_until("every pod bound", lambda: (b := bound(kubectl)) and all(b.values())
                          and len(b) == 40 and b)
        assert len(placed) == 40
        events = json.loads(kubectl("get", "events", "-n", "ha", "-o", "json").stdout)["items"]
        scheduled: dict[str, int] = {}
        for event in events:
            if event["reason"] == "Scheduled":
                name = event["involvedObject"]["name"]
                scheduled[name] = scheduled.get(name, 0) + event.get("count", 1)
        assert scheduled == {name: 1 for name in placed}  # one binding per pod
        assert not [e for e in events if e["reason"] == "FailedScheduling"]
        assert successor[0].metric(ATTEMPTS, result="scheduled") == 20
    finally:
        for r in replicas:
            r.stop()
        server.stop()
