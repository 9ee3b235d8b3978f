"""Prometheus view of the operational state (`app.ports.operations.OperationalState`, read
by `app/services/operations.py`): gauges built from the latest state read, so vanished
label sets disappear too.

The state is read at a scrape at most once per `interval` (a minute) of the injected
clock, whatever the number of scrapers or their rate: the scrapes in between, and the
ones that arrive while a read is running, expose the last state read. A failed read is
kept for the interval as well, so a database in trouble is not queried at each scrape."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from app.ports.operations import OperationalState

log = logging.getLogger("app.metrics")

# prometheus_client's multiprocess mode: set (by `convention-api serve --workers N`)
# before the workers import prometheus_client, which then keeps every metric value in
# files of this directory, one set per process.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    """The directory of the workers' metric files, or None in a single process."""
    return os.environ.get(MULTIPROCESS_ENV) or None


class OperationalCollector:
    """Registered once; `refresh` reads the state before each exposition."""

    def __init__(
        self, registry: CollectorRegistry, *, timeout_seconds: float = 5.0,
        interval: timedelta = timedelta(minutes=1),
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.interval = interval
        self._state: OperationalState | None = None
        self._read_at: datetime | None = None
        self._lock = asyncio.Lock()
        self.reads = 0  # database reads made (for tests and curiosity)
        registry.register(self)

    def _fresh(self, now: datetime) -> bool:
        # A clock set back (tests, a corrected host clock) makes the state stale too.
        return self._read_at is not None and self._read_at <= now < self._read_at + self.interval

    async def refresh(
        self, read: Callable[[], Awaitable[OperationalState]], *, now: datetime
    ) -> None:
        """Read the state again when the last read is older than `interval`; on failure
        (database down, slow) expose `convention_database_metrics_up 0` and none of the
        database gauges, rather than stale values or a failed scrape (the request
        metrics matter most then)."""
        if self._fresh(now):
            return
        async with self._lock:  # concurrent scrapes: one read, the others wait for it
            if self._fresh(now):
                return
            self.reads += 1
            try:
                self._state = await asyncio.wait_for(read(), self.timeout_seconds)
            except Exception as exc:  # any failure: the scrape still answers
                log.warning(
                    "operational metrics unavailable",
                    extra={"error_type": type(exc).__name__},
                )
                self._state = None
            self._read_at = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state = self._state
        yield GaugeMetricFamily(
            "convention_database_metrics_up",
            "1 when the database answered the metrics' queries at this scrape, else 0",
            value=0 if state is None else 1,
        )
        if state is None:
            return
        yield GaugeMetricFamily(
            "convention_outbox_backlog", "E-mails waiting in the outbox (pending or retrying)",
            value=state.outbox_backlog,
        )
        yield GaugeMetricFamily(
            "convention_outbox_dead", "E-mails the outbox gave up (dead)", value=state.outbox_dead
        )
        jobs = GaugeMetricFamily(
            "convention_job_last_success_timestamp_seconds",
            "Unix time at which the latest successful run of the job finished",
            labels=["job"],
        )
        for job, finished in sorted(state.job_last_success.items()):
            jobs.add_metric([job], finished.timestamp())
        yield jobs
        schools = GaugeMetricFamily(
            "convention_storage_level",
            "Storage alert level of the school: 0 ok, 1 warning, 2 critical (R-STO-2)",
            labels=["school"],
        )
        for school, level in sorted(state.school_levels.items()):
            schools.add_metric([school], level.rank)
        yield schools
        if state.pool_level is not None:
            yield GaugeMetricFamily(
                "convention_storage_pool_level",
                "Storage alert level of the shared pool: 0 ok, 1 warning, 2 critical (R-STO-1)",
                value=state.pool_level.rank,
            )
