"""Prometheus metrics of the service: requests by route, and the operational gauges
(`app/adapters/operational_metrics.py`), exposed from one registry."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from app.adapters.operational_metrics import OperationalCollector, multiprocess_dir
from app.ports.operations import OperationalState

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The request metrics and the database's gauges, exposed from `registry`.

    Under `convention-api serve --workers N` (PROMETHEUS_MULTIPROC_DIR set, app/cli.py)
    each worker writes its request counts to its own files in that directory and a
    scrape, whichever worker answers it, sums every worker's files: `registry` then
    holds the `MultiProcessCollector` instead of the in-memory metrics. The database's
    gauges describe the database, not a worker, so the answering worker reads them as in
    a single process (a vanished label set still disappears)."""

    def __init__(self) -> None:
        self.multiprocess_dir = multiprocess_dir()
        self.registry = CollectorRegistry()
        own: CollectorRegistry | None = self.registry
        if self.multiprocess_dir is not None:
            MultiProcessCollector(self.registry, path=self.multiprocess_dir)
            own = None  # the values live in the directory's files
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            registry=own,
        )
        # Outbox, jobs and storage levels: read from the database at each scrape.
        self.operational = OperationalCollector(self.registry)

    def process_exiting(self) -> None:
        """Drop this process's live-gauge files (prometheus_client's clean-up of a
        worker that stops); its counts stay in the totals."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Labels from closed sets only, so no request can add series: a method outside
        `HTTP_METHODS` is `other`, the route is a template of the app or `unmatched`
        (RequestContext), the status a three-digit code."""
        method = method if method in HTTP_METHODS else "other"
        status_label = str(status) if 100 <= status <= 599 else "other"
        self.requests.labels(method, route, status_label).inc()
        self.latency.labels(method, route).observe(seconds)

    async def render(
        self, read_state: Callable[[], Awaitable[OperationalState]], *, now: datetime
    ) -> bytes:
        """The exposition, with the operational gauges refreshed by `read_state` when
        their last read is older than the collector's interval."""
        await self.operational.refresh(read_state, now=now)
        return generate_latest(self.registry)
