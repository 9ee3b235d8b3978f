"""SQL repository of support requests (R-SUP-1, R-SUP-2). It never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import insert_ignoring_conflicts
from app.adapters.db.tables import AccountRow, RoleRow, SupportRequestRow
from app.domain.support import SupportClosure, SupportRequest, SupportStatus
from app.ports.support import SlaFilter

T = SupportRequestRow


def support_request_from_row(row: SupportRequestRow) -> SupportRequest:
    return SupportRequest(
        id=row.id,
        message_id=row.message_id,
        content_sha256=row.content_sha256,
        received_at=row.received_at,
        from_email=row.from_email,
        subject=row.subject,
        school_code=row.school_code,
        response_due_at=row.response_due_at,
        status=SupportStatus(row.status),
        responded_at=row.responded_at,
        closed_at=row.closed_at,
        business_seconds_to_response=row.business_seconds_to_response,
        created_at=row.created_at,
        erased_at=row.erased_at,
        last_message_at=row.last_message_at,
        closure=SupportClosure(row.closure) if row.closure else None,
    )


def _sla_condition(sla: SlaFilter) -> Any:
    """SQL twin of `app.domain.support.sla_state` (R-SUP-1, R-SUP-2) at `sla.now`, for
    list filters on the hot path (a closed request without an answer has no state and
    matches none). The rule lives in the domain function; this twin must give the same
    answers, which tests/integration/test_sla_sql_twin.py checks on generated cases on
    SQLite and PostgreSQL."""
    is_open = T.status == SupportStatus.open.value
    answered = T.responded_at.is_not(None)  # type: ignore[union-attr]
    if sla.state == "met":
        return and_(answered, T.responded_at <= T.response_due_at)  # type: ignore[operator]
    if sla.state == "breached":
        return or_(
            and_(answered, T.responded_at > T.response_due_at),  # type: ignore[operator]
            and_(is_open, T.response_due_at < sla.now),
        )
    if sla.state == "at_risk":
        return and_(is_open, T.response_due_at >= sla.now, T.response_due_at < sla.risk_until)
    if sla.state == "on_track":
        return and_(is_open, T.response_due_at >= sla.risk_until)
    raise ValueError(f"unknown sla_state {sla.state!r}")


def _schools(school_codes: Sequence[str] | None) -> Any:
    if school_codes is None:
        return None
    return T.school_code.in_(list(school_codes))  # type: ignore[union-attr]


class SqlSupportRequestRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, request_id: str) -> SupportRequest | None:
        row = await self.session.get(T, request_id)
        return support_request_from_row(row) if row else None

    async def by_message_id(self, message_id: str) -> SupportRequest | None:
        row = (
            await self.session.execute(select(T).where(T.message_id == message_id))
        ).scalar_one_or_none()
        return support_request_from_row(row) if row else None

    async def add(self, request: SupportRequest) -> bool:
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, T).values(
                id=request.id,
                message_id=request.message_id,
                content_sha256=request.content_sha256,
                received_at=request.received_at,
                from_email=request.from_email,
                subject=request.subject,
                school_code=request.school_code,
                response_due_at=request.response_due_at,
                status=request.status.value,
                responded_at=request.responded_at,
                closed_at=request.closed_at,
                business_seconds_to_response=request.business_seconds_to_response,
                created_at=request.created_at,
                last_message_at=request.last_message,
                closure=request.closure.value if request.closure else None,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def transition(self, request: SupportRequest, *, expected: SupportStatus) -> bool:
        result = await self.session.execute(
            update(T)
            .where(T.id == request.id, T.status == expected.value)
            .values(
                status=request.status.value,
                responded_at=request.responded_at,
                closed_at=request.closed_at,
                business_seconds_to_response=request.business_seconds_to_response,
                last_message_at=request.last_message,
                closure=request.closure.value if request.closure else None,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def answered_silent_before(self, before: datetime) -> list[SupportRequest]:
        rows = (
            await self.session.execute(
                select(T)
                .where(T.status == SupportStatus.answered.value, T.last_message_at < before)
                .order_by(T.id)
            )
        ).scalars()
        return [support_request_from_row(r) for r in rows]

    async def record_message(self, request_id: str, at: datetime) -> None:
        await self.session.execute(
            update(T).where(T.id == request_id, T.last_message_at < at)
            .values(last_message_at=at)
        )

    async def open_requests(self) -> list[SupportRequest]:
        rows = (
            await self.session.execute(
                select(T).where(T.status == SupportStatus.open.value).order_by(T.id)
            )
        ).scalars()
        return [support_request_from_row(r) for r in rows]

    async def set_response_due_at(self, request_id: str, due: datetime) -> None:
        await self.session.execute(update(T).where(T.id == request_id).values(response_due_at=due))

    async def list(
        self, *, status: SupportStatus | None, sla: SlaFilter | None,
        school_codes: Sequence[str] | None, after_id: str | None, limit: int,
    ) -> list[SupportRequest]:
        query = select(T)
        if status is not None:
            query = query.where(T.status == status.value)
        if sla is not None:
            query = query.where(_sla_condition(sla))
        schools = _schools(school_codes)
        if schools is not None:
            query = query.where(schools)
        if after_id is not None:
            query = query.where(T.id > after_id)
        rows = (await self.session.execute(query.order_by(T.id).limit(limit))).scalars()
        return [support_request_from_row(r) for r in rows]

    async def received_between(
        self, start: datetime | None, end: datetime | None, *,
        school_codes: Sequence[str] | None,
    ) -> list[SupportRequest]:
        query = select(T)
        if start is not None:
            query = query.where(T.received_at >= start)
        if end is not None:
            query = query.where(T.received_at < end)
        schools = _schools(school_codes)
        if schools is not None:
            query = query.where(schools)
        rows = (await self.session.execute(query.order_by(T.received_at, T.id))).scalars()
        return [support_request_from_row(r) for r in rows]

    async def sender_schools(self, email: str) -> set[str]:
        rows = await self.session.execute(
            select(RoleRow.school_code)
            .join(AccountRow, AccountRow.uid == RoleRow.uid)
            .where(
                func.lower(AccountRow.email) == email.lower(),
                AccountRow.erased_at.is_(None),  # type: ignore[union-attr]
            )
            .distinct()
        )
        return set(rows.scalars())
