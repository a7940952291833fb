"""kube-scheduler's metrics, by upstream's names and buckets, in the
process's own Prometheus registry:

- scheduler_schedule_attempts_total{result, profile}: attempts by result
  ("scheduled", "unschedulable", "error");
- scheduler_scheduling_attempt_duration_seconds{result, profile}: how long
  one attempt took, its binding included;
- scheduler_pod_scheduling_sli_duration_seconds{attempts}: end to end, from
  the pod first entering the queue to its binding;
- scheduler_pending_pods{queue}: the queue's sizes ("active", "backoff",
  "unschedulable", "gated"), read when scraped;
- scheduler_preemption_attempts_total and scheduler_preemption_victims;
- leader_election_master_status{name}: 1 while this replica leads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kubelite.scheduler.queue import QueueSizes


def _exponential(start: float, factor: float, count: int) -> tuple[float, ...]:
    return tuple(start * factor ** i for i in range(count))


class _QueueCollector(Collector):
    def __init__(self, sizes: Callable[[], QueueSizes]) -> None:
        self.sizes = sizes

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sizes = self.sizes()
        gauge = GaugeMetricFamily("scheduler_pending_pods",
                                  "Number of pending pods, by the queue type.", labels=["queue"])
        for queue in ("active", "backoff", "unschedulable", "gated"):
            gauge.add_metric([queue], getattr(sizes, queue))
        yield gauge


class SchedulerMetrics:
    def __init__(self, sizes: Callable[[], QueueSizes]) -> None:
        self.registry = CollectorRegistry()
        self.attempts = Counter(
            "scheduler_schedule_attempts", "Number of attempts to schedule pods, by the result.",
            ["result", "profile"], registry=self.registry)
        self.attempt_duration = Histogram(
            "scheduler_scheduling_attempt_duration_seconds",
            "Scheduling attempt latency in seconds (scheduling algorithm + binding).",
            ["result", "profile"], buckets=_exponential(0.001, 2, 15), registry=self.registry)
        self.sli_duration = Histogram(
            "scheduler_pod_scheduling_sli_duration_seconds",
            "E2e latency for a pod being scheduled, from the time the pod enters the "
            "scheduling queue.", ["attempts"], buckets=_exponential(0.01, 2, 20),
            registry=self.registry)
        self.preemption_attempts = Counter(
            "scheduler_preemption_attempts", "Total preemption attempts in the cluster till now.",
            registry=self.registry)
        self.preemption_victims = Histogram(
            "scheduler_preemption_victims", "Number of selected preemption victims.",
            buckets=_exponential(1, 2, 7), registry=self.registry)
        self.leader = Gauge(
            "leader_election_master_status",
            "Gauge of if the reporting system is master of the relevant lease, 0 indicates "
            "backup, 1 indicates master. 'name' is the string used to identify the lease.",
            ["name"], registry=self.registry)
        self.registry.register(_QueueCollector(sizes))

    def attempt(self, result: str, profile: str, seconds: float) -> None:
        self.attempts.labels(result, profile).inc()
        self.attempt_duration.labels(result, profile).observe(seconds)

    def scheduled(self, attempts: int, seconds: float) -> None:
        self.sli_duration.labels(str(attempts)).observe(seconds)
