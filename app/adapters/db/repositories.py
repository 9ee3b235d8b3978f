"""SQL repositories: rows in, domain objects out. They never commit (the unit of work does)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.raw import as_row, select_list, transaction_connection
from app.adapters.db.tables import (
    ApiClientRow,
    AuditEventRow,
    ClosureRow,
    ConventionRow,
    JobRunRow,
    OutboxAttemptRow,
    OutboxMessageRow,
    SchoolRow,
)
from app.domain.calendar import Closure
from app.domain.reference import ConventionReference
from app.domain.schools import School
from app.ports.audit import AuditEvent
from app.ports.clients import ApiClient
from app.ports.jobs import JobRun
from app.ports.outbox import OutboxAttempt, OutboxMessage, OutgoingMail


def _postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


# Raw statements of the hot paths on PostgreSQL (app/adapters/db/raw.py).
_SCHOOLS = SchoolRow.__table__  # type: ignore[attr-defined]
_PG_SCHOOL = f"SELECT {select_list(_SCHOOLS)} FROM schools WHERE code = $1"
_PG_CLOSURES = "SELECT id, starts_on, ends_on, label FROM closures ORDER BY starts_on"
_PG_AUDIT = (
    "INSERT INTO audit_events (occurred_at, actor, client_id, action, resource_type, "
    "resource_id, request_id, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json)"
)


def insert_ignoring_conflicts(session: AsyncSession, table: Any):
    """INSERT … ON CONFLICT DO NOTHING for the session's dialect."""
    dialect = session.bind.dialect.name if session.bind is not None else "postgresql"
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    return builder(table).on_conflict_do_nothing()


class SqlConventionRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self) -> ConventionReference | None:
        row = await self.session.get(ConventionRow, 1)
        if row is None:
            return None
        return ConventionReference(
            reference=row.reference,
            title=row.title,
            effective_from=row.effective_from,
            ends_on=row.ends_on,
            storage_capacity_bytes=row.storage_capacity_bytes,
            school_alert_threshold_bytes=row.school_alert_threshold_bytes,
            rate_per_student_cents=row.rate_per_student_cents,
            currency=row.currency,
            parties=tuple(row.parties),
            payee=dict(row.payee),
            dpo_contacts=tuple(row.dpo_contacts),
            platform=dict(row.platform),
        )

    async def add(self, ref: ConventionReference) -> None:
        self.session.add(
            ConventionRow(
                id=1,
                reference=ref.reference,
                title=ref.title,
                effective_from=ref.effective_from,
                ends_on=ref.ends_on,
                storage_capacity_bytes=ref.storage_capacity_bytes,
                school_alert_threshold_bytes=ref.school_alert_threshold_bytes,
                rate_per_student_cents=ref.rate_per_student_cents,
                currency=ref.currency,
                parties=list(ref.parties),
                payee=dict(ref.payee),
                dpo_contacts=list(ref.dpo_contacts),
                platform=dict(ref.platform),
            )
        )
        await self.session.flush()

    async def set_size_figures(self, capacity_bytes: int, threshold_bytes: int) -> None:
        row = await self.session.get(ConventionRow, 1, with_for_update=True)
        assert row is not None  # the caller read the reference in this transaction
        row.storage_capacity_bytes = capacity_bytes
        row.school_alert_threshold_bytes = threshold_bytes
        await self.session.flush()


def school_from_row(row: SchoolRow) -> School:
    return School(
        code=row.code,
        name=row.name,
        group=row.group_name,
        sites=tuple(row.sites),
        amendment_reference=row.amendment_reference,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlSchoolRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, code: str) -> School | None:
        if _postgres(self.session):  # on the account-request hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_SCHOOL, code)
            return school_from_row(as_row(_SCHOOLS, found)) if found else None  # type: ignore[arg-type]
        row = await self.session.get(SchoolRow, code)
        return school_from_row(row) if row else None

    async def list(
        self, *, codes: Sequence[str] | None, after: str | None, limit: int
    ) -> list[School]:
        query = select(SchoolRow).order_by(SchoolRow.code).limit(limit)
        if codes is not None:
            query = query.where(SchoolRow.code.in_(list(codes)))  # type: ignore[attr-defined]
        if after is not None:
            query = query.where(SchoolRow.code > after)
        rows = (await self.session.execute(query)).scalars().all()
        return [school_from_row(r) for r in rows]

    async def add(self, school: School) -> bool:
        """Insert unless the code is taken (False: a concurrent creation won)."""
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, SchoolRow).values(
                code=school.code,
                name=school.name,
                group_name=school.group,
                sites=list(school.sites),
                amendment_reference=school.amendment_reference,
                version=school.version,
                created_at=school.created_at,
                updated_at=school.updated_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def update(self, school: School, *, expected_version: int) -> bool:
        result = await self.session.execute(
            update(SchoolRow)
            .where(SchoolRow.code == school.code, SchoolRow.version == expected_version)
            .values(
                name=school.name,
                group_name=school.group,
                sites=list(school.sites),
                version=school.version,
                updated_at=school.updated_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def codes(self) -> set[str]:
        return set((await self.session.execute(select(SchoolRow.code))).scalars().all())


def _client(row: ApiClientRow) -> ApiClient:
    return ApiClient(
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=tuple(row.scopes.split()),
        schools=tuple(row.schools) if row.schools is not None else None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlClientRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, client_id: str) -> ApiClient | None:
        row = (
            await self.session.execute(
                select(ApiClientRow).where(ApiClientRow.client_id == client_id)
            )
        ).scalar_one_or_none()
        return _client(row) if row else None

    async def add(self, client: ApiClient) -> None:
        self.session.add(
            ApiClientRow(
                client_id=client.client_id,
                name=client.name,
                secret_hash=client.secret_hash,
                scopes=" ".join(client.scopes),
                schools=list(client.schools) if client.schools is not None else None,
                created_at=client.created_at,
                revoked_at=client.revoked_at,
            )
        )
        await self.session.flush()

    async def list(self) -> list[ApiClient]:
        rows = (
            await self.session.execute(select(ApiClientRow).order_by(ApiClientRow.client_id))
        ).scalars()
        return [_client(r) for r in rows]

    async def revoke(self, client_id: str, at: datetime) -> bool:
        result = await self.session.execute(
            update(ApiClientRow)
            .where(ApiClientRow.client_id == client_id, ApiClientRow.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def _audit(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        client_id=row.client_id,
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        request_id=row.request_id,
        changes=dict(row.changes),
    )


class SqlAuditRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, event: AuditEvent) -> None:
        if _postgres(self.session):  # one per state change, hot paths included (raw.py)
            statements = await transaction_connection(self.session)
            await statements.execute(
                _PG_AUDIT, event.occurred_at, event.actor, event.client_id, event.action,
                event.resource_type, event.resource_id, event.request_id,
                json.dumps(event.changes),
            )
            return
        await self.session.execute(
            insert(AuditEventRow).values(
                occurred_at=event.occurred_at,
                actor=event.actor,
                client_id=event.client_id,
                action=event.action,
                resource_type=event.resource_type,
                resource_id=event.resource_id,
                request_id=event.request_id,
                changes=event.changes,
            )
        )

    async def list(
        self,
        *,
        resource_type: str | None,
        resource_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)  # type: ignore[union-attr]
        if resource_type is not None:
            query = query.where(AuditEventRow.resource_type == resource_type)
        if resource_id is not None:
            query = query.where(AuditEventRow.resource_id == resource_id)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        if since is not None:
            query = query.where(AuditEventRow.occurred_at >= since)
        if before_id is not None:
            query = query.where(AuditEventRow.id < before_id)  # type: ignore[operator]
        rows = (await self.session.execute(query)).scalars().all()
        return [_audit(r) for r in rows]


OUTBOX_OPEN = ("pending", "retrying")


def outbox_message(row: OutboxMessageRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,  # type: ignore[arg-type]
        dedupe_key=row.dedupe_key,
        message_id=row.message_id,
        template=row.template,
        recipients=tuple(row.recipients),
        cc=tuple(row.cc),
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, mail: OutgoingMail, *, now: datetime, message_id: str) -> bool:
        statement = insert_ignoring_conflicts(self.session, OutboxMessageRow).values(
            dedupe_key=mail.dedupe_key,
            message_id=message_id,
            template=mail.template,
            recipients=list(mail.recipients),
            cc=list(mail.cc),
            subject=mail.subject,
            body_text=mail.body_text,
            body_html=mail.body_html,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        result = await self.session.execute(statement)
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def list(
        self, *, status: str | None, after_id: int | None, limit: int
    ) -> list[OutboxMessage]:
        query = select(OutboxMessageRow).order_by(OutboxMessageRow.id).limit(limit)  # type: ignore[arg-type]
        if status is not None:
            query = query.where(OutboxMessageRow.status == status)
        if after_id is not None:
            query = query.where(OutboxMessageRow.id > after_id)  # type: ignore[operator]
        return [outbox_message(r) for r in (await self.session.execute(query)).scalars()]

    async def claim(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        # One statement: the due rows are locked (SKIP LOCKED on PostgreSQL; SQLite holds
        # the database write lock since BEGIN IMMEDIATE) and leased, then returned.
        due = (
            select(OutboxMessageRow.id)
            .where(
                OutboxMessageRow.status.in_(OUTBOX_OPEN),  # type: ignore[attr-defined]
                OutboxMessageRow.next_attempt_at <= now,
                or_(
                    OutboxMessageRow.lease_until.is_(None),  # type: ignore[union-attr]
                    OutboxMessageRow.lease_until <= now,  # type: ignore[operator]
                ),
            )
            .order_by(OutboxMessageRow.id)  # type: ignore[arg-type]
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(OutboxMessageRow)
            .where(OutboxMessageRow.id.in_(due.scalar_subquery()))  # type: ignore[union-attr]
            .values(lease_until=lease_until)
            .returning(OutboxMessageRow)
            .execution_options(synchronize_session=False)
        )
        rows = (await self.session.execute(statement)).scalars().all()
        return sorted((outbox_message(r) for r in rows), key=lambda m: m.id)

    async def settle(
        self,
        message_id: int,
        *,
        lease_until: datetime,
        now: datetime,
        status: str,
        attempts: int,
        next_attempt_at: datetime,
        outcome: str,
        detail: str | None,
    ) -> bool:
        await self.session.execute(
            insert(OutboxAttemptRow).values(
                message_id=message_id, attempted_at=now, outcome=outcome, detail=detail
            )
        )
        result = await self.session.execute(
            update(OutboxMessageRow)
            .where(
                OutboxMessageRow.id == message_id,
                OutboxMessageRow.lease_until == lease_until,
                OutboxMessageRow.status.in_(OUTBOX_OPEN),  # type: ignore[attr-defined]
            )
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                lease_until=None,
                sent_at=now if status == "sent" else None,
                last_error=detail,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def attempts(self, message_id: int) -> list[OutboxAttempt]:
        rows = (
            await self.session.execute(
                select(OutboxAttemptRow)
                .where(OutboxAttemptRow.message_id == message_id)
                .order_by(OutboxAttemptRow.id)  # type: ignore[arg-type]
            )
        ).scalars()
        return [OutboxAttempt(r.message_id, r.attempted_at, r.outcome, r.detail) for r in rows]

    async def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        query = select(OutboxMessageRow).where(OutboxMessageRow.id == message_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return outbox_message(row) if row is not None else None

    async def requeue(self, message_id: int, *, now: datetime) -> OutboxMessage | None:
        row = (
            await self.session.execute(
                update(OutboxMessageRow)
                .where(OutboxMessageRow.id == message_id, OutboxMessageRow.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None,
                        last_error=None)
                .returning(OutboxMessageRow)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        return outbox_message(row) if row is not None else None

    async def count_by_status(self, statuses: Sequence[str]) -> dict[str, int]:
        # Counted on the (status, next_attempt_at) index.
        rows = await self.session.execute(
            select(OutboxMessageRow.status, func.count())
            .where(OutboxMessageRow.status.in_(list(statuses)))  # type: ignore[attr-defined]
            .group_by(OutboxMessageRow.status)
        )
        return {status: int(count) for status, count in rows}


class SqlClosureRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def lock_for_change(self) -> None:
        # Two concurrent changes must not both pass the overlap check. SQLite already
        # holds the write lock (BEGIN IMMEDIATE); PostgreSQL locks out other writers.
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("LOCK TABLE closures IN SHARE ROW EXCLUSIVE MODE"))

    async def list(self) -> list[tuple[str, Closure]]:
        if _postgres(self.session):  # every deadline computed on a hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetch(_PG_CLOSURES)
            return [(r["id"], Closure(r["starts_on"], r["ends_on"], r["label"])) for r in found]
        rows = (
            await self.session.execute(select(ClosureRow).order_by(ClosureRow.starts_on))
        ).scalars()
        return [(r.id, Closure(r.starts_on, r.ends_on, r.label)) for r in rows]

    async def add(self, closure_id: str, closure: Closure, *, now: datetime) -> None:
        await self.session.execute(
            insert(ClosureRow).values(
                id=closure_id,
                starts_on=closure.starts_on,
                ends_on=closure.ends_on,
                label=closure.label,
                created_at=now,
            )
        )

    async def delete(self, closure_id: str) -> Closure | None:
        row = await self.session.get(ClosureRow, closure_id)
        if row is None:
            return None
        closure = Closure(row.starts_on, row.ends_on, row.label)
        await self.session.execute(delete(ClosureRow).where(ClosureRow.id == closure_id))
        return closure


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


async def count_rows(session: AsyncSession, table: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(table))).scalar_one())
