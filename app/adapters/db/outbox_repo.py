"""SQL repository of the outbox: queued mails, their leases and delivery attempts. It
never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import insert_ignoring_conflicts
from app.adapters.db.tables import (
    OutboxAttemptRow,
    OutboxMessageRow,
)
from app.ports.outbox import OutboxAttempt, OutboxMessage, OutgoingMail

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
