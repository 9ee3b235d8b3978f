"""The SQL unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.db.account_requests_repo import SqlAccountRequestRepository
from app.adapters.db.accounts_repo import SqlAccountRepository
from app.adapters.db.audit_repo import SqlAuditRepository
from app.adapters.db.billing_repo import SqlBillingRepository
from app.adapters.db.breaches_repo import SqlBreachRepository
from app.adapters.db.clients_repo import SqlClientRepository
from app.adapters.db.closures_repo import SqlClosureRepository
from app.adapters.db.convention_record_repo import SqlPartyRecordRepository
from app.adapters.db.convention_repo import SqlConventionRepository
from app.adapters.db.enrolments_repo import SqlEnrolmentRepository
from app.adapters.db.job_runs_repo import SqlJobRunRepository
from app.adapters.db.lifecycle_repo import SqlLifecycleRepository
from app.adapters.db.obligations_repo import SqlObligationRepository
from app.adapters.db.outbox_repo import SqlOutboxRepository
from app.adapters.db.personal_data_repo import SqlPersonalDataRepository
from app.adapters.db.renewals_repo import SqlCampaignRepository
from app.adapters.db.schools_repo import SqlSchoolRepository
from app.adapters.db.storage_repo import SqlStorageRepository
from app.adapters.db.support_repo import SqlSupportRequestRepository
from app.adapters.db.trainings_repo import SqlTrainingRepository
from app.domain.rules import DEFAULT_RULES, Rules
from app.ports.convention import ConventionClockCache


class _LazySession:
    """The unit of work's AsyncSession, made at its first use: a use case that needs no
    ORM session (the access check on PostgreSQL reads through the pool's raw connection,
    app/adapters/db/raw.py) does not pay for making and closing one. Everything is
    forwarded to the session; `bind` and `in_transaction()` answer without making it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self.bind = sessions.kw.get("bind")

    @property
    def made(self) -> bool:
        return self._session is not None

    def in_transaction(self) -> bool:
        return self._session is not None and self._session.in_transaction()

    def __getattr__(self, name: str):
        if self._session is None:
            self._session = self._sessions()
        return getattr(self._session, name)


class SqlUnitOfWork:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession],
        convention_cache: ConventionClockCache | None = None,
        rules: Rules = DEFAULT_RULES,
    ):
        self._sessions = sessions
        # The readings of RULES.md's Decisions in force in this process (the settings).
        self.rules = rules
        self.session: _LazySession | None = None
        # The process's cache of the convention's clock, read by `load_clock`.
        self.convention_cache = convention_cache

    async def __aenter__(self) -> SqlUnitOfWork:
        session = _LazySession(self._sessions)
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
        self.obligations = SqlObligationRepository(session)
        self.breaches = SqlBreachRepository(session)
        self.party_records = SqlPartyRecordRepository(session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        if not self.session.made:
            self.session = None
            return
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
            self.session = None

    async def commit(self) -> None:
        assert self.session is not None
        if self.session.made:
            await self.session.commit()
        if self.lifecycle.clock_changed and self.convention_cache is not None:
            self.lifecycle.clock_changed = False
            self.convention_cache.invalidate()  # after the commit: see load_clock

    async def rollback(self) -> None:
        assert self.session is not None
        if self.session.made:
            await self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 rules: Rules = DEFAULT_RULES):
        self.sessions = sessions
        self.rules = rules
        self.convention_cache = ConventionClockCache()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, self.convention_cache, self.rules)
