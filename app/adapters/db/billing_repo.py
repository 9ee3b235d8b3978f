"""SQL repository of billing statements and payments. It never commits.

A version's payments are those of its chain: the payments recorded against it and the
versions of the same year it supersedes (every earlier version: only the latest version
of a year can be a draft, and drafts take no payment)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import advisory_xact_lock
from app.adapters.db.tables import PaymentRow, StatementRow
from app.domain.billing import Payment, Statement, StatementStatus
from app.ports.billing import StatementPage

STATEMENTS = StatementRow.__table__  # type: ignore[attr-defined]
PAYMENTS = PaymentRow.__table__  # type: ignore[attr-defined]
_S = STATEMENTS.c
_P = PAYMENTS.c

# pg_advisory_xact_lock(key, year): "bill" in ASCII, then the academic year.
_YEAR_LOCK_KEY = 0x62696C6C


def _statement(row: Any, payments: Iterable[Payment] = ()) -> Statement:
    return Statement(
        id=row.id,
        number=row.number,
        academic_year=row.academic_year,
        version=row.version,
        status=StatementStatus(row.status),
        census_on=row.census_on,
        rate_per_student_cents=row.rate_per_student_cents,
        total_students=row.total_students,
        total_amount_cents=row.total_amount_cents,
        content=row.content,
        content_sha256=row.content_sha256,
        generated_at=row.generated_at,
        issued_at=row.issued_at,
        supersedes_id=row.supersedes_id,
        superseded_by_id=row.superseded_by_id,
        revision_reason=row.revision_reason,
        updated_at=row.updated_at,
        payments=tuple(payments),
    )


class SqlBillingRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def lock_year(self, academic_year: int) -> None:
        """PostgreSQL: a transaction-scoped advisory lock per year; SQLite: BEGIN
        IMMEDIATE already holds the database's write lock for the whole transaction."""
        await advisory_xact_lock(self.session, _YEAR_LOCK_KEY, academic_year)

    async def _payments_of_years(self, years: Collection[int]) -> list[tuple[int, int, Payment]]:
        """(academic_year, version of the statement, payment) for these years."""
        if not years:
            return []
        rows = await self.session.execute(
            select(PAYMENTS, _S.number, _S.academic_year, _S.version)
            .join(STATEMENTS, _S.id == _P.statement_id)
            .where(_S.academic_year.in_(sorted(years)))
        )
        return [
            (
                r.academic_year,
                r.version,
                Payment(
                    id=r.id, statement_id=r.statement_id, statement_number=r.number,
                    received_on=r.received_on, amount_cents=r.amount_cents,
                    reference=r.reference, created_at=r.created_at,
                ),
            )
            for r in rows
        ]

    async def _with_payments(self, rows: list[Any]) -> list[Statement]:
        found = await self._payments_of_years({r.academic_year for r in rows})
        return [
            _statement(
                r,
                (p for year, version, p in found
                 if year == r.academic_year and version <= r.version),
            )
            for r in rows
        ]

    async def get(self, statement_id: str) -> Statement | None:
        row = (await self.session.execute(select(STATEMENTS).where(_S.id == statement_id))).first()
        if row is None:
            return None
        return (await self._with_payments([row]))[0]

    async def of_year(self, academic_year: int) -> list[Statement]:
        rows = await self.session.execute(
            select(STATEMENTS).where(_S.academic_year == academic_year).order_by(_S.version)
        )
        return [_statement(r) for r in rows]

    async def add(self, statement: Statement) -> None:
        await self.session.execute(
            insert(STATEMENTS).values(
                id=statement.id,
                number=statement.number,
                academic_year=statement.academic_year,
                version=statement.version,
                status=statement.status.value,
                census_on=statement.census_on,
                rate_per_student_cents=statement.rate_per_student_cents,
                total_students=statement.total_students,
                total_amount_cents=statement.total_amount_cents,
                content=dict(statement.content),
                content_sha256=statement.content_sha256,
                generated_at=statement.generated_at,
                issued_at=statement.issued_at,
                supersedes_id=statement.supersedes_id,
                superseded_by_id=statement.superseded_by_id,
                revision_reason=statement.revision_reason,
                updated_at=statement.updated_at,
            )
        )

    async def save(self, statement: Statement) -> None:
        await self.session.execute(
            update(STATEMENTS)
            .where(_S.id == statement.id)
            .values(
                status=statement.status.value,
                content=dict(statement.content),
                content_sha256=statement.content_sha256,
                issued_at=statement.issued_at,
                superseded_by_id=statement.superseded_by_id,
                updated_at=statement.updated_at,
            )
        )

    async def delete(self, statement_id: str) -> None:
        await self.session.execute(delete(STATEMENTS).where(_S.id == statement_id))

    async def add_payment(self, payment: Payment) -> None:
        await self.session.execute(
            insert(PAYMENTS).values(
                id=payment.id,
                statement_id=payment.statement_id,
                received_on=payment.received_on,
                amount_cents=payment.amount_cents,
                reference=payment.reference,
                created_at=payment.created_at,
            )
        )

    async def list(
        self,
        *,
        academic_year: int | None,
        statuses: Collection[StatementStatus],
        updated_since: datetime | None,
        after: StatementPage | None,
        limit: int,
    ) -> list[Statement]:
        if not statuses:
            return []
        query = (
            select(STATEMENTS)
            .where(_S.status.in_(sorted(s.value for s in statuses)))
            .order_by(_S.updated_at, _S.id)
            .limit(limit)
        )
        if academic_year is not None:
            query = query.where(_S.academic_year == academic_year)
        if updated_since is not None:
            query = query.where(_S.updated_at >= updated_since)
        if after is not None:
            query = query.where(
                or_(
                    _S.updated_at > after.updated_at,
                    and_(_S.updated_at == after.updated_at, _S.id > after.id),
                )
            )
        rows = list(await self.session.execute(query))
        return await self._with_payments(rows)
