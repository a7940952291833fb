"""DefaultPreemption's PostFilter, pure: when no node fits a pod, which
lower-priority pods to evict, and from which node, so that it will fit
there (kube-scheduler 1.32's framework/preemption and
plugins/defaultpreemption).

`preempt()` takes the failed cycle (the ScheduleResult: each node's Filter
status and the cycle state) and answers a PreemptionResult: the node to
nominate and the victims to delete, or why nothing can be done. The
process deletes the victims (after setting their DisruptionTarget
condition, `victim_condition`), clears the nomination of the
lower-priority pods nominated to that node, sets the preemptor's
status.nominatedNodeName (`nominated_node`; "" clears it, None leaves it)
and tells the queue (`SchedulingQueue.add_nominated_pod`).

1. A pod with preemptionPolicy Never does not preempt; nor does one whose
   nominated node still has a lower-priority pod terminating because of a
   preemption (unless Filter found that node unresolvable).
2. Candidate nodes are those whose Filter status was Unschedulable (not
   UnschedulableAndUnresolvable: evicting pods cannot help there).
3. On each candidate, from a random offset, every pod of lower priority is
   taken off (PreFilter's RemovePod keeping the state right) and the pod
   must then pass Filter (with the nominated pods of at least its
   priority); the victims are then reprieved one at a time, most important
   first (priority, then earlier start), keeping each whose return still
   lets the pod fit. Victims whose eviction would break a
   PodDisruptionBudget (status.disruptionsAllowed, counted down as
   victims of that budget are taken, pods in status.disruptedPods not
   counted) are tried first and each one still evicted counts as a
   violation: budgets are respected as far as possible, not absolutely.
   The dry run stops once it has a candidate without violations and as
   many candidates as max(10% of the candidate nodes, 100), at most all.
4. The candidate chosen has, in order: the fewest violations, the lowest
   highest-victim priority, the smallest sum of victim priorities, the
   fewest victims, the latest earliest start among its highest-priority
   victims; then the first (candidates without violations come first, in
   the order found; upstream's first is a map's, so random).

Messages are upstream's, behind "preemption: ": "not eligible due to
preemptionPolicy=Never.", "not eligible due to a terminating pod on the
nominated node.", or when no node can be helped a FitError over the
candidates' statuses with the other nodes as "Preemption is not helpful
for scheduling", e.g. "preemption: 0/3 nodes are available: 1 No
preemption victims found for incoming pod, 2 Preemption is not helpful
for scheduling.". Pass `result.message()` to fit_error_message.

Left out: extenders, async preemption (alpha in 1.32), waiting (Permit)
pods as victims.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.fit_error import fit_error_message
from kubelite.scheduler.framework.nodeinfo import NodeInfo
from kubelite.scheduler.framework.podinfo import PodInfo, label_selector
from kubelite.scheduler.framework.profile import Profile
from kubelite.scheduler.framework.runtime import (
    NominatedPods,
    run_filter_plugins_with_nominated_pods,
    run_pre_filter_extension_add_pod,
    run_pre_filter_extension_remove_pod,
)
from kubelite.scheduler.framework.schedule_one import Random, ScheduleResult
from kubelite.scheduler.framework.snapshot import Snapshot
from kubelite.scheduler.framework.status import SUCCESS, Code, Status, error, unresolvable

Obj = dict[str, Any]

PREFIX = "preemption: "
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
NO_VICTIMS = "No preemption victims found for incoming pod"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_CANDIDATE = "no candidate node for preemption"
PREEMPT_NEVER = "Never"
DISRUPTION_TARGET = "DisruptionTarget"
PREEMPTION_BY_SCHEDULER = "PreemptionByScheduler"
DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE = 10
DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE = 100
_INT32_OFFSET = 2**31  # makes every priority >= 0 before summing


@dataclass
class Candidate:
    node: str
    victims: list[PodInfo]  # most important first
    num_pdb_violations: int = 0


@dataclass
class PreemptionResult:
    """`status`: SUCCESS with a nominated node, UNSCHEDULABLE with why not,
    or ERROR. `nominated_node`: the node to nominate, "" to clear the
    pod's nomination, None to leave it. `lower_priority_nominated_pods`:
    pods nominated to that node whose nomination is to be cleared."""

    status: Status
    nominated_node: str | None = None
    victims: list[Obj] = field(default_factory=list)
    lower_priority_nominated_pods: list[Obj] = field(default_factory=list)

    def message(self) -> str:
        """The PostFilter message for fit_error_message ("" on success)."""
        return "" if self.status.is_success() else self.status.message()


def victim_condition(scheduler_name: str) -> Obj:
    """The DisruptionTarget condition set on a victim before it is deleted."""
    return {
        "type": DISRUPTION_TARGET,
        "status": "True",
        "reason": PREEMPTION_BY_SCHEDULER,
        "message": f"{scheduler_name}: preempting to accommodate a higher priority pod",
    }


def preempted_event_message(preemptor_uid: str, node: str) -> str:
    """The note of the Normal "Preempted" event on each victim."""
    return f"Preempted by pod {preemptor_uid} on node {node}"


# --- ordering ----------------------------------------------------------------


def start_time(pod: PodInfo, now: datetime) -> datetime:
    """status.startTime, `now` (an aware datetime) for a pod that has not
    started."""
    started = (pod.pod.get("status") or {}).get("startTime")
    if isinstance(started, str):
        try:
            parsed = datetime.fromisoformat(started)
        except ValueError:
            return now
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return now


def importance(pod: PodInfo, now: datetime) -> tuple[int, datetime]:
    """A sort key putting the more important pod first: higher priority,
    then the earlier start."""
    return -pod.priority, start_time(pod, now)


def num_candidates(
    num_nodes: int,
    percentage: int = DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
    absolute: int = DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
) -> int:
    return min(max(num_nodes * percentage // 100, absolute), num_nodes)


# --- eligibility --------------------------------------------------------------


def terminating_by_preemption(pod: Obj) -> bool:
    if not (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == DISRUPTION_TARGET:
            return (condition.get("status") == "True"
                    and condition.get("reason") == PREEMPTION_BY_SCHEDULER)
    return False


def pod_eligible_to_preempt_others(
    pod: PodInfo, snapshot: Snapshot, nominated_node_status: Status | None
) -> tuple[bool, str]:
    if pod.spec.get("preemptionPolicy") == PREEMPT_NEVER:
        return False, NOT_ELIGIBLE_NEVER
    nominated = (pod.pod.get("status") or {}).get("nominatedNodeName")
    if nominated:
        if nominated_node_status is not None \
                and nominated_node_status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
            return True, ""
        node = snapshot.get(nominated)
        if node is not None and any(
            p.priority < pod.priority and terminating_by_preemption(p.pod) for p in node.pods
        ):
            return False, NOT_ELIGIBLE_TERMINATING
    return True, ""


# --- victims on one node ---------------------------------------------------------


def filter_pods_with_pdb_violation(
    pods: Sequence[PodInfo], pdbs: Sequence[Mapping[str, Any]]
) -> tuple[list[PodInfo], list[PodInfo]]:
    """(violating, non-violating), each in the order given: a pod violates
    when a budget selecting it (same namespace, a non-empty selector) has
    no disruption left once the pods before it are counted."""
    allowed = [int(((b.get("status") or {}).get("disruptionsAllowed")) or 0) for b in pdbs]
    selectors = []
    for budget in pdbs:
        try:
            selectors.append(label_selector((budget.get("spec") or {}).get("selector")))
        except ValueError:
            selectors.append(None)
    violating, non_violating = [], []
    for pod in pods:
        violated = False
        for i, budget in enumerate(pdbs if pod.labels else ()):
            selector = selectors[i]
            if (budget.get("metadata") or {}).get("namespace") != pod.namespace:
                continue
            if selector is None or selector.empty() or not selector.matches(pod.labels):
                continue
            if pod.name in ((budget.get("status") or {}).get("disruptedPods") or {}):
                continue
            allowed[i] -= 1
            if allowed[i] < 0:
                violated = True
        (violating if violated else non_violating).append(pod)
    return violating, non_violating


def select_victims_on_node(
    profile: Profile,
    state: CycleState,
    pod: PodInfo,
    node: NodeInfo,
    pdbs: Sequence[Mapping[str, Any]],
    nominated: Sequence[PodInfo],
    now: datetime,
) -> tuple[list[PodInfo], int, Status]:
    """The fewest, least important victims on `node` that let `pod` fit,
    and how many of them break a budget. `node` and `state` are changed:
    pass copies."""

    def remove(victim: PodInfo) -> Status:
        node.remove_pod(victim)
        return run_pre_filter_extension_remove_pod(profile, state, pod, victim, node)

    def add(victim: PodInfo) -> Status:
        node.add_pod(victim)
        return run_pre_filter_extension_add_pod(profile, state, pod, victim, node)

    potential = [p for p in node.pods if p.priority < pod.priority]
    if not potential:
        return [], 0, unresolvable(NO_VICTIMS)
    for victim in potential:
        status = remove(victim)
        if not status.is_success():
            return [], 0, status
    status = run_filter_plugins_with_nominated_pods(profile, state, pod, node, nominated)
    if not status.is_success():
        return [], 0, status
    potential.sort(key=lambda p: importance(p, now))
    violating, non_violating = filter_pods_with_pdb_violation(potential, pdbs)
    victims: list[PodInfo] = []
    violations = 0
    for group in (violating, non_violating):
        for victim in group:
            status = add(victim)
            if not status.is_success():
                return [], 0, status
            fits = run_filter_plugins_with_nominated_pods(
                profile, state, pod, node, nominated).is_success()
            if not fits:
                status = remove(victim)
                if not status.is_success():
                    return [], 0, status
                victims.append(victim)
                if group is violating:
                    violations += 1
    if violating and non_violating:
        victims.sort(key=lambda p: importance(p, now))
    return victims, violations, SUCCESS


# --- choosing ----------------------------------------------------------------------


def _earliest_start_of_highest(candidate: Candidate, now: datetime) -> datetime:
    top = max(p.priority for p in candidate.victims)
    return min(start_time(p, now) for p in candidate.victims if p.priority == top)


def pick_one_node_for_preemption(
    candidates: Sequence[Candidate], now: datetime
) -> Candidate | None:
    if not candidates:
        return None
    scores = (
        lambda c: -c.num_pdb_violations,
        lambda c: -c.victims[0].priority,
        lambda c: -sum(p.priority + _INT32_OFFSET for p in c.victims),
        lambda c: -len(c.victims),
        lambda c: _earliest_start_of_highest(c, now),
    )
    remaining = list(candidates)
    for score in scores:
        if len(remaining) == 1:
            break
        values = [score(c) for c in remaining]
        best = max(values)
        remaining = [c for c, v in zip(remaining, values, strict=True) if v == best]
    return remaining[0]


def dry_run_preemption(
    profile: Profile,
    state: CycleState,
    pod: PodInfo,
    potential: Sequence[NodeInfo],
    pdbs: Sequence[Mapping[str, Any]],
    nominated_pods: NominatedPods,
    offset: int,
    wanted: int,
    now: datetime,
) -> tuple[list[Candidate], dict[str, Status]]:
    """The candidates found (those without violations first) and the
    status of each node tried that is not one."""
    clean: list[Candidate] = []
    violating: list[Candidate] = []
    statuses: dict[str, Status] = {}
    for i in range(len(potential)):
        node = potential[(offset + i) % len(potential)].clone()
        victims, violations, status = select_victims_on_node(
            profile, state.clone(), pod, node, pdbs, nominated_pods(node.name), now)
        if status.is_success() and victims:
            (clean if violations == 0 else violating).append(
                Candidate(node.name, victims, violations))
            if clean and len(clean) + len(violating) >= wanted:
                break
            continue
        if status.is_success():
            status = error(f'expected at least one victim pod on node "{node.name}"')
        statuses[node.name] = status
    return clean + violating, statuses


def lower_priority_nominated_pods(
    pod: PodInfo, node_name: str, nominated_pods: NominatedPods
) -> list[Obj]:
    return [p.pod for p in nominated_pods(node_name) if p.priority < pod.priority]


def _no_nominated_pods(node_name: str) -> Sequence[PodInfo]:
    return ()


def preempt(
    pod: Obj | PodInfo,
    snapshot: Snapshot,
    profile: Profile,
    result: ScheduleResult,
    *,
    rng: Random,
    now: datetime,
    pdbs: Iterable[Mapping[str, Any]] = (),
    nominated_pods: NominatedPods = _no_nominated_pods,
    min_candidate_nodes_percentage: int = DEFAULT_MIN_CANDIDATE_NODES_PERCENTAGE,
    min_candidate_nodes_absolute: int = DEFAULT_MIN_CANDIDATE_NODES_ABSOLUTE,
) -> PreemptionResult:
    """DefaultPreemption's PostFilter for `pod` after `result` (a cycle
    that found no node). `now` stands in for the start time of pods that
    have not started; `rng` picks where the dry run starts."""
    info = pod if isinstance(pod, PodInfo) else PodInfo.of(pod)
    nominated = (info.pod.get("status") or {}).get("nominatedNodeName") or ""
    nominated_status = result.statuses.get(nominated, result.absent_status) \
        if nominated else None
    eligible, why = pod_eligible_to_preempt_others(info, snapshot, nominated_status)
    if not eligible:
        return PreemptionResult(Status.of(Code.UNSCHEDULABLE, PREFIX + why))
    if not snapshot.node_infos:
        return PreemptionResult(error(PREFIX + "no nodes available"))
    potential = [
        n for n in snapshot.node_infos
        if result.statuses.get(n.name, result.absent_status).code == Code.UNSCHEDULABLE
    ]
    candidates: list[Candidate] = []
    statuses: dict[str, Status] = {}
    if potential:
        candidates, statuses = dry_run_preemption(
            profile, result.state, info, potential, list(pdbs), nominated_pods,
            rng.randrange(len(potential)),
            num_candidates(len(potential), min_candidate_nodes_percentage,
                           min_candidate_nodes_absolute),
            now,
        )
    if not candidates:
        errors = [s.message() for s in statuses.values() if s.code == Code.ERROR]
        if errors:
            return PreemptionResult(error(PREFIX + "[" + ", ".join(errors) + "]"
                                          if len(errors) > 1 else PREFIX + errors[0]))
        diagnosis = ScheduleResult(statuses=statuses, absent_status=unresolvable(NOT_HELPFUL))
        message = fit_error_message(diagnosis, len(snapshot))
        return PreemptionResult(Status.of(Code.UNSCHEDULABLE, PREFIX + message),
                                nominated_node="")
    best = pick_one_node_for_preemption(candidates, now)
    if best is None:
        return PreemptionResult(Status.of(Code.UNSCHEDULABLE, PREFIX + NO_CANDIDATE))
    return PreemptionResult(
        SUCCESS,
        nominated_node=best.node,
        victims=[v.pod for v in best.victims],
        lower_priority_nominated_pods=lower_priority_nominated_pods(
            info, best.node, nominated_pods),
    )
