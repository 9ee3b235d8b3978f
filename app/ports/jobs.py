"""Periodic jobs: their runs and the lock that keeps one runner of a job at a time."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class JobRunRepository(Protocol):
    async def last_success(self, job: str) -> JobRun | None: ...
    async def start(self, job: str, *, scheduled_for: datetime, now: datetime) -> int: ...
    async def finish(
        self,
        run_id: int,
        *,
        now: datetime,
        outcome: str,
        counts: dict[str, Any],
        error: str | None,
    ) -> None: ...
    async def list(self, *, job: str | None, before_id: int | None, limit: int) -> list[JobRun]: ...

    async def abandon_running(self, job: str, *, now: datetime) -> int:
        """Mark `running` rows of `job` failed: called under the job's lock, they belong
        to a runner that stopped before finishing."""
        ...

    async def last_successes(self, jobs: Sequence[str]) -> dict[str, datetime]:
        """When the latest successful run of each of `jobs` finished (absent: never),
        in one cheap query (the (job, started_at) index), for /metrics."""
        ...


class JobLocks(Protocol):
    """One runner of a job at a time, across processes (PostgreSQL advisory lock)."""

    def hold(self, job: str) -> AbstractAsyncContextManager[bool]:
        """Try to take the job's lock without waiting: yields False when another runner
        holds it, True (and holds it until exit) otherwise."""
        ...
