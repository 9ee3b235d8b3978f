"""In-memory billing repository (`uow.billing`): statements and their chains' payments."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from app.domain.billing import Payment, Statement, StatementStatus
from app.ports.billing import StatementPage
from tests.unit.services.fakes.store import FakeRepository, serves


@serves("billing")
class FakeBillingRepository(FakeRepository):
    def __init__(self) -> None:
        self.statements: dict[str, Statement] = {}
        self.payments: list[Payment] = []
        self.locked_years: list[int] = []

    async def lock_year(self, academic_year: int) -> None:
        self.locked_years.append(academic_year)

    def _with_chain_payments(self, s: Statement) -> Statement:
        """A version's payments: those of its year's versions up to it (its chain)."""
        chain = {
            v.id
            for v in self.statements.values()
            if v.academic_year == s.academic_year and v.version <= s.version
        }
        return replace(s, payments=tuple(p for p in self.payments if p.statement_id in chain))

    async def get(self, statement_id: str) -> Statement | None:
        found = self.statements.get(statement_id)
        return self._with_chain_payments(found) if found else None

    async def of_year(self, academic_year: int) -> list[Statement]:
        return sorted(
            (
                replace(s, payments=())
                for s in self.statements.values()
                if s.academic_year == academic_year
            ),
            key=lambda s: s.version,
        )

    async def add(self, statement: Statement) -> None:
        self.statements[statement.id] = replace(statement, payments=())

    async def save(self, statement: Statement) -> None:
        stored = self.statements[statement.id]
        self.statements[statement.id] = replace(
            stored,
            status=statement.status,
            content=statement.content,
            content_sha256=statement.content_sha256,
            issued_at=statement.issued_at,
            superseded_by_id=statement.superseded_by_id,
            updated_at=statement.updated_at,
        )

    async def delete(self, statement_id: str) -> None:
        self.statements.pop(statement_id, None)

    async def add_payment(self, payment: Payment) -> None:
        self.payments.append(payment)

    async def list(
        self,
        *,
        academic_year: int | None,
        statuses: Collection[StatementStatus],
        updated_since: datetime | None,
        after: StatementPage | None,
        limit: int,
    ) -> list[Statement]:
        found = sorted(
            (
                s
                for s in self.statements.values()
                if s.status in statuses
                and (academic_year is None or s.academic_year == academic_year)
                and (updated_since is None or s.updated_at >= updated_since)
                and (after is None or (s.updated_at, s.id) > (after.updated_at, after.id))
            ),
            key=lambda s: (s.updated_at, s.id),
        )
        return [self._with_chain_payments(s) for s in found[:limit]]
