"""A simulated pod's whole life through pods.plan, on a fake clock: started
--pod-ready-delay after it was scheduled, with the status a kubelet writes
for a running pod; containers whose command line is `true`, or pods with
the exit-code annotation, terminate, and the restart policy decides between
a restart with the kubelet's back-off (CrashLoopBackOff) and the end of the
pod (Succeeded / Failed); a deletion is confirmed after min(grace period,
stop time)."""

from __future__ import annotations

import copy

import pytest

from kubelite.agent.sim import pods
from kubelite.agent.sim.pods import PodContext, plan
from kubelite.agent.sim.timefmt import parse_time, rfc3339

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z, a whole second
CTX = PodContext(node_ip="10.0.0.1", pod_ip="10.244.0.2", ready_delay=2.0)


def container(name="app", image="nginx:1.25", **kw) -> dict:
    return {"name": name, "image": image, **kw}


def make_pod(*containers: dict, restart_policy="Always", annotations=None, init=(),
             resources=False, created=T0, scheduled=None, **spec) -> dict:
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "ns", "uid": "uid-1",
                     "creationTimestamp": rfc3339(created), "resourceVersion": "5"},
        "spec": {"nodeName": "sim-node-0", "restartPolicy": restart_policy,
                 "containers": list(containers or [container()]), **spec},
        "status": {"phase": "Pending"},
    }
    if annotations:
        pod["metadata"]["annotations"] = annotations
    if init:
        pod["spec"]["initContainers"] = list(init)
    if resources:
        for c in pod["spec"]["containers"]:
            c["resources"] = {"requests": {"cpu": "1", "memory": "1Gi"},
                              "limits": {"cpu": "1", "memory": "1Gi"}}
    if scheduled is not None:
        pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True",
                                        "lastProbeTime": None,
                                        "lastTransitionTime": rfc3339(scheduled)}]
    return pod


def step(pod: dict, now: float, ctx: PodContext = CTX, **kw) -> tuple[dict, pods.PodPlan]:
    """The pod after one plan at `now` (its status written, if any)."""
    p = plan(pod, now, ctx, **kw)
    assert not p.delete
    if p.status is not None:
        pod = {**pod, "status": p.status}
    return pod, p


def live(pod: dict, until: float, ctx: PodContext = CTX) -> list[tuple[float, dict]]:
    """Run the pod from its creation, waking when the plans say, until
    `until` or the end of its life: [(when, status written), ...]."""
    now, written = parse_time(pod["metadata"]["creationTimestamp"]), []
    for _ in range(200):
        pod, p = step(pod, now, ctx)
        if p.status is not None:
            written.append((now, copy.deepcopy(p.status)))
        if p.wake is None or p.wake > until:
            return written
        assert p.wake > now - 1e-9, "a plan must not wake in the past"
        now = p.wake
    raise AssertionError("the pod never settled")


def cond(status: dict, kind: str) -> dict:
    return next(c for c in status["conditions"] if c["type"] == kind)


# --- start --------------------------------------------------------------------


def test_nothing_before_the_delay_then_running_and_ready():
    pod = make_pod(container(), container("side", "busybox", command=["sleep", "1d"]))
    first = plan(pod, T0 + 1, CTX)
    assert first.status is None and first.wake == T0 + 2
    pod, p = step(pod, T0 + 2)
    status = p.status
    assert status is not None and p.wake is None  # runs until stopped
    assert status["phase"] == "Running"
    assert status["hostIP"] == "10.0.0.1" and status["hostIPs"] == [{"ip": "10.0.0.1"}]
    assert status["podIP"] == "10.244.0.2" and status["podIPs"] == [{"ip": "10.244.0.2"}]
    assert status["startTime"] == rfc3339(T0 + 2)
    assert status["qosClass"] == "BestEffort"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [
        ("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "True"),
        ("ContainersReady", "True"), ("PodScheduled", "True")]
    assert all(c["lastTransitionTime"] == rfc3339(T0 + 2) for c in status["conditions"])
    app, side = status["containerStatuses"]
    assert app["name"] == "app" and side["name"] == "side"
    assert app["state"] == {"running": {"startedAt": rfc3339(T0 + 2)}}
    assert app["ready"] is True and app["started"] is True and app["restartCount"] == 0
    assert app["image"] == "docker.io/library/nginx:1.25"
    assert app["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert app["containerID"].startswith("sim://")
    assert app["containerID"] != side["containerID"]
    assert app["lastState"] == {}
    # Nothing more to do: the next look changes nothing.
    again = plan(pod, T0 + 500, CTX)
    assert again.status is None and again.wake is None


def test_the_delay_counts_from_the_pod_scheduled_condition():
    pod = make_pod(created=T0, scheduled=T0 + 10)
    assert plan(pod, T0 + 5, CTX).wake == T0 + 12
    _, p = step(pod, T0 + 12)
    assert p.status["phase"] == "Running"
    # The scheduler's condition keeps its time.
    assert cond(p.status, "PodScheduled")["lastTransitionTime"] == rfc3339(T0 + 10)


def test_zero_delay_starts_at_once():
    _, p = step(make_pod(), T0, PodContext("10.0.0.1", "10.244.0.2", 0.0))
    assert p.status["phase"] == "Running"


def test_qos_class_from_the_spec_and_kept_if_set():
    _, p = step(make_pod(resources=True), T0 + 2)
    assert p.status["qosClass"] == "Guaranteed"
    pod = make_pod()
    pod["status"]["qosClass"] = "Burstable"  # as the API server set it
    _, p = step(pod, T0 + 2)
    assert p.status["qosClass"] == "Burstable"


def test_init_containers_completed_and_sidecars_running():
    pod = make_pod(container(), init=[
        container("setup", "busybox", command=["sh", "-c", "echo hi"]),
        container("proxy", "envoyproxy/envoy:v1.30", restartPolicy="Always"),
    ])
    _, p = step(pod, T0 + 2)
    setup, proxy = p.status["initContainerStatuses"]
    term = setup["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert term["containerID"] == setup["containerID"]
    assert setup["ready"] is True and setup["started"] is False
    assert proxy["state"] == {"running": {"startedAt": rfc3339(T0 + 2)}}
    assert proxy["ready"] is True and proxy["started"] is True
    assert proxy["image"] == "docker.io/envoyproxy/envoy:v1.30"
    assert cond(p.status, "Initialized")["status"] == "True"
    assert cond(p.status, "Ready")["status"] == "True"


def test_readiness_gates_hold_ready_back():
    pod = make_pod(readinessGates=[{"conditionType": "example.com/lb"}])
    pod, p = step(pod, T0 + 2)
    ready = cond(p.status, "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ReadinessGatesNotReady"
    assert ready["message"] == \
        'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
    assert cond(p.status, "ContainersReady")["status"] == "True"
    # Someone sets the gate's condition: Ready follows, the condition stays.
    pod["status"]["conditions"].append({"type": "example.com/lb", "status": "True"})
    _, p = step(pod, T0 + 3)
    assert cond(p.status, "Ready")["status"] == "True"
    assert cond(p.status, "example.com/lb")["status"] == "True"


def test_host_network_pods_get_the_node_ip():
    # The simulator passes the node's address as the pod's for hostNetwork.
    ctx = PodContext("10.0.0.1", "10.0.0.1", 2.0)
    _, p = step(make_pod(hostNetwork=True), T0 + 2, ctx)
    assert p.status["podIP"] == p.status["hostIP"] == "10.0.0.1"


# --- exits --------------------------------------------------------------------


@pytest.mark.parametrize("c", [
    container(command=["true"]),
    container(image="busybox", args=["true"]),  # kubectl run x --image=busybox -- true
])
def test_true_exits_0_and_the_pod_succeeds(c):
    written = live(make_pod(c, restart_policy="Never"), T0 + 100)
    (t_run, running), (t_done, done) = written
    assert t_run == T0 + 2 and running["phase"] == "Running"
    assert t_done == T0 + 4  # --pod-ready-delay after it started
    assert done["phase"] == "Succeeded"
    term = done["containerStatuses"][0]["state"]["terminated"]
    assert term == {"exitCode": 0, "reason": "Completed", "startedAt": rfc3339(T0 + 2),
                    "finishedAt": rfc3339(T0 + 4),
                    "containerID": done["containerStatuses"][0]["containerID"]}
    assert done["containerStatuses"][0]["ready"] is False
    assert [(c["type"], c["status"], c.get("reason")) for c in done["conditions"]] == [
        ("PodReadyToStartContainers", "False", None), ("Initialized", "True", "PodCompleted"),
        ("Ready", "False", "PodCompleted"), ("ContainersReady", "False", "PodCompleted"),
        ("PodScheduled", "True", None)]
    assert done["podIP"] == "10.244.0.2"  # a finished pod keeps its address in status


@pytest.mark.parametrize("c", [
    container(command=["/bin/true"]),
    container(command=["true"], args=["--now"]),
    container(command=["sh", "-c", "true"]),
    container(args=["sleep", "true"]),
])
def test_only_exactly_true_exits(c):
    written = live(make_pod(c, restart_policy="Never"), T0 + 1000)
    assert [s["phase"] for _, s in written] == ["Running"]


def test_the_annotation_fails_every_container_with_its_code():
    pod = make_pod(container(), container("b", command=["true"]), restart_policy="Never",
                   annotations={pods.EXIT_CODE_ANNOTATION: "3"})
    _, done = live(pod, T0 + 100)[-1]
    assert done["phase"] == "Failed"
    assert [(c["state"]["terminated"]["exitCode"], c["state"]["terminated"]["reason"])
            for c in done["containerStatuses"]] == [(3, "Error"), (3, "Error")]
    assert cond(done, "Ready")["reason"] == "PodFailed"
    initialized = cond(done, "Initialized")
    assert initialized["status"] == "True" and "reason" not in initialized


def test_the_annotation_with_0_succeeds_and_junk_is_1():
    _, done = live(make_pod(restart_policy="Never",
                            annotations={pods.EXIT_CODE_ANNOTATION: "0"}), T0 + 100)[-1]
    assert done["phase"] == "Succeeded"
    _, done = live(make_pod(restart_policy="Never",
                            annotations={pods.EXIT_CODE_ANNOTATION: "oops"}), T0 + 100)[-1]
    assert done["phase"] == "Failed"
    assert done["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1


def test_a_pod_runs_while_any_container_runs():
    pod = make_pod(container(), container("once", command=["true"]), restart_policy="Never")
    written = live(pod, T0 + 1000)
    assert [s["phase"] for _, s in written] == ["Running", "Running"]
    app, once = written[-1][1]["containerStatuses"]
    assert "running" in app["state"] and "terminated" in once["state"]
    ready = cond(written[-1][1], "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [once]"


def test_on_failure_does_not_restart_a_success():
    _, done = live(make_pod(container(command=["true"]), restart_policy="OnFailure"),
                   T0 + 100)[-1]
    assert done["phase"] == "Succeeded"


def test_sidecars_stop_when_the_pod_ends():
    pod = make_pod(container(command=["true"]), restart_policy="Never",
                   init=[container("proxy", restartPolicy="Always")])
    _, done = live(pod, T0 + 100)[-1]
    assert done["phase"] == "Succeeded"
    proxy = done["initContainerStatuses"][0]
    assert proxy["state"]["terminated"]["exitCode"] == 0 and proxy["ready"] is False


def test_a_finished_pod_is_left_alone():
    pod = make_pod(container(command=["true"]), restart_policy="Never")
    now = T0
    for _ in range(3):
        pod, p = step(pod, now)
        now = p.wake or now
    assert pod["status"]["phase"] == "Succeeded"
    assert plan(pod, T0 + 10_000, CTX) == pods.PodPlan()


def test_a_container_started_within_a_second_still_runs_its_delay():
    # Started at T0 + 0.9: startedAt says T0, but it must not exit before T0 + 1.4.
    ctx = PodContext("10.0.0.1", "10.244.0.2", 0.5)
    pod = make_pod(container(command=["true"]), restart_policy="Never")
    pod, p = step(pod, T0 + 0.9, ctx)
    assert p.status["phase"] == "Running" and p.wake == pytest.approx(T0 + 1.4)
    _, p = step(pod, T0 + 1.4, ctx)
    assert p.status["phase"] == "Succeeded"


# --- restarts -------------------------------------------------------------------


@pytest.mark.parametrize("policy, c, annotations", [
    ("Always", container(command=["true"]), None),
    ("OnFailure", container(), {pods.EXIT_CODE_ANNOTATION: "2"}),
])
def test_restarts_back_off_as_the_kubelet_does(policy, c, annotations):
    pod = make_pod(c, restart_policy=policy, annotations=annotations)
    written = live(pod, T0 + 400)
    code = 0 if annotations is None else 2
    # Each look: (when, state, restartCount).
    seen = [(t - T0, next(iter(s["containerStatuses"][0]["state"])),
             s["containerStatuses"][0]["restartCount"]) for t, s in written]
    assert seen[:8] == [
        (2, "running", 0),
        (4, "running", 1),           # the first restart is at once
        (6, "waiting", 1),           # then back-off: 10 s
        (16, "running", 2),
        (18, "waiting", 2),          # 20 s
        (38, "running", 3),
        (40, "waiting", 3),          # 40 s
        (80, "running", 4),
    ]
    assert all(s["phase"] == "Running" for _, s in written)
    waiting = written[2][1]["containerStatuses"][0]
    assert waiting["state"]["waiting"] == {
        "reason": "CrashLoopBackOff",
        "message": "back-off 10s restarting failed container=app pod=web_ns(uid-1)"}
    assert waiting["ready"] is False and waiting["started"] is False
    last = waiting["lastState"]["terminated"]
    assert last["exitCode"] == code
    assert last["reason"] == ("Completed" if code == 0 else "Error")
    assert last["finishedAt"] == rfc3339(T0 + 6)
    assert cond(written[2][1], "ContainersReady")["status"] == "False"
    # A restarted container is a new container, and Ready again.
    restarted = written[3][1]["containerStatuses"][0]
    assert restarted["containerID"] != waiting["containerID"]
    assert restarted["ready"] is True
    assert cond(written[3][1], "Ready")["status"] == "True"


def test_back_off_is_capped_at_five_minutes():
    assert [pods.restart_backoff(n) for n in range(8)] == [0, 10, 20, 40, 80, 160, 300, 300]
    assert pods.go_seconds(10) == "10s"
    assert pods.go_seconds(80) == "1m20s"
    assert pods.go_seconds(300) == "5m0s"


def test_a_restarted_simulator_carries_on_from_the_status():
    # The same pod seen first by one simulator, then (after its status was
    # written) by a new one at a later time: the plans agree.
    pod = make_pod(container(command=["true"]), restart_policy="Always")
    pod, _ = step(pod, T0 + 2)
    pod, _ = step(pod, T0 + 4)
    pod, p = step(pod, T0 + 6)
    assert pod["status"]["containerStatuses"][0]["state"].keys() == {"waiting"}
    fresh = plan(copy.deepcopy(pod), T0 + 10, CTX)
    assert fresh.status is None and fresh.wake == T0 + 16


# --- deletion -------------------------------------------------------------------


def deleting(pod: dict, grace: int | None) -> dict:
    pod = copy.deepcopy(pod)
    pod["metadata"]["deletionTimestamp"] = rfc3339(T0 + 100)
    if grace is not None:
        pod["metadata"]["deletionGracePeriodSeconds"] = grace
    return pod


def test_deletion_is_confirmed_after_the_stop_time_within_the_grace_period():
    pod = deleting(make_pod(), 30)
    # Seen at T0 + 100: the containers take STOP_SECONDS (under the grace) to stop.
    first = plan(pod, T0 + 100, CTX, deleting_since=T0 + 100)
    assert first == pods.PodPlan(wake=T0 + 100 + pods.STOP_SECONDS)
    assert plan(pod, T0 + 100.5, CTX, deleting_since=T0 + 100).delete is False
    assert plan(pod, T0 + 101, CTX, deleting_since=T0 + 100).delete is True


def test_a_short_grace_period_is_honoured():
    ctx = PodContext("10.0.0.1", "10.244.0.2", 2.0, stop_seconds=5.0)
    pod = deleting(make_pod(), 2)
    assert plan(pod, T0 + 100, ctx, deleting_since=T0 + 100).wake == T0 + 102
    assert plan(pod, T0 + 102, ctx, deleting_since=T0 + 100).delete is True


def test_grace_0_is_already_confirmed():
    # The API server deletes it (or waits for its finalizers): nothing to do.
    assert plan(deleting(make_pod(), 0), T0 + 100, CTX, deleting_since=T0 + 100) == \
        pods.PodPlan()


def test_a_finished_pod_marked_for_deletion_is_deleted_too():
    pod = make_pod(container(command=["true"]), restart_policy="Never")
    _, done = live(pod, T0 + 100)[-1]
    pod = deleting({**pod, "status": done}, 30)
    assert plan(pod, T0 + 200, CTX, deleting_since=T0 + 199).delete is True


def test_deletion_before_the_start_never_starts_the_pod():
    pod = deleting(make_pod(), 30)
    p = plan(pod, T0 + 100, CTX, deleting_since=T0 + 100)
    assert p.status is None and p.wake == T0 + 101


def test_same_status_ignores_what_a_round_trip_drops():
    a = {"phase": "Running", "conditions": [{"type": "Ready", "lastProbeTime": None}],
         "containerStatuses": [{"name": "c", "lastState": {}}]}
    b = {"phase": "Running", "conditions": [{"type": "Ready"}],
         "containerStatuses": [{"name": "c"}]}
    assert pods.same_status(a, b)
    assert not pods.same_status(a, {**b, "phase": "Succeeded"})


def test_images_are_named_as_the_runtime_names_them():
    assert pods.normalize_image("nginx") == ("docker.io/library/nginx:latest",
                                             "docker.io/library/nginx")
    assert pods.normalize_image("bitnami/redis:7") == ("docker.io/bitnami/redis:7",
                                                       "docker.io/bitnami/redis")
    assert pods.normalize_image("registry.k8s.io/pause:3.9") == (
        "registry.k8s.io/pause:3.9", "registry.k8s.io/pause")
    assert pods.normalize_image("localhost:5000/app") == ("localhost:5000/app:latest",
                                                          "localhost:5000/app")
    digest = "sha256:" + "a" * 64
    assert pods.image_id(f"nginx@{digest}") == f"docker.io/library/nginx@{digest}"
    assert pods.image_id("nginx:1.25") == pods.image_id("docker.io/library/nginx:1.25")
