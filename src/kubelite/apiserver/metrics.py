"""Prometheus metrics of the API server: requests by verb, resource and
code with latency histograms, the number of open watches, and how many
watches the API server holds on the store for them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from aiohttp import web

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[tuple[str, str], list[float]] = {}
        self.latency_sum: dict[tuple[str, str], float] = defaultdict(float)
        self.watchers = 0
        self.store: dict[str, list[float]] = {}  # etcd method -> bucket counts
        self.store_sum: dict[str, float] = defaultdict(float)
        # How many watches are open on the store (the watch cache's, and the
        # store watches of client watches it cannot serve).
        self.store_watches: Callable[[], int] = lambda: 0

    def observe_store(self, method: str, seconds: float) -> None:
        _count(self.store.setdefault(method, [0] * (len(BUCKETS) + 1)), seconds)
        self.store_sum[method] += seconds

    def observe(self, request: web.Request, code: int, seconds: float) -> None:
        verb = request.method
        if verb == "GET" and request.query.get("watch") in ("1", "true"):
            verb = "WATCH"
        parts = [p for p in request.path.split("/") if p]
        resource = ""
        if parts and parts[0] in ("api", "apis"):
            rest = parts[2:] if parts[0] == "api" else parts[3:]
            if len(rest) >= 3 and rest[0] == "namespaces":
                resource = rest[2]
            elif rest:
                resource = rest[0]
        self.requests[(verb, resource, str(code))] += 1
        key = (verb, resource)
        _count(self.latency.setdefault(key, [0] * (len(BUCKETS) + 1)), seconds)
        self.latency_sum[key] += seconds

    def render(self) -> str:
        lines = [
            "# HELP apiserver_request_total Requests by verb, resource and HTTP code.",
            "# TYPE apiserver_request_total counter",
        ]
        for (verb, resource, code), n in sorted(self.requests.items()):
            lines.append(
                f'apiserver_request_total{{verb="{verb}",resource="{resource}",code="{code}"}} {n}'
            )
        lines += [
            "# HELP apiserver_request_duration_seconds Request latency by verb and resource.",
            "# TYPE apiserver_request_duration_seconds histogram",
        ]
        for (verb, resource), counts in sorted(self.latency.items()):
            lines += _histogram("apiserver_request_duration_seconds",
                                f'verb="{verb}",resource="{resource}"', counts,
                                self.latency_sum[(verb, resource)])
        lines += [
            "# HELP etcd_request_duration_seconds Latency of the API server's etcd calls.",
            "# TYPE etcd_request_duration_seconds histogram",
        ]
        for method, counts in sorted(self.store.items()):
            lines += _histogram("etcd_request_duration_seconds", f'operation="{method}"',
                                counts, self.store_sum[method])
        lines += [
            "# HELP apiserver_registered_watchers Open watch streams.",
            "# TYPE apiserver_registered_watchers gauge",
            f"apiserver_registered_watchers {self.watchers}",
            "# HELP apiserver_storage_watches Watches open on the store.",
            "# TYPE apiserver_storage_watches gauge",
            f"apiserver_storage_watches {self.store_watches()}",
        ]
        return "\n".join(lines) + "\n"


def _count(counts: list[float], seconds: float) -> None:
    """Add one observation to cumulative histogram buckets (+Inf last)."""
    for i, bound in enumerate(BUCKETS):
        if seconds <= bound:
            counts[i] += 1
    counts[-1] += 1


def _histogram(name: str, labels: str, counts: list[float], total: float) -> list[str]:
    lines = [f'{name}_bucket{{{labels},le="{bound}"}} {n}'
             for bound, n in zip(BUCKETS, counts, strict=False)]
    lines.append(f'{name}_bucket{{{labels},le="+Inf"}} {counts[-1]}')
    lines.append(f"{name}_sum{{{labels}}} {total:.6f}")
    lines.append(f"{name}_count{{{labels}}} {counts[-1]}")
    return lines
