"""The unit of work: one transaction per use case, with every repository of the ports."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from app.domain.rules import Rules
from app.ports.account_requests import AccountRequestRepository
from app.ports.accounts import AccountRepository
from app.ports.audit import AuditRepository
from app.ports.billing import BillingRepository
from app.ports.breaches import BreachRepository
from app.ports.calendar import ClosureRepository
from app.ports.clients import ClientRepository
from app.ports.convention import ConventionClockCache, ConventionRepository
from app.ports.convention_record import PartyRecordRepository
from app.ports.enrolments import EnrolmentRepository
from app.ports.jobs import JobRunRepository
from app.ports.lifecycle import LifecycleRepository
from app.ports.obligations import ObligationRepository
from app.ports.outbox import OutboxRepository
from app.ports.personal_data import PersonalDataRepository
from app.ports.renewals import CampaignRepository
from app.ports.schools import SchoolRepository
from app.ports.storage import StorageRepository
from app.ports.support import SupportRequestRepository
from app.ports.trainings import TrainingRepository


class UnitOfWork(Protocol):
    """One transaction per use case: rolls back unless `commit()` was called.
    `rules` are the readings of RULES.md's Decisions in force (built from the settings)."""

    rules: Rules
    # The process's cache of the convention's clock (None: every load reads the records).
    convention_cache: ConventionClockCache | None
    convention: ConventionRepository
    schools: SchoolRepository
    clients: ClientRepository
    audit: AuditRepository
    outbox: OutboxRepository
    closures: ClosureRepository
    job_runs: JobRunRepository
    accounts: AccountRepository
    account_requests: AccountRequestRepository
    trainings: TrainingRepository
    campaigns: CampaignRepository
    lifecycle: LifecycleRepository
    enrolments: EnrolmentRepository
    support_requests: SupportRequestRepository
    storage: StorageRepository
    billing: BillingRepository
    personal_data: PersonalDataRepository
    obligations: ObligationRepository
    breaches: BreachRepository
    party_records: PartyRecordRepository

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class DeadlineRecomputer(Protocol):
    """A later capability's open deadlines, recomputed when closures change (R-TIME-4)."""

    name: str

    async def recompute(self, uow: UnitOfWork, *, calendar: Any, now: datetime) -> int: ...
