"""Periodic jobs: a registry of (name, schedule, use case) and the runner.

The runner is the same for `convention-api jobs run [NAME] [--at INSTANT]` (cron, a
Kubernetes CronJob, tests and operators replaying a day) and for the in-process scheduler
of the embedded mode. For each job it takes the job's lock without waiting (a PostgreSQL
advisory lock across replicas; another runner holding it means "skip"), then, inside the
lock, re-checks due-ness against the last successful run, records the run (`running`),
runs the use case and records its end, outcome and counts. Two runners therefore never
run the same slot of a job twice.

`at` is the instant the jobs run "as of": the use cases get a clock frozen at `at` when it
is given, the runner's clock otherwise."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.domain.auth import SYSTEM, Principal
from app.domain.errors import NotFound
from app.domain.redaction import without_addresses
from app.domain.schedules import Schedule, due_slot
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.jobs import JobLocks, JobRun
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services.visibility import confined, unschooled_or_404

log = logging.getLogger("app.jobs")

_JOB_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ERROR_MAX = 1000


@dataclass(frozen=True)
class FrozenClock:
    """The clock of a run "as of" an instant."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


@dataclass(frozen=True)
class JobContext:
    """What a job's use case receives."""

    at: datetime
    clock: Clock
    uow_factory: UnitOfWorkFactory
    actor: Actor = field(default_factory=lambda: Actor(SYSTEM))


JobFunction = Callable[[JobContext], Awaitable[Mapping[str, int]]]


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    run: JobFunction
    description: str

    def __post_init__(self) -> None:
        if not _JOB_NAME.fullmatch(self.name) or len(self.name) > 100:
            raise ValueError(f"a job name is kebab-case, at most 100 characters: {self.name!r}")


class JobRegistry:
    """The jobs of the service, in registration order."""

    def __init__(self, jobs: Iterable[Job] = ()):
        self._jobs: dict[str, Job] = {}
        for job in jobs:
            self.register(job)

    def register(self, job: Job) -> Job:
        if job.name in self._jobs:
            raise ValueError(f"job {job.name!r} is already registered")
        self._jobs[job.name] = job
        return job

    def get(self, name: str) -> Job:
        try:
            return self._jobs[name]
        except KeyError:
            raise NotFound("no such job", code="job-not-found") from None

    def names(self) -> list[str]:
        return list(self._jobs)

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)


@dataclass(frozen=True)
class JobOutcome:
    """What the runner did with a job: `succeeded`, `failed`, `not-due` or `locked`."""

    job: str
    outcome: str
    scheduled_for: datetime | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    run_id: int | None = None


def _error_text(exc: BaseException) -> str:
    return without_addresses(f"{type(exc).__name__}: {exc}", ERROR_MAX)


async def _begin(
    uow: UnitOfWork, job: Job, *, at: datetime, now: datetime, force: bool
) -> tuple[int, datetime] | None:
    await uow.job_runs.abandon_running(job.name, now=now)
    last = await uow.job_runs.last_success(job.name)
    slot = due_slot(job.schedule, at, last.scheduled_for if last else None)
    if slot is None and not force:
        await uow.commit()
        return None
    scheduled_for = at if force else slot
    assert scheduled_for is not None
    run_id = await uow.job_runs.start(job.name, scheduled_for=scheduled_for, now=now)
    await uow.commit()
    return run_id, scheduled_for


async def _run_one(
    job: Job, *, uow_factory: UnitOfWorkFactory, locks: JobLocks, clock: Clock,
    at: datetime | None, force: bool,
) -> JobOutcome:
    async with locks.hold(job.name) as held:
        if not held:
            return JobOutcome(job.name, "locked")
        as_of = at if at is not None else clock.now()
        async with uow_factory() as uow:
            begun = await _begin(uow, job, at=as_of, now=clock.now(), force=force)
        if begun is None:
            return JobOutcome(job.name, "not-due")
        run_id, scheduled_for = begun
        context = JobContext(
            at=as_of, clock=FrozenClock(at) if at is not None else clock, uow_factory=uow_factory
        )
        counts: dict[str, int] = {}
        error: str | None = None
        try:
            counts = {str(k): int(v) for k, v in (await job.run(context) or {}).items()}
        except Exception as exc:
            error = _error_text(exc)
            log.exception("job failed", extra={"job": job.name, "run_id": run_id})
        outcome = "failed" if error else "succeeded"
        async with uow_factory() as uow:
            await uow.job_runs.finish(
                run_id, now=clock.now(), outcome=outcome, counts=counts, error=error
            )
            await uow.commit()
        return JobOutcome(job.name, outcome, scheduled_for, counts, error, run_id)


async def run_due(
    registry: JobRegistry, *, uow_factory: UnitOfWorkFactory, locks: JobLocks, clock: Clock,
    at: datetime | None = None,
) -> list[JobOutcome]:
    """Run every job due as of `at` (default: now), one after the other."""
    return [
        await _run_one(job, uow_factory=uow_factory, locks=locks, clock=clock, at=at, force=False)
        for job in registry
    ]


async def run_job(
    registry: JobRegistry, name: str, *, uow_factory: UnitOfWorkFactory, locks: JobLocks,
    clock: Clock, at: datetime | None = None,
) -> JobOutcome:
    """Run one job as of `at` (default: now), due or not (an operator's explicit
    request), still under its lock; the run counts as the slot `at`."""
    job = registry.get(name)
    return await _run_one(job, uow_factory=uow_factory, locks=locks, clock=clock, at=at, force=True)


async def run_scheduler(
    registry: JobRegistry, *, uow_factory: UnitOfWorkFactory, locks: JobLocks, clock: Clock,
    tick_seconds: float, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> None:
    """The embedded mode's scheduler: run what is due, wait a tick, again, until
    cancelled. A failing round (database down) is logged and retried next tick."""
    while True:
        try:
            await run_due(registry, uow_factory=uow_factory, locks=locks, clock=clock)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler round failed")
        await sleep(tick_seconds)


@dataclass(frozen=True)
class JobStatus:
    job: Job
    last_run: JobRun | None
    last_success: JobRun | None


async def job_statuses(
    uow: UnitOfWork, registry: JobRegistry, principal: Principal, *, after: str | None,
    limit: int,
) -> list[JobStatus]:
    """The registered jobs by name (keyset `after`), each with its last run and last
    successful run. Jobs name no school: none is listed to a caller confined to schools."""
    if confined(principal):
        return []
    jobs = sorted((j for j in registry if after is None or j.name > after), key=lambda j: j.name)
    out: list[JobStatus] = []
    async with uow:
        for job in jobs[:limit]:
            last = await uow.job_runs.list(job=job.name, before_id=None, limit=1)
            success = await uow.job_runs.last_success(job.name)
            out.append(JobStatus(job, last[0] if last else None, success))
    return out


async def job_runs(
    uow: UnitOfWork, registry: JobRegistry, principal: Principal, name: str, *,
    before_id: int | None, limit: int,
) -> list[JobRun]:
    """Runs of one registered job, newest first (a caller confined to schools: 404)."""
    unschooled_or_404(principal, "no such job", code="job-not-found")
    registry.get(name)
    async with uow:
        return await uow.job_runs.list(job=name, before_id=before_id, limit=limit)
