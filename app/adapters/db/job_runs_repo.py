"""SQL repository of the periodic jobs' runs. It never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.tables import (
    JobRunRow,
)
from app.ports.jobs import JobRun


def _job_run(row: JobRunRow) -> JobRun:
    return JobRun(
        id=row.id,  # type: ignore[arg-type]
        job=row.job,
        scheduled_for=row.scheduled_for,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
        counts=dict(row.counts or {}),
        error=row.error,
    )


class SqlJobRunRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def last_success(self, job: str) -> JobRun | None:
        row = (
            await self.session.execute(
                select(JobRunRow)
                .where(JobRunRow.job == job, JobRunRow.outcome == "succeeded")
                .order_by(JobRunRow.scheduled_for.desc(), JobRunRow.id.desc())  # type: ignore[attr-defined,union-attr]
                .limit(1)
            )
        ).scalar_one_or_none()
        return _job_run(row) if row else None

    async def start(self, job: str, *, scheduled_for: datetime, now: datetime) -> int:
        result = await self.session.execute(
            insert(JobRunRow)
            .values(
                job=job, scheduled_for=scheduled_for, started_at=now, outcome="running", counts={}
            )
            .returning(JobRunRow.id)
        )
        return int(result.scalar_one())

    async def finish(
        self,
        run_id: int,
        *,
        now: datetime,
        outcome: str,
        counts: dict[str, Any],
        error: str | None,
    ) -> None:
        await self.session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id)
            .values(finished_at=now, outcome=outcome, counts=counts, error=error)
        )

    async def list(self, *, job: str | None, before_id: int | None, limit: int) -> list[JobRun]:
        query = select(JobRunRow).order_by(JobRunRow.id.desc()).limit(limit)  # type: ignore[union-attr]
        if job is not None:
            query = query.where(JobRunRow.job == job)
        if before_id is not None:
            query = query.where(JobRunRow.id < before_id)  # type: ignore[operator]
        return [_job_run(r) for r in (await self.session.execute(query)).scalars()]

    async def abandon_running(self, job: str, *, now: datetime) -> int:
        result = await self.session.execute(
            update(JobRunRow)
            .where(JobRunRow.job == job, JobRunRow.outcome == "running")
            .values(
                outcome="failed",
                finished_at=now,
                error="abandoned: the runner stopped before the job finished",
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def last_successes(self, jobs: Sequence[str]) -> dict[str, datetime]:
        # One statement, one arm per job: the latest success found by walking the
        # (job, started_at) index backwards, never a scan of the whole history.
        arms = []
        for job in dict.fromkeys(jobs):
            latest = (
                select(JobRunRow.job, JobRunRow.finished_at)
                .where(JobRunRow.job == job, JobRunRow.outcome == "succeeded")
                .order_by(JobRunRow.started_at.desc(), JobRunRow.id.desc())  # type: ignore[attr-defined,union-attr]
                .limit(1)
                .subquery()
            )
            arms.append(select(latest.c.job, latest.c.finished_at))
        if not arms:
            return {}
        statement = arms[0] if len(arms) == 1 else union_all(*arms)
        rows = await self.session.execute(statement)
        return {job: finished for job, finished in rows if finished is not None}
