"""SQL reading of the obligations register's facts (a few bulk SELECTs of the columns
the rules need) and storage of its evidence and waivers. It never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import insert_ignoring_conflicts
from app.adapters.db.tables import (
    AccountRequestRow,
    AccountRow,
    ObligationEvidenceRow,
    ObligationWaiverRow,
    OutboxMessageRow,
    PaymentRow,
    RenewalCampaignRow,
    RenewalDecisionRow,
    RoleRow,
    StatementRow,
    StorageAlertRow,
    SupportRequestRow,
    SuspensionRow,
    TrainingRow,
)
from app.domain.calendar import paris_date
from app.domain.obligations import Evidence, Waiver
from app.domain.obligations.campaigns import ReferentSpan
from app.domain.obligations.requests import (
    AccountRequestFacts,
    RestorationFacts,
    SupportFacts,
    TrainingFacts,
)
from app.domain.obligations.storage import LevelEvent
from app.domain.obligations.yearly import StatementFacts
from app.ports.obligations import CampaignFacts, MailFacts, Schools


def _table(row: Any) -> Any:
    return row.__table__


REQUESTS = _table(AccountRequestRow).c
TRAININGS = _table(TrainingRow).c
SUPPORT = _table(SupportRequestRow).c
SUSPENSIONS = _table(SuspensionRow).c
ROLES = _table(RoleRow).c
ACCOUNTS = _table(AccountRow).c
DECISIONS = _table(RenewalDecisionRow).c
CAMPAIGNS = _table(RenewalCampaignRow).c
OUTBOX = _table(OutboxMessageRow).c
ALERTS = _table(StorageAlertRow).c
STATEMENTS = _table(StatementRow).c
PAYMENTS = _table(PaymentRow).c
EVIDENCE = _table(ObligationEvidenceRow)
WAIVERS = _table(ObligationWaiverRow)


def _schools(statement: Any, column: Any, schools: Schools) -> Any:
    return statement if schools is None else statement.where(column.in_(list(schools)))


def _evidence(row: Any) -> Evidence:
    return Evidence(
        occurred=row.occurred_at if row.occurred_at is not None else row.occurred_on,
        document_ref=row.document_ref, note=row.note, recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _waiver(row: Any) -> Waiver:
    return Waiver(reason=row.reason, recorded_at=row.recorded_at, recorded_by=row.recorded_by)


class SqlObligationRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def _rows(self, statement: Any) -> Sequence[Any]:
        return (await self.session.execute(statement)).all()

    async def account_requests(self, schools: Schools) -> list[AccountRequestFacts]:
        query = select(
            REQUESTS.id, REQUESTS.school_code, REQUESTS.kind, REQUESTS.academic_year,
            REQUESTS.received_at, REQUESTS.due_on, REQUESTS.status, REQUESTS.fulfilled_at,
            REQUESTS.closed_at,
        )
        return [
            AccountRequestFacts(*row)
            for row in await self._rows(_schools(query, REQUESTS.school_code, schools))
        ]

    async def trainings(self, schools: Schools) -> list[TrainingFacts]:
        query = select(
            TRAININGS.id, TRAININGS.school_code, TRAININGS.created_at, TRAININGS.due_on,
            TRAININGS.proposed_on,
        )
        return [
            TrainingFacts(*row)
            for row in await self._rows(_schools(query, TRAININGS.school_code, schools))
        ]

    async def support_requests(self, schools: Schools) -> list[SupportFacts]:
        query = select(
            SUPPORT.id, SUPPORT.school_code, SUPPORT.received_at, SUPPORT.response_due_at,
            SUPPORT.responded_at, SUPPORT.closed_at,
        )
        return [
            SupportFacts(*row)
            for row in await self._rows(_schools(query, SUPPORT.school_code, schools))
        ]

    async def restorations(self, schools: Schools) -> list[RestorationFacts]:
        query = select(
            SUSPENSIONS.id, SUSPENSIONS.school_code, SUSPENSIONS.restoration_requested_at,
            SUSPENSIONS.lifted_at, SUSPENSIONS.restoration_refused_at,
        ).where(SUSPENSIONS.restoration_requested_at.is_not(None))
        return [
            RestorationFacts(*row)
            for row in await self._rows(_schools(query, SUSPENSIONS.school_code, schools))
        ]

    def _hosted_roles(self, kinds: Sequence[str], schools: Schools) -> Any:
        query = (
            select(ROLES.school_code, ROLES.kind, ROLES.valid_from, ROLES.valid_until)
            .join(_table(AccountRow), ACCOUNTS.uid == ROLES.uid)
            .where(ROLES.kind.in_(list(kinds)), ACCOUNTS.erased_at.is_(None))
        )
        return _schools(query, ROLES.school_code, schools)

    async def hosted_role_ends(self, schools: Schools) -> set[tuple[str, str, date]]:
        rows = await self._rows(self._hosted_roles(("referent", "trainer"), schools))
        return {(row.school_code, row.kind, row.valid_until) for row in rows}

    async def referent_spans(self, schools: Schools) -> dict[str, list[ReferentSpan]]:
        spans: dict[str, list[ReferentSpan]] = defaultdict(list)
        for row in await self._rows(self._hosted_roles(("referent",), schools)):
            spans[row.school_code].append(ReferentSpan(row.valid_from, row.valid_until))
        return dict(spans)

    async def renewal_saves(self, schools: Schools) -> dict[tuple[int, str, str], datetime]:
        query = select(
            DECISIONS.academic_year, DECISIONS.school_code, DECISIONS.kind,
            func.min(DECISIONS.decided_at),
        ).group_by(DECISIONS.academic_year, DECISIONS.school_code, DECISIONS.kind)
        rows = await self._rows(_schools(query, DECISIONS.school_code, schools))
        return {(row[0], row[1], row[2]): row[3] for row in rows}

    async def campaigns(self) -> list[CampaignFacts]:
        rows = await self._rows(select(
            CAMPAIGNS.academic_year, CAMPAIGNS.status, CAMPAIGNS.referent_deadline,
            CAMPAIGNS.trainer_deadline, CAMPAIGNS.opened_at, CAMPAIGNS.closed_at,
        ))
        return [CampaignFacts(*row) for row in rows]

    async def mails(self, templates: Sequence[str]) -> list[MailFacts]:
        rows = await self._rows(
            select(OUTBOX.dedupe_key, OUTBOX.status, OUTBOX.sent_at)
            .where(OUTBOX.template.in_(list(templates)))
        )
        return [MailFacts(*row) for row in rows]

    async def level_events(self, schools: Schools) -> list[LevelEvent]:
        query = select(
            ALERTS.id, ALERTS.school_code, ALERTS.kind, ALERTS.level_from, ALERTS.level_to,
            ALERTS.occurred_at,
        ).where(ALERTS.scope == "school")
        return [
            LevelEvent(str(row.id), row.school_code, row.kind, row.level_from, row.level_to,
                       row.occurred_at)
            for row in await self._rows(_schools(query, ALERTS.school_code, schools))
        ]

    async def statements(self) -> list[StatementFacts]:
        rows = await self._rows(select(
            STATEMENTS.id, STATEMENTS.academic_year, STATEMENTS.status,
            STATEMENTS.total_amount_cents, STATEMENTS.issued_at,
        ).where(STATEMENTS.issued_at.is_not(None)))
        payments = await self._rows(
            select(STATEMENTS.academic_year, PAYMENTS.received_on, PAYMENTS.amount_cents)
            .join(_table(StatementRow), and_(STATEMENTS.id == PAYMENTS.statement_id))
        )
        paid: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for year, received_on, cents in payments:
            paid[year].append((received_on, cents))
        years: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            years[row.academic_year].append(row)
        facts = []
        for year, versions in sorted(years.items()):
            current = next((v for v in versions if v.status == "issued"), None)
            first = min(v.issued_at for v in versions)
            facts.append(StatementFacts(
                year=year, statement_id=current.id if current else None,
                first_issued_on=paris_date(first),
                total_cents=current.total_amount_cents if current else 0,
                payment_due_on=None, payments=tuple(paid.get(year, ())),
            ))
        return facts

    async def evidence(self) -> dict[str, Evidence]:
        return {row.obligation_id: _evidence(row) for row in await self._rows(select(EVIDENCE))}

    async def waivers(self) -> dict[str, Waiver]:
        return {row.obligation_id: _waiver(row) for row in await self._rows(select(WAIVERS))}

    async def add_evidence(self, obligation_id: str, evidence: Evidence) -> tuple[Evidence, bool]:
        instant = evidence.occurred if isinstance(evidence.occurred, datetime) else None
        statement = insert_ignoring_conflicts(self.session, EVIDENCE)
        inserted = await self.session.execute(statement.values(
            obligation_id=obligation_id,
            occurred_at=instant,
            occurred_on=None if instant is not None else evidence.occurred,
            document_ref=evidence.document_ref, note=evidence.note,
            recorded_at=evidence.recorded_at, recorded_by=evidence.recorded_by,
        ))
        [row] = await self._rows(
            select(EVIDENCE).where(EVIDENCE.c.obligation_id == obligation_id))
        return _evidence(row), inserted.rowcount == 1

    async def add_waiver(self, obligation_id: str, waiver: Waiver) -> tuple[Waiver, bool]:
        statement = insert_ignoring_conflicts(self.session, WAIVERS)
        inserted = await self.session.execute(statement.values(
            obligation_id=obligation_id, reason=waiver.reason,
            recorded_at=waiver.recorded_at, recorded_by=waiver.recorded_by,
        ))
        [row] = await self._rows(
            select(WAIVERS).where(WAIVERS.c.obligation_id == obligation_id))
        return _waiver(row), inserted.rowcount == 1
