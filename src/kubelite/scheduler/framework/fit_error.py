"""The message of a FitError: why no node fits, as the PodScheduled
condition and the FailedScheduling event show it.

    0/<all nodes> nodes are available: <histogram>.[ <post-filter message>]

The histogram counts each reason over the nodes ("3 Insufficient cpu"),
including the nodes PreFilter left out, and lists the "<count> <reason>"
strings sorted as strings (so "10 ..." sorts before "2 ..."), joined by
", ". When PreFilter rejected the pod, its message stands in for the
histogram. A PostFilter (preemption) message follows after a space, and
gets a period of its own as upstream's " %v." gives it, e.g. "...: 3
Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption
victims found for incoming pod.." (the doubled period is upstream's).
"""

from __future__ import annotations

from collections import Counter

from kubelite.scheduler.framework.schedule_one import NO_NODES_AVAILABLE, ScheduleResult


def fit_error_message(
    result: ScheduleResult, num_all_nodes: int, post_filter_message: str = ""
) -> str:
    if num_all_nodes == 0:
        return NO_NODES_AVAILABLE
    message = f"0/{num_all_nodes} nodes are available:"
    if result.pre_filter_message:
        message += f" {result.pre_filter_message}."
    else:
        reasons: Counter[str] = Counter()
        for status in result.statuses.values():
            reasons.update(status.reasons)
        absent = num_all_nodes - len(result.statuses)
        if absent > 0:
            for reason in result.absent_status.reasons:
                reasons[reason] += absent
        histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
        if histogram:
            message += f" {', '.join(histogram)}."
    if post_filter_message:
        message += f" {post_filter_message}."
    return message
