"""The obligations register's port: the facts its rules derive obligations from, read
in a few bulk queries, and the evidence and waivers people record (RULES.md,
Obligations register). `schools` limits the school facts (None: every school)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

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

Schools = Sequence[str] | None


@dataclass(frozen=True)
class CampaignFacts:
    year: int
    status: str
    referent_deadline: date
    trainer_deadline: date
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class MailFacts:
    """An outbox message the register looks at: its dedupe key, status and sending."""

    dedupe_key: str
    status: str
    sent_at: datetime | None


class ObligationRepository(Protocol):
    async def account_requests(self, schools: Schools) -> list[AccountRequestFacts]: ...

    async def trainings(self, schools: Schools) -> list[TrainingFacts]: ...

    async def support_requests(self, schools: Schools) -> list[SupportFacts]: ...

    async def restorations(self, schools: Schools) -> list[RestorationFacts]: ...

    async def hosted_role_ends(self, schools: Schools) -> set[tuple[str, str, date]]:
        """(school, kind, valid_until) of the referent and trainer roles of accounts
        not erased."""
        ...

    async def referent_spans(self, schools: Schools) -> dict[str, list[ReferentSpan]]:
        """Each school's referent roles of accounts not erased."""
        ...

    async def renewal_saves(self, schools: Schools) -> dict[tuple[int, str, str], datetime]:
        """(year, school, kind) → the first instant decisions were saved."""
        ...

    async def campaigns(self) -> list[CampaignFacts]: ...

    async def mails(self, templates: Sequence[str]) -> list[MailFacts]: ...

    async def level_events(self, schools: Schools) -> list[LevelEvent]: ...

    async def statements(self) -> list[StatementFacts]: ...

    async def evidence(self) -> dict[str, Evidence]: ...

    async def waivers(self) -> dict[str, Waiver]: ...

    async def add_evidence(self, obligation_id: str, evidence: Evidence) -> tuple[Evidence, bool]:
        """Store `evidence` unless the obligation has some: the stored one either way,
        and whether this call stored it."""
        ...

    async def add_waiver(self, obligation_id: str, waiver: Waiver) -> tuple[Waiver, bool]:
        """Store `waiver` unless the obligation has one: the stored one either way, and
        whether this call stored it."""
        ...
