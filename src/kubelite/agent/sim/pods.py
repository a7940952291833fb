"""A simulated pod's life as a pure function of the pod and the clock:
`plan(pod, now, ctx)` says what to write (a status, or the confirmation of
a deletion) and when to look at the pod again. Everything it needs is in
the pod itself (when it was scheduled, when each container started or
exited, how often it restarted), so a restarted simulator carries on where
the last one stopped.

The stages, after kwok's pod-ready, pod-complete and pod-delete, with the
status a kubelet writes:

- a pod bound to the node is started --pod-ready-delay seconds after it was
  scheduled (its PodScheduled condition, else its creation): phase Running,
  every container running and ready, init containers completed (sidecars
  running), the conditions PodReadyToStartContainers, Initialized, Ready,
  ContainersReady and PodScheduled, hostIP(s), podIP(s), startTime,
  qosClass;
- a container "exits" --pod-ready-delay seconds after it started if its
  command line is exactly `true` (exit code 0: its command ["true"] and
  no args, or no command and args ["true"], as `kubectl run -- true`
  makes) or the pod is annotated
  kubelite.io/simulate-exit-code (its value the exit code of every
  container; a value that is not an integer counts as 1). It terminates
  with reason Completed (0) or Error. If the restart policy restarts it
  (Always; OnFailure after a failure), it is restarted with the kubelet's
  back-off: at once the first time, then after 10 s, 20 s, ... up to
  5 minutes, waiting in CrashLoopBackOff meanwhile. Otherwise it stays
  terminated, and once no container runs the pod is Succeeded (every exit
  code 0) or Failed;
- a pod marked for deletion is stopped for min(its grace period,
  ctx.stop_seconds) from when the simulator first saw the mark, then its
  deletion is confirmed (deleted with grace period 0, as the kubelet
  does). A mark with grace period 0 is already confirmed: the pod waits
  only for its finalizers, which are someone else's.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from kubelite.agent.sim.timefmt import parse_time, rfc3339
from kubelite.api.core.pods import qos_class

Obj = dict[str, Any]

EXIT_CODE_ANNOTATION = "kubelite.io/simulate-exit-code"
# How long a simulated container takes to stop, at most its grace period.
STOP_SECONDS = 1.0
# The kubelet's restart back-off: none the first time, then 10 s doubling to 5 min.
BACKOFF_INITIAL = 10.0
BACKOFF_CAP = 300.0
TERMINAL = ("Succeeded", "Failed")
# Our conditions, in the order the kubelet lists them.
POD_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                  "PodScheduled")
# Enough steps for any chain of transitions due at one moment.
MAX_STEPS = 8


@dataclass(frozen=True)
class PodContext:
    node_ip: str
    pod_ip: str
    ready_delay: float
    stop_seconds: float = STOP_SECONDS


@dataclass(frozen=True)
class PodPlan:
    status: Obj | None = None    # write this status
    delete: bool = False         # confirm the deletion (grace period 0)
    wake: float | None = None    # look at the pod again then (seconds since the epoch)


def _meta(pod: Obj) -> Obj:
    return pod.get("metadata") or {}


def _spec(pod: Obj) -> Obj:
    return pod.get("spec") or {}


def exit_code(pod: Obj, container: Obj | None) -> int | None:
    """The code this container exits with, or None if it runs until stopped."""
    value = (_meta(pod).get("annotations") or {}).get(EXIT_CODE_ANNOTATION)
    if value is not None:
        try:
            return int(str(value).strip())
        except ValueError:
            return 1
    if container is not None and \
            [*(container.get("command") or ()), *(container.get("args") or ())] == ["true"]:
        return 0
    return None


def restart_backoff(restart_count: int) -> float:
    """Seconds the kubelet waits before restarting a container that has
    already been restarted `restart_count` times."""
    if restart_count <= 0:
        return 0.0
    return min(BACKOFF_CAP, BACKOFF_INITIAL * 2 ** (restart_count - 1))


def go_seconds(seconds: float) -> str:
    """Whole seconds as Go prints a duration: 10s, 1m20s, 5m0s."""
    total = int(seconds)
    minutes, rest = divmod(total, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def normalize_image(image: str) -> tuple[str, str]:
    """(the image as the runtime names it, its repository):
    "nginx:1.25" -> ("docker.io/library/nginx:1.25", "docker.io/library/nginx")."""
    name, at, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    if not slash:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    repo = name
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo = name[: len(name) - len(last)] + last.split(":", 1)[0]
    elif not at:
        name += ":latest"
    return (f"{repo}@{digest}" if at else name), repo


def image_id(image: str) -> str:
    full, repo = normalize_image(image)
    if "@" in full:
        return full
    return f"{repo}@sha256:{hashlib.sha256(full.encode()).hexdigest()}"


def container_id(pod_uid: str, name: str, restart_count: int) -> str:
    digest = hashlib.sha256(f"{pod_uid}/{name}/{restart_count}".encode()).hexdigest()
    return f"sim://{digest}"


def _sidecar(container: Obj) -> bool:
    return container.get("restartPolicy") == "Always"


def _base_status(pod: Obj, container: Obj, restart_count: int) -> Obj:
    image = container.get("image") or ""
    return {
        "name": container.get("name") or "",
        "state": {},
        "lastState": {},
        "ready": False,
        "restartCount": restart_count,
        "image": normalize_image(image)[0] if image else "",
        "imageID": image_id(image) if image else "",
        "containerID": container_id(_meta(pod).get("uid") or "", container.get("name") or "",
                                    restart_count),
        "started": False,
    }


def _run(cs: Obj, stamp: str) -> None:
    cs["state"] = {"running": {"startedAt": stamp}}
    cs["ready"] = True
    cs["started"] = True


def _terminated(cs: Obj, code: int, started: str, finished: str) -> Obj:
    return {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
            "startedAt": started, "finishedAt": finished, "containerID": cs["containerID"]}


def _start(pod: Obj, status: Obj, now: float, ctx: PodContext) -> None:
    stamp = rfc3339(now)
    spec = _spec(pod)
    status["hostIP"] = ctx.node_ip
    status["hostIPs"] = [{"ip": ctx.node_ip}]
    status["podIP"] = ctx.pod_ip
    status["podIPs"] = [{"ip": ctx.pod_ip}]
    status["startTime"] = stamp
    inits = []
    for container in spec.get("initContainers") or []:
        cs = _base_status(pod, container, 0)
        if _sidecar(container):
            _run(cs, stamp)
        else:
            cs["state"] = {"terminated": _terminated(cs, 0, stamp, stamp)}
            cs["ready"] = True
        inits.append(cs)
    if inits:
        status["initContainerStatuses"] = inits
    running = []
    for container in spec.get("containers") or []:
        cs = _base_status(pod, container, 0)
        _run(cs, stamp)
        running.append(cs)
    status["containerStatuses"] = running
    status["qosClass"] = status.get("qosClass") or qos_class(spec)


def _restarts(policy: str, code: int) -> bool:
    return policy == "Always" or (policy == "OnFailure" and code != 0)


def _restart(pod: Obj, cs: Obj, container: Obj, now: float) -> Obj:
    fresh = _base_status(pod, container, cs["restartCount"] + 1)
    fresh["lastState"] = cs["lastState"]
    _run(fresh, rfc3339(now))
    return fresh


def _advance(pod: Obj, cs: Obj, container: Obj, now: float, ctx: PodContext,
             started_now: bool) -> tuple[Obj, float | None]:
    """One app container's status after what was due by `now`, and when its
    next change is due. `started_now`: it was started at `now`, which its
    startedAt (to the second) can only say rounded down."""
    code = exit_code(pod, container)
    policy = _spec(pod).get("restartPolicy") or "Always"
    for _ in range(MAX_STEPS):
        state = cs.get("state") or {}
        if "running" in state:
            started = state["running"].get("startedAt") or rfc3339(now)
            if code is None:
                return cs, None
            # A container started in this step runs its full delay, even
            # when its startedAt is most of a second before `now`.
            began = now if started_now else (parse_time(started) or now)
            due = began + ctx.ready_delay
            if now < due:
                return cs, due
            ended = _terminated(cs, code, started, rfc3339(now))
            cs = {**cs, "state": {"terminated": ended}, "ready": False, "started": False}
            if not _restarts(policy, code):
                return cs, None
            cs["lastState"] = {"terminated": ended}
            delay = restart_backoff(cs["restartCount"])
            if delay == 0:
                cs = _restart(pod, cs, container, now)
                started_now = True
                continue
            meta = _meta(pod)
            cs["state"] = {"waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {go_seconds(delay)} restarting failed "
                           f"container={container.get('name')} pod={meta.get('name')}_"
                           f"{meta.get('namespace')}({meta.get('uid')})"}}
        elif "waiting" in state and (cs.get("lastState") or {}).get("terminated"):
            finished = parse_time(cs["lastState"]["terminated"].get("finishedAt")) or now
            due = finished + restart_backoff(cs["restartCount"])
            if now < due:
                return cs, due
            cs = _restart(pod, cs, container, now)
            started_now = True
        else:
            return cs, None
    return cs, now


def _phase(pod: Obj, status: Obj) -> str:
    """The kubelet's pod phase from the app containers' states."""
    running = failed = 0
    statuses = status.get("containerStatuses") or []
    for cs in statuses:
        state = cs.get("state") or {}
        if "running" in state or "waiting" in state:
            running += 1
        elif (state.get("terminated") or {}).get("exitCode", 0) != 0:
            failed += 1
    if running or not statuses:
        return "Running"
    return "Failed" if failed else "Succeeded"


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


def _conditions(pod: Obj, status: Obj, now: float) -> list[Obj]:
    phase = status["phase"]
    spec = _spec(pod)
    before = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    by_type = {c.get("type"): c for c in before}
    if phase in TERMINAL:
        why = "PodCompleted" if phase == "Succeeded" else "PodFailed"
        ready = _condition("Ready", False, why)
        containers_ready = _condition("ContainersReady", False, why)
        initialized = _condition("Initialized", True,
                                 "PodCompleted" if phase == "Succeeded" else "")
        sandbox = _condition("PodReadyToStartContainers", False)
    else:
        sidecars = [c.get("name") for c in spec.get("initContainers") or [] if _sidecar(c)]
        ready_of = {cs.get("name"): cs.get("ready") for cs in
                    (status.get("initContainerStatuses") or []) +
                    (status.get("containerStatuses") or [])}
        names = sidecars + [c.get("name") for c in spec.get("containers") or []]
        unready = [n for n in names if not ready_of.get(n)]
        if unready:
            message = f"containers with unready status: [{' '.join(unready)}]"
            containers_ready = _condition("ContainersReady", False, "ContainersNotReady",
                                          message)
            ready = _condition("Ready", False, "ContainersNotReady", message)
        else:
            containers_ready = _condition("ContainersReady", True)
            ready = _condition("Ready", True)
            gates = []
            for gate in spec.get("readinessGates") or []:
                kind = gate.get("conditionType")
                cond = by_type.get(kind)
                if cond is None:
                    gates.append(f'corresponding condition of pod readiness gate "{kind}" '
                                 "does not exist.")
                elif cond.get("status") != "True":
                    gates.append(f'the status of pod readiness gate "{kind}" is not '
                                 f'"True", but {cond.get("status")}')
            if gates:
                ready = _condition("Ready", False, "ReadinessGatesNotReady", ", ".join(gates))
        initialized = _condition("Initialized", True)
        sandbox = _condition("PodReadyToStartContainers", True)
    scheduled = _condition("PodScheduled", True)
    ours = [sandbox, initialized, ready, containers_ready, scheduled]
    stamp = rfc3339(now)
    for cond in ours:
        old = by_type.get(cond["type"])
        if old is not None and old.get("status") == cond["status"] and \
                old.get("lastTransitionTime"):
            cond["lastTransitionTime"] = old["lastTransitionTime"]
        else:
            cond["lastTransitionTime"] = stamp
        # Keep the key order of the kubelet's JSON: reason and message last.
        for key in ("reason", "message"):
            if key in cond:
                cond[key] = cond.pop(key)
    return ours + [c for c in before if c.get("type") not in POD_CONDITIONS]


def _finish_sidecars(status: Obj, now: float) -> None:
    """Once the pod is done, its sidecars are stopped too."""
    stamp = rfc3339(now)
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        running = (cs.get("state") or {}).get("running")
        if running is not None:
            status["initContainerStatuses"][i] = {
                **cs, "ready": False, "started": False,
                "state": {"terminated": _terminated(cs, 0, running.get("startedAt") or stamp,
                                                    stamp)}}


def _pruned(value: Any) -> Any:
    """`value` without null, empty-object and empty-list members: what a
    round trip through the API may drop."""
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def same_status(a: Obj | None, b: Obj | None) -> bool:
    return _pruned(a or {}) == _pruned(b or {})


def accepted_at(pod: Obj) -> float | None:
    """When the node was given the pod: its PodScheduled condition, else its
    creation."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "PodScheduled" \
                and cond.get("status") == "True":
            when = parse_time(cond.get("lastTransitionTime"))
            if when is not None:
                return when
    return parse_time(_meta(pod).get("creationTimestamp"))


def started(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return bool(status.get("startTime") and status.get("containerStatuses"))


def plan(pod: Obj, now: float, ctx: PodContext, deleting_since: float | None = None) -> PodPlan:
    """What the node does about `pod` at `now`. `deleting_since` is when the
    simulator first saw its deletion mark (now, if not given)."""
    meta = _meta(pod)
    if meta.get("deletionTimestamp"):
        grace = meta.get("deletionGracePeriodSeconds")
        if grace == 0:
            return PodPlan()
        due = (now if deleting_since is None else deleting_since) + \
            min(float(grace or 0), ctx.stop_seconds)
        return PodPlan(delete=True) if now >= due else PodPlan(wake=due)
    before = pod.get("status") or {}
    if before.get("phase") in TERMINAL:
        return PodPlan()
    status = copy.deepcopy(before)
    starting = not started(pod)
    if starting:
        due = (accepted_at(pod) or now) + ctx.ready_delay
        if now < due:
            return PodPlan(wake=due)
        _start(pod, status, now, ctx)
    containers = {c.get("name"): c for c in _spec(pod).get("containers") or []}
    wake: float | None = None
    statuses = []
    for cs in status["containerStatuses"]:
        container = containers.get(cs.get("name"))
        if container is not None:
            cs, due = _advance(pod, cs, container, now, ctx, starting)
            if due is not None:
                wake = due if wake is None else min(wake, due)
        statuses.append(cs)
    status["containerStatuses"] = statuses
    status["phase"] = _phase(pod, status)
    if status["phase"] in TERMINAL:
        _finish_sidecars(status, now)
        wake = None
    status["conditions"] = _conditions(pod, status, now)
    return PodPlan(status=None if same_status(status, before) else status, wake=wake)
