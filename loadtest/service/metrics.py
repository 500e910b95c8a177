"""Prometheus metrics of one app (its own registry, no global state).

Request counts and latency by route template, notices filed, removals and
restorations by programme, notice-to-removal time, write transactions, and the
review-queue depth read from the database at scrape time. With ``--workers N`` the
server runs in prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``):
every worker writes its samples to shared files and any worker's scrape sums them all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS_S = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
REMOVAL_BUCKETS_S = (0.0, 1.0, 60.0, 600.0, 3600.0, 6 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)


def multiprocess_dir() -> str | None:
    """The shared metrics directory when the server runs several worker processes."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ServiceMetrics:
    """The counters and histograms the routers and middleware update."""

    def __init__(
        self,
        queue_depth: Callable[[], dict[str, int]],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.queue_depth = queue_depth
        self.requests = Counter(
            "takedown_http_requests", "HTTP requests answered",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "takedown_http_request_duration_seconds", "Time to answer a request",
            ["method", "route"], buckets=LATENCY_BUCKETS_S, registry=self.registry,
        )  # fmt: skip
        self.notices = Counter(
            "takedown_notices_filed", "Notices filed", ["program"], registry=self.registry
        )
        self.removals = Counter(
            "takedown_removals", "Listings removed", ["program", "channel"],
            registry=self.registry,
        )  # fmt: skip
        self.restorations = Counter(
            "takedown_restorations", "Listings restored", ["program"], registry=self.registry
        )
        self.notice_to_removal = Histogram(
            "takedown_notice_to_removal_seconds",
            "Time from a notice's filing to the removal of a listing it named",
            ["program"], buckets=REMOVAL_BUCKETS_S, registry=self.registry,
        )  # fmt: skip
        self.write_transactions = Counter(
            "takedown_write_transactions", "Write transactions committed", registry=self.registry
        )
        self.write_jobs = Counter(
            "takedown_write_jobs", "Writes committed (several per transaction)",
            registry=self.registry,
        )  # fmt: skip
        self.registry.register(_QueueCollector(queue_depth))

    def committed(self, jobs: int) -> None:
        """The writer committed a transaction carrying ``jobs`` writes."""
        self.write_transactions.inc()
        self.write_jobs.inc(jobs)

    def exposition(self) -> bytes:
        """The Prometheus text of this process, or of every worker in multiprocess mode."""
        path = multiprocess_dir()
        if path is None:
            return bytes(generate_latest(self.registry))
        registry = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(registry, path=path)
        registry.register(_QueueCollector(self.queue_depth))
        return bytes(generate_latest(registry))


class _QueueCollector(Collector):
    def __init__(self, depth: Callable[[], dict[str, int]]) -> None:
        self.depth = depth

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "takedown_review_queue_depth", "Items awaiting review", labels=["kind"]
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = self._family()
        for kind, count in sorted(self.depth().items()):
            gauge.add_metric([kind], count)
        yield gauge


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def tracked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - start)
