"""Periodic jobs: the registry and the recorded runs (start, end, outcome, counts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    Cursor,
    Limit,
    UowDep,
    decode_id_cursor,
    paged,
    text_cursor,
)
from app.api.responses import problems
from app.ports.jobs import JobRun
from app.schemas.jobs import JobList, JobOut, JobRunList, JobRunOut
from app.services import jobs as service
from app.services.jobs import JobRegistry

router = Router(prefix="/api/v1", tags=["operations"])


def get_registry(request: Request) -> JobRegistry:
    return container_of(request.app).jobs


RegistryDep = Annotated[JobRegistry, Depends(get_registry)]


def _run(run: JobRun) -> JobRunOut:
    return JobRunOut(
        id=run.id, job=run.job, scheduled_for=run.scheduled_for, started_at=run.started_at,
        finished_at=run.finished_at, outcome=run.outcome,  # type: ignore[arg-type]
        counts=run.counts, error=run.error,
    )


@router.get(
    "/jobs",
    summary="Periodic jobs, with their last run",
    description=(
        "The registered jobs by name: schedule, last recorded run (start, end, outcome, "
        "counts) and when one last succeeded. Jobs run through `convention-api jobs run` "
        "or the embedded scheduler. Jobs name no school: a caller confined to schools "
        "gets an empty list."
    ),
    response_model=JobList,
    responses=problems(),
)
async def list_jobs(
    uow: UowDep,
    registry: RegistryDep,
    caller: Annotated[Caller, Depends(caller_with("audit:read"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JobList:
    statuses = await service.job_statuses(
        uow, registry, caller.principal, after=text_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = paged(statuses, limit, lambda r: r.job.name)
    return JobList(
        items=[
            JobOut(
                name=s.job.name,
                description=s.job.description,
                schedule=s.job.schedule.describe(),
                last_run=_run(s.last_run) if s.last_run else None,
                last_success_at=s.last_success.finished_at if s.last_success else None,
            )
            for s in page
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/jobs/{name}/runs",
    summary="Recorded runs of one job, newest first",
    description="Runs of one job, newest first (a caller confined to schools: 404).",
    response_model=JobRunList,
    responses=problems(404),
)
async def list_job_runs(
    uow: UowDep,
    registry: RegistryDep,
    caller: Annotated[Caller, Depends(caller_with("audit:read"))],
    name: Annotated[str, Path(max_length=100)],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> JobRunList:
    runs = await service.job_runs(
        uow, registry, caller.principal, name, before_id=decode_id_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = paged(runs, limit, lambda r: r.id)
    return JobRunList(
        items=[_run(r) for r in page],
        next_cursor=next_cursor,
    )
