"""The composition root: everything the service runs on, built once from `Settings`.

`build_container` makes the `Container` the app (`app.main`) holds; the commands
(`app.cli`) use the same builders for what each needs. Adapters are chosen here and
nowhere else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.auth import TokenClientAuth, token_verifier
from app.adapters.clock import SystemClock
from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.idempotency_store import SqlIdempotencyStore
from app.adapters.db.locks import job_locks
from app.adapters.db.migrations import schema_readiness
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.adapters.jwks import HttpJwks
from app.adapters.metrics import Metrics
from app.adapters.signing_keys import (
    is_dev_key,
    load_or_create_dev_key,
    load_public_jwks,
    load_signing_key,
)
from app.adapters.smtp import SmtpMailer
from app.adapters.statement_render import statement_renderers
from app.adapters.tokens import TokenService
from app.api.ratelimit import TokenFailureLimiter
from app.domain.auth import Principal
from app.domain.convention import TerminationAccessEnd
from app.domain.formatting import french_date, french_datetime
from app.domain.opening_hours import DeadlineReading
from app.domain.rules import GB, GIB, Rules, month_day
from app.domain.schedules import Every
from app.domain.storage_reminders import parse_reminder_days
from app.ports.billing import DateWords, StatementRenderer
from app.ports.clock import Clock
from app.ports.jobs import JobLocks
from app.ports.unit_of_work import DeadlineRecomputer
from app.services import account_jobs
from app.services.accounts import RequestDeadlines
from app.services.billing import billing_jobs
from app.services.jobs import Job, JobRegistry
from app.services.mail import OUTBOX_JOB, OutboxPolicy, outbox_job
from app.services.operations import operational_state
from app.services.personal_data import RetentionPolicy, retention_job
from app.services.renewals import CampaignDeadlines
from app.services.storage import StoragePolicy, storage_jobs
from app.services.support import (
    SupportDeadlines,
    SupportPolicy,
    support_auto_close_job,
    support_digest_job,
)
from app.settings import Settings


def build_token_service(settings: Settings) -> TokenService:
    key_path = Path(settings.jwt_private_key_file)
    if settings.environment == "production":
        key = load_signing_key(key_path)
        if key.development or is_dev_key(key_path):
            raise RuntimeError("production refuses a development signing key")
    else:
        key = load_or_create_dev_key(key_path)
    previous = (
        load_public_jwks(Path(settings.jwt_previous_public_keys_file))
        if settings.jwt_previous_public_keys_file
        else []
    )
    external = (
        HttpJwks(settings.external_jwks_url)
        if settings.external_issuer and settings.external_jwks_url
        else None
    )
    return TokenService(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        signing_key=key,
        extra_public_jwks=previous,
        lifetime=timedelta(seconds=settings.jwt_lifetime_seconds),
        leeway_seconds=settings.jwt_leeway_seconds,
        external_issuer=settings.external_issuer,
        external_jwks=external,
    )


def build_mailer(settings: Settings) -> SmtpMailer:
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout_seconds=settings.smtp_timeout_seconds,
    )


def build_support_policy(settings: Settings) -> SupportPolicy:
    """R-SUP-1 reading of "48 hours", at-risk share and R-TIME-5 skew."""
    return SupportPolicy(
        reading=DeadlineReading(settings.support_deadline_reading),
        at_risk_ratio=settings.support_at_risk_ratio,
        skew_seconds=settings.clock_skew_seconds,
    )


def size_unit_of(settings: Settings) -> int:
    """R-UNIT-1: bytes in one "Go" under `SIZE_UNIT`."""
    return GB if settings.size_unit == "SI" else GIB


def build_rules(settings: Settings) -> Rules:
    """The readings of RULES.md's Decisions, from their settings."""
    return Rules(
        closures_for_all_deadlines=settings.closures_count_for_all_deadlines,
        size_unit=size_unit_of(settings),
        renewal_season_starts=month_day(settings.renewal_season_starts,
                                        "RENEWAL_SEASON_STARTS"),
        referent_answer_deadline=month_day(settings.referent_answer_deadline,
                                           "REFERENT_ANSWER_DEADLINE"),
        trainer_answer_deadline=month_day(settings.trainer_answer_deadline,
                                          "TRAINER_ANSWER_DEADLINE"),
        census_on_main_close=settings.census_on_main_close,
        student_grace=settings.student_grace,
        termination_access_end=TerminationAccessEnd(settings.termination_access_end),
    )


def build_storage_policy(settings: Settings) -> StoragePolicy:
    """Storage settings: clock skew (R-TIME-5), warning percent, hysteresis and
    reminder days (R-STO-2), retrieval reminder days (R-STO-4, a malformed list refused
    here: `invalid-setting`), UT in copy of school alerts, DAIP for pool alerts (R-STO-1)."""
    return StoragePolicy(
        clock_skew=timedelta(seconds=settings.clock_skew_seconds),
        hysteresis_bytes=settings.hysteresis_bytes,
        alert_cc=(settings.storage_alert_cc_email,) if settings.storage_alert_cc_email else (),
        pool_recipients=(settings.daip_email,),
        pool_alerts=settings.pool_alerts,
        moodle_url=settings.moodle_url,
        warning_percent=settings.warning_ratio_percent,
        reminder_days=settings.critical_reminder_days,
        retrieval_days=parse_reminder_days(settings.retrieval_reminder_days,
                                           "RETRIEVAL_REMINDER_DAYS"),
        size_unit=size_unit_of(settings),
    )


def build_jobs(settings: Settings) -> JobRegistry:
    """The periodic jobs. Later capabilities register theirs here."""
    policy = OutboxPolicy(
        max_attempts=settings.outbox_max_attempts,
        backoff_base=timedelta(seconds=settings.outbox_backoff_base_seconds),
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        batch_size=settings.outbox_batch_size,
    )
    registry = JobRegistry()
    registry.register(
        Job(
            name=OUTBOX_JOB,
            schedule=Every(timedelta(minutes=1)),
            run=outbox_job(build_mailer(settings), policy),
            description="Deliver queued e-mails over SMTP, with retries and backoff.",
        )
    )
    for job in account_jobs.jobs(accounts_email=settings.ut_accounts_email,
                                 rules=build_rules(settings)):
        registry.register(job)
    registry.register(
        support_digest_job(build_support_policy(settings), daip_email=settings.daip_email)
    )
    registry.register(support_auto_close_job())
    for job in storage_jobs(build_storage_policy(settings)):
        registry.register(job)
    for job in billing_jobs(finance_email=settings.ut_finance_email):
        registry.register(job)
    registry.register(retention_job(RetentionPolicy(
        inactive_months=settings.retention_inactive_months,
        support_months=settings.retention_support_months,
        closed_request_months=settings.retention_closed_request_months,
    )))
    return registry


@dataclass(frozen=True)
class Database:
    """The engine and what is made from it: units of work and the jobs' locks."""

    engine: AsyncEngine
    uow_factory: SqlUnitOfWorkFactory
    job_locks: JobLocks


def build_database(settings: Settings, rules: Rules | None = None) -> Database:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    uow_factory = SqlUnitOfWorkFactory(session_factory(engine), rules or build_rules(settings))
    return Database(engine=engine, uow_factory=uow_factory, job_locks=job_locks(engine))


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """A database for one command: its engine is disposed when the command ends."""
    database = build_database(settings)
    try:
        yield database
    finally:
        await database.engine.dispose()


@dataclass(frozen=True)
class Container:
    """Everything the running service uses, built once by `build_container` and held
    by the app (`app.main`); the HTTP edge reads it as `app.api.container.ApiContainer`.

    Settings that the edge needs are exposed by name (the clock skew, the URLs...), so
    that routes never read the settings object itself."""

    settings: Settings
    clock: Clock
    rules: Rules
    database: Database
    tokens: TokenService
    verify_token: Callable[[str], Principal]
    client_auth: TokenClientAuth
    token_rate_limiter: TokenFailureLimiter
    idempotency_store: SqlIdempotencyStore
    metrics: Metrics
    jobs: JobRegistry
    storage_policy: StoragePolicy
    support_policy: SupportPolicy
    # Run when UT closures change (R-TIME-4); a list, so that a capability (or a test)
    # can add its own.
    deadline_recomputers: list[DeadlineRecomputer]
    statement_renderers: Mapping[str, StatementRenderer]

    @property
    def engine(self) -> AsyncEngine:
        return self.database.engine

    @property
    def uow_factory(self) -> SqlUnitOfWorkFactory:
        return self.database.uow_factory

    @property
    def job_locks(self) -> JobLocks:
        return self.database.job_locks

    @property
    def clock_skew_seconds(self) -> int:
        return self.settings.clock_skew_seconds

    @property
    def idempotency_ttl_hours(self) -> int:
        return self.settings.idempotency_ttl_hours

    @property
    def idempotency_lease_seconds(self) -> int:
        return self.settings.idempotency_lease_seconds

    @property
    def activation_url(self) -> str | None:
        return self.settings.activation_url

    @property
    def moodle_url(self) -> str | None:
        return self.settings.moodle_url

    @property
    def problem_base_url(self) -> str:
        return self.settings.problem_base_url

    @property
    def metrics_token(self) -> str | None:
        return self.settings.metrics_token

    def jwks(self) -> dict[str, Any]:
        return self.tokens.jwks()

    async def readiness(self) -> tuple[bool, str]:
        return await schema_readiness(self.engine)

    async def render_metrics(self) -> bytes:
        return await self.metrics.render(
            lambda: operational_state(self.uow_factory(), self.jobs.names()),
            now=self.clock.now(),
        )


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    clock = clock or SystemClock()
    rules = build_rules(settings)
    tokens = build_token_service(settings)
    database = build_database(settings, rules)
    support_policy = build_support_policy(settings)
    return Container(
        settings=settings,
        clock=clock,
        rules=rules,
        database=database,
        tokens=tokens,
        verify_token=token_verifier(tokens, clock),
        client_auth=TokenClientAuth(tokens),
        token_rate_limiter=TokenFailureLimiter(
            per_pair=settings.token_rate_limit_per_minute,
            per_address=settings.token_address_failures_per_minute,
        ),
        idempotency_store=SqlIdempotencyStore(database.uow_factory.sessions),
        metrics=Metrics(),
        jobs=build_jobs(settings),
        storage_policy=build_storage_policy(settings),
        support_policy=support_policy,
        deadline_recomputers=[
            RequestDeadlines(rules), SupportDeadlines(support_policy), CampaignDeadlines(rules),
        ],
        statement_renderers=statement_renderers(
            DateWords(day=french_date, instant=french_datetime)
        ),
    )
