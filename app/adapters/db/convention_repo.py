"""SQL repository of the convention's reference. It never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.tables import (
    ConventionRow,
)
from app.domain.reference import ConventionReference


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
