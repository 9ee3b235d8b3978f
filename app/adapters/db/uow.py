"""The SQL unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.db.accounts_repo import (
    SqlAccountRepository,
    SqlAccountRequestRepository,
    SqlCampaignRepository,
    SqlTrainingRepository,
)
from app.adapters.db.billing_repo import SqlBillingRepository
from app.adapters.db.enrolments_repo import SqlEnrolmentRepository
from app.adapters.db.lifecycle_repo import SqlLifecycleRepository
from app.adapters.db.personal_data_repo import SqlPersonalDataRepository
from app.adapters.db.repositories import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlClosureRepository,
    SqlConventionRepository,
    SqlJobRunRepository,
    SqlOutboxRepository,
    SqlSchoolRepository,
)
from app.adapters.db.storage_repo import SqlStorageRepository
from app.adapters.db.support_repo import SqlSupportRequestRepository
from app.domain.accounts import Role, SuspensionCover


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions
        self.session: AsyncSession | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        session = self._sessions()
        self.session = session
        self.convention = SqlConventionRepository(session)
        self.schools = SqlSchoolRepository(session)
        self.clients = SqlClientRepository(session)
        self.audit = SqlAuditRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.closures = SqlClosureRepository(session)
        self.job_runs = SqlJobRunRepository(session)
        self.accounts = SqlAccountRepository(session)
        self.account_requests = SqlAccountRequestRepository(session)
        self.trainings = SqlTrainingRepository(session)
        self.campaigns = SqlCampaignRepository(session)
        self.lifecycle = SqlLifecycleRepository(session)
        self.support_requests = SqlSupportRequestRepository(session)
        self.enrolments = SqlEnrolmentRepository(session)
        self.storage = SqlStorageRepository(session)
        self.billing = SqlBillingRepository(session)
        self.personal_data = SqlPersonalDataRepository(session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
            self.session = None

    async def student_roles(self, uid: str) -> list[Role]:
        """Student roles from enrolments (R-ACC-7) for the account view and access check."""
        assert self.session is not None
        return await self.enrolments.student_roles(uid)

    async def suspension_covers(self, school_codes: set[str]) -> list[SuspensionCover]:
        """Every suspension of these schools as an R-ACC-8 cover (intervals)."""
        if not school_codes:
            return []
        found = await self.lifecycle.suspensions(school_codes=sorted(school_codes))
        return [s.cover() for s in found]

    async def suspended_school_codes(self, at: datetime) -> set[str]:
        """Schools with a whole-school platform suspension active at `at`."""
        found = await self.lifecycle.suspensions()
        return {s.school_code for s in found if s.whole_school_platform and s.active_at(at)}

    async def commit(self) -> None:
        assert self.session is not None
        await self.session.commit()

    async def rollback(self) -> None:
        assert self.session is not None
        await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self.sessions = sessions

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)
