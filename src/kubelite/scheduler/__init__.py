"""kube-scheduler's decisions, pure: the framework (snapshot, plugin
interfaces, one scheduling cycle), the default profile's filter and score
plugins, the scheduling queue (queue.py, with the cluster events of
events.py) and DefaultPreemption (preemption.py), over pods and nodes as
the API serves them. The process around it (informers, binding, the
clocks) is built elsewhere and calls `schedule_one` with a Snapshot of its
caches.

    from kubelite.scheduler import Snapshot, default_profile, schedule_one
    result = schedule_one(pod, Snapshot(nodes, pods), default_profile(),
                          start_index=0, rng=random.Random())
    result.suggested_host or fit_error_message(result, len(snapshot))
"""

from kubelite.scheduler.framework import (
    Profile,
    ScheduleResult,
    Snapshot,
    Status,
    fit_error_message,
    num_feasible_nodes_to_find,
    schedule_one,
)
from kubelite.scheduler.plugins import default_profile
from kubelite.scheduler.preemption import PreemptionResult, preempt
from kubelite.scheduler.queue import QueuedPodInfo, SchedulingQueue

__all__ = [
    "PreemptionResult",
    "Profile",
    "QueuedPodInfo",
    "ScheduleResult",
    "SchedulingQueue",
    "Snapshot",
    "Status",
    "default_profile",
    "fit_error_message",
    "num_feasible_nodes_to_find",
    "preempt",
    "schedule_one",
]
