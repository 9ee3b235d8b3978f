"""SQL repository of June renewal campaigns and their decisions (R-ACC-5). It never
commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import insert_ignoring_conflicts, lock_rows
from app.adapters.db.tables import (
    RenewalCampaignRow,
    RenewalDecisionRow,
)
from app.domain.accounts import RoleKind
from app.domain.renewals import Campaign, CampaignStatus, Decision


def campaign_from_row(row: RenewalCampaignRow) -> Campaign:
    return Campaign(
        academic_year=row.academic_year,
        status=CampaignStatus(row.status),
        referent_deadline=row.referent_deadline,
        trainer_deadline=row.trainer_deadline,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
    )


class SqlCampaignRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, year: int, *, for_update: bool = False) -> Campaign | None:
        query = select(RenewalCampaignRow).where(RenewalCampaignRow.academic_year == year)
        if for_update:
            query = lock_rows(self.session, query)
        row = (await self.session.execute(query)).scalar_one_or_none()
        return campaign_from_row(row) if row else None

    async def add(self, campaign: Campaign) -> bool:
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, RenewalCampaignRow).values(
                academic_year=campaign.academic_year,
                status=campaign.status.value,
                referent_deadline=campaign.referent_deadline,
                trainer_deadline=campaign.trainer_deadline,
                opened_at=campaign.opened_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def close(self, year: int, closed_at: datetime) -> None:
        await self.session.execute(
            update(RenewalCampaignRow)
            .where(RenewalCampaignRow.academic_year == year)
            .values(status=CampaignStatus.CLOSED.value, closed_at=closed_at)
        )

    async def set_deadlines(self, year: int, referent_deadline: date,
                            trainer_deadline: date) -> None:
        await self.session.execute(
            update(RenewalCampaignRow)
            .where(RenewalCampaignRow.academic_year == year,
                   RenewalCampaignRow.status == CampaignStatus.OPEN.value)
            .values(referent_deadline=referent_deadline, trainer_deadline=trainer_deadline)
        )

    async def open_campaigns(self) -> list[Campaign]:
        rows = (
            await self.session.execute(
                select(RenewalCampaignRow).where(
                    RenewalCampaignRow.status == CampaignStatus.OPEN.value
                )
            )
        ).scalars()
        return [campaign_from_row(r) for r in rows]

    async def decisions(
        self, year: int, school_code: str | None = None
    ) -> list[tuple[str, str, RoleKind, Decision]]:
        """(school_code, uid, kind, decision) of a campaign, optionally for one school."""
        query = select(RenewalDecisionRow).where(RenewalDecisionRow.academic_year == year)
        if school_code is not None:
            query = query.where(RenewalDecisionRow.school_code == school_code)
        rows = (await self.session.execute(query)).scalars()
        return [(r.school_code, r.uid, RoleKind(r.kind), Decision(r.decision)) for r in rows]

    async def replace_decisions(
        self,
        year: int,
        school_code: str,
        kinds: Sequence[RoleKind],
        decisions: Sequence[tuple[str, RoleKind, Decision]],
        now: datetime,
    ) -> None:
        await self.session.execute(
            delete(RenewalDecisionRow).where(
                RenewalDecisionRow.academic_year == year,
                RenewalDecisionRow.school_code == school_code,
                RenewalDecisionRow.kind.in_([k.value for k in kinds]),  # type: ignore[attr-defined]
            )
        )
        rows = [
            {
                "academic_year": year,
                "school_code": school_code,
                "uid": uid,
                "kind": kind.value,
                "decision": decision.value,
                "decided_at": now,
            }
            for uid, kind, decision in decisions
            if kind in kinds
        ]
        if rows:
            await self.session.execute(insert(RenewalDecisionRow), rows)
