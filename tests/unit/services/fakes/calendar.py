"""Fakes of UT's closures and of the periodic jobs' runs."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.domain.calendar import Closure
from app.ports.jobs import JobRun
from tests.unit.services.fakes.store import FakeRepository, serves
from tests.unit.services.fakes.store import Sequence as Ids


@serves("closures")
class FakeClosureRepository(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, Closure] = {}
        self.locked = False

    async def list(self) -> list[tuple[str, Closure]]:
        return sorted(self.rows.items(), key=lambda item: item[1].starts_on)

    async def add(self, closure_id: str, closure: Closure, *, now: datetime) -> None:
        self.rows[closure_id] = closure

    async def delete(self, closure_id: str) -> Closure | None:
        return self.rows.pop(closure_id, None)

    async def lock_for_change(self) -> None:
        self.locked = True


@serves("job_runs")
class FakeJobRunRepository(FakeRepository):
    def __init__(self) -> None:
        self.runs: dict[int, JobRun] = {}
        self.ids = Ids()

    async def last_success(self, job: str) -> JobRun | None:
        done = [r for r in self.runs.values() if r.job == job and r.outcome == "succeeded"]
        return max(done, key=lambda r: (r.scheduled_for, r.id), default=None)

    async def start(self, job: str, *, scheduled_for: datetime, now: datetime) -> int:
        run_id = self.ids.next()
        self.runs[run_id] = JobRun(run_id, job, scheduled_for, now, None, "running")
        return run_id

    async def finish(
        self, run_id: int, *, now: datetime, outcome: str, counts: dict[str, Any],
        error: str | None,
    ) -> None:
        self.runs[run_id] = replace(
            self.runs[run_id], finished_at=now, outcome=outcome, counts=counts, error=error
        )

    async def list(self, *, job: str | None, before_id: int | None, limit: int) -> list[JobRun]:
        found = [
            r for i, r in sorted(self.runs.items(), reverse=True)
            if (job is None or r.job == job) and (before_id is None or i < before_id)
        ]
        return found[:limit]

    async def abandon_running(self, job: str, *, now: datetime) -> int:
        running = [r for r in self.runs.values() if r.job == job and r.outcome == "running"]
        for r in running:
            self.runs[r.id] = replace(
                r, outcome="failed", finished_at=now,
                error="abandoned: the runner stopped before the job finished",
            )
        return len(running)

    async def last_successes(self, jobs: Sequence[str]) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        for job in jobs:
            done = [r for r in self.runs.values() if r.job == job and r.outcome == "succeeded"]
            latest = max(done, key=lambda r: (r.started_at, r.id), default=None)
            if latest is not None and latest.finished_at is not None:
                found[job] = latest.finished_at
        return found


class FakeJobLocks:
    """One runner per job: `held` names the jobs another runner holds."""

    def __init__(self, held: Sequence[str] = ()) -> None:
        self.held = set(held)

    @asynccontextmanager
    async def hold(self, job: str):
        if job in self.held:
            yield False
            return
        self.held.add(job)
        try:
            yield True
        finally:
            self.held.discard(job)
