"""The SQL unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.db.enrolments_repo import SqlEnrolmentRepository
from app.adapters.db.repositories import (
    SqlAuditRepository,
    SqlClientRepository,
    SqlClosureRepository,
    SqlConventionRepository,
    SqlJobRunRepository,
    SqlOutboxRepository,
    SqlSchoolRepository,
)
from app.adapters.db.support_repo import SqlSupportRequestRepository
from app.domain.accounts import Role


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
        self.enrolments = SqlEnrolmentRepository(session)
        self.support_requests = SqlSupportRequestRepository(session)
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
