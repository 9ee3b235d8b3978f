"""Entrypoint: `create_app(settings)` builds the app and wires adapters to ports.

Served by `uvicorn --factory app.main:create_app` (settings from the environment)."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.adapters.auth import TokenClientAuth, token_verifier
from app.adapters.clock import SystemClock
from app.adapters.db import migrations
from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.idempotency_store import SqlIdempotencyStore
from app.adapters.db.locks import job_locks
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.adapters.logs import configure_logging
from app.adapters.operational_metrics import OperationalCollector, multiprocess_dir
from app.adapters.smtp import SmtpMailer
from app.adapters.statement_render import statement_renderers
from app.adapters.tokens import (
    HttpJwks,
    TokenService,
    is_dev_key,
    load_or_create_dev_key,
    load_public_jwks,
    load_signing_key,
)
from app.api import problems
from app.api.contract import document_contract, route_scopes
from app.api.deps import forbid_unknown_query
from app.api.docs import install_docs
from app.api.fast_paths import AccessFastPath
from app.api.idempotency import IdempotencyMiddleware, document_idempotency_key
from app.api.middleware import BodyGuard, RequestContext
from app.api.problems import problem_response
from app.api.ratelimit import TokenFailureLimiter
from app.api.routes import (
    account_requests,
    accounts,
    audit,
    billing,
    calendar,
    convention,
    enrolments,
    health,
    jobs,
    lifecycle,
    oauth,
    outbox,
    personal_data,
    renewals,
    schools,
    storage,
    support,
    trainings,
)
from app.domain.auth import SYSTEM
from app.domain.convention import TerminationAccessEnd
from app.domain.opening_hours import DeadlineReading
from app.domain.rules import GB, GIB, Rules, month_day
from app.domain.schedules import Every
from app.domain.storage import parse_reminder_days
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import DeadlineRecomputer
from app.services import account_jobs
from app.services.accounts import RequestDeadlines
from app.services.billing import billing_jobs
from app.services.calendar import recompute_open_deadlines
from app.services.jobs import Job, JobRegistry, run_scheduler
from app.services.mail import OUTBOX_JOB, OutboxPolicy, outbox_job
from app.services.operations import operational_state
from app.services.personal_data import RetentionPolicy, retention_job
from app.services.renewals import CampaignDeadlines
from app.services.seed import seed_reference_data
from app.services.storage import StoragePolicy, apply_size_reading, storage_jobs
from app.services.support import (
    SupportDeadlines,
    SupportPolicy,
    support_auto_close_job,
    support_digest_job,
)
from app.settings import Settings, load_settings

log = logging.getLogger("app")

API_DESCRIPTION = """\
Runs the convention under which Université de Toulouse lends its Moodle platform to the
paramedical schools of Région Occitanie. Rules: RULES.md ids (R-…) cited per operation.

* Errors are RFC 9457 `application/problem+json` with a machine `code` (except
  `POST /api/v1/oauth/token`, RFC 6749).
* Instants are RFC 3339 with an offset (naive → 422), returned in UTC.
* `Idempotency-Key` (optional, every POST but the token endpoint): same key + same body
  replays the first response; same key + other body → 422; concurrent duplicate → 409.
  Keys are scoped per client and expire after {idempotency_hours} hours.
* Lists: `limit` (1–500, default 50) and an opaque `cursor`; answers
  `{{"items": [...], "next_cursor": ...}}`.
"""

# Operations whose answers carry an `ETag` (conditional reads and changes).
ETAG_OPERATIONS = frozenset({
    "getSchool", "updateSchool", "getSchoolRenewals", "putSchoolRenewalDecisions",
    "getEnrolmentCampaign", "putEnrolmentCampaign", "listStatements", "getStatement",
    "getStatementCsv", "getStatementPdf",
    "createStatement", "issueStatement", "reviseStatement", "recordStatementPayment",
})

BATCH_PATHS = frozenset({"/api/v1/storage/snapshots", "/api/v1/enrolments"})


def package_version() -> str:
    """The installed package's version (pyproject.toml): the contract's `info.version`."""
    try:
        return metadata.version("convention-service")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "0.0.0"


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


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The request metrics and the database's gauges, exposed from `registry`.

    Under `convention-api serve --workers N` (PROMETHEUS_MULTIPROC_DIR set, app/cli.py)
    each worker writes its request counts to its own files in that directory and a
    scrape, whichever worker answers it, sums every worker's files: `registry` then
    holds the `MultiProcessCollector` instead of the in-memory metrics. The database's
    gauges describe the database, not a worker, so the answering worker reads them as in
    a single process (a vanished label set still disappears)."""

    def __init__(self) -> None:
        self.multiprocess_dir = multiprocess_dir()
        self.registry = CollectorRegistry()
        own: CollectorRegistry | None = self.registry
        if self.multiprocess_dir is not None:
            MultiProcessCollector(self.registry, path=self.multiprocess_dir)
            own = None  # the values live in the directory's files
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            registry=own,
        )
        # Outbox, jobs and storage levels: read from the database at each scrape.
        self.operational = OperationalCollector(self.registry)

    def process_exiting(self) -> None:
        """Drop this process's live-gauge files (prometheus_client's clean-up of a
        worker that stops); its counts stay in the totals."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Labels from closed sets only, so no request can add series: a method outside
        `HTTP_METHODS` is `other`, the route is a template of the app or `unmatched`
        (RequestContext), the status a three-digit code."""
        method = method if method in HTTP_METHODS else "other"
        status_label = str(status) if 100 <= status <= 599 else "other"
        self.requests.labels(method, route, status_label).inc()
        self.latency.labels(method, route).observe(seconds)


def _problem_json_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if (
                    path != "/api/v1/oauth/token"
                    and status[:1] in "45"
                    and "application/json" in content
                ):
                    content["application/problem+json"] = content.pop("application/json")
    document_idempotency_key(schema, settings.idempotency_ttl_hours)
    document_contract(schema, route_scopes(app.routes), ETAG_OPERATIONS)
    app.openapi_schema = schema
    return schema


_CONNECTION_ERRORS = frozenset({
    "OperationalError", "InterfaceError", "ConnectionDoesNotExistError",
    "CannotConnectNowError", "AdminShutdownError", "CrashShutdownError",
    "ConnectionFailureError", "TooManyConnectionsError",
})


def _connection_lost(exc: BaseException) -> bool:
    """The database went away (restart, shutdown, network), as opposed to a bad query."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) or type(seen).__name__ in _CONNECTION_ERRORS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# Unique violation, deadlock, serialization failure: a constraint or the database's own
# conflict detection stopped a concurrent change (the row locks of the transitions make
# them rare; the unique indexes are the last guard). Never a 500.
_CONCURRENT_SQLSTATES = frozenset({"23505", "40P01", "40001"})


def _lost_to_concurrent_change(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _CONCURRENT_SQLSTATES
    return isinstance(exc, IntegrityError) and "UNIQUE" in str(exc.orig).upper()


async def _seed_once_across_processes(
    uow_factory: SqlUnitOfWorkFactory, clock: Clock, rules: Rules
) -> None:
    """Seed at start-up. Workers and replicas starting together race to insert the same
    reference rows: the loser's unique violation means another process has just seeded,
    so it looks again (and finds everything there) instead of failing its start-up."""
    for attempt in range(1, 4):
        try:
            await seed_reference_data(uow_factory(), clock, Actor(SYSTEM), rules)
            return
        except IntegrityError:
            if attempt == 3:
                raise
            log.info("reference data seeded concurrently; checking again")


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    uow_factory = SqlUnitOfWorkFactory(session_factory(engine), build_rules(settings))
    tokens = build_token_service(settings)
    metrics = Metrics()
    registry = build_jobs(settings)
    locks = job_locks(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await migrations.upgrade_async(settings.database_url)
        if settings.seed_on_start:
            await _seed_once_across_processes(uow_factory, clock, app.state.rules)
        # The readings of the settings act on any database, seeded now or long ago:
        # sizes and levels (R-UNIT-1a), deadlines of items still open.
        await apply_size_reading(uow_factory(), clock, Actor(SYSTEM), app.state.storage_policy)
        await recompute_open_deadlines(uow_factory(), clock, app.state.deadline_recomputers)
        scheduler = (
            asyncio.create_task(
                run_scheduler(
                    registry, uow_factory=uow_factory, locks=locks, clock=clock,
                    tick_seconds=settings.scheduler_tick_seconds,
                ),
                name="job-scheduler",
            )
            if settings.run_scheduler
            else None
        )
        # Everything made so far lives as long as the process (modules, the app, its
        # adapters): out of the collector's way, a full collection scans ~10× fewer
        # objects (it paused requests ~100 ms: the access check's p99,
        # docs/PERFORMANCE.md). Unfrozen at shutdown, so that apps made and dropped in
        # one process (tests) are still collected.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            metrics.process_exiting()
            if scheduler is not None:
                scheduler.cancel()
                with suppress(asyncio.CancelledError):
                    await scheduler
            await engine.dispose()

    app = FastAPI(
        title="Convention service",
        version=package_version(),
        description=API_DESCRIPTION.format(idempotency_hours=settings.idempotency_ttl_hours),
        lifespan=lifespan,
        dependencies=[Depends(forbid_unknown_query)],
        docs_url=None,  # served by install_docs, from vendored assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rules = uow_factory.rules
    app.state.clock = clock
    app.state.engine = engine
    app.state.uow_factory = uow_factory
    app.state.tokens = tokens
    app.state.verify_token = token_verifier(tokens, clock)
    app.state.client_auth = TokenClientAuth(tokens)
    app.state.token_rate_limiter = TokenFailureLimiter(
        per_pair=settings.token_rate_limit_per_minute,
        per_address=settings.token_address_failures_per_minute,
    )
    app.state.problem_base_url = settings.problem_base_url
    app.state.metrics = metrics
    app.state.jobs = registry
    app.state.job_locks = locks
    app.state.idempotency_store = SqlIdempotencyStore(uow_factory.sessions)
    # Later capabilities append theirs: run when UT closures change (R-TIME-4).
    app.state.deadline_recomputers: list[DeadlineRecomputer] = [
        RequestDeadlines(app.state.rules)
    ]
    app.state.support_policy = build_support_policy(settings)
    app.state.storage_policy = build_storage_policy(settings)
    app.state.statement_renderers = statement_renderers()
    app.state.deadline_recomputers.append(SupportDeadlines(app.state.support_policy))
    app.state.deadline_recomputers.append(CampaignDeadlines(app.state.rules))

    async def readiness() -> tuple[bool, str]:
        try:
            current = await asyncio.wait_for(migrations.current_revision(engine), 5)
        except Exception as exc:  # any failure means "not ready"
            return False, f"database unreachable ({type(exc).__name__})"
        head = migrations.head_revision()
        if current != head:
            return False, "database schema is not at head"
        return True, "ok"

    async def render_metrics() -> bytes:
        await metrics.operational.refresh(
            lambda: operational_state(uow_factory(), registry.names()), now=clock.now()
        )
        return generate_latest(metrics.registry)

    app.state.readiness = readiness
    app.state.render_metrics = render_metrics

    problems.install(app)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OSError)
    async def _database_down(request: Request, exc: Exception):
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return problem_response(
            request, 503, code="database-unavailable",
            detail="the database is unavailable; retry later", headers={"Retry-After": "2"},
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError):
        if exc.connection_invalidated or _connection_lost(exc):
            return await _database_down(request, exc)
        if _lost_to_concurrent_change(exc):
            log.info("lost to a concurrent change", extra={"error_type": type(exc.orig).__name__})
            return problem_response(
                request, 409, code="concurrent-change",
                detail="a concurrent change of the same resource won; read it and retry",
            )
        log.error("database error", extra={"error_type": type(exc.orig).__name__})
        return problem_response(
            request, 500, code="internal-error", detail="an unexpected error occurred"
        )

    # Matching tries the routers in this order: the hot paths (Moodle's access check and
    # snapshots, the ticketing tool's requests) first (docs/PERFORMANCE.md).
    for router in (health.router, accounts.router, storage.router,
                   account_requests.router, oauth.router, convention.router, schools.router,
                   audit.router, calendar.router, outbox.router, jobs.router,
                   trainings.router, renewals.router, lifecycle.router, support.router,
                   enrolments.router, billing.router, personal_data.router):
        app.include_router(router)

    @app.get("/.well-known/jwks.json", tags=["auth"], summary="Public signing keys (JWKS)")
    async def jwks() -> dict[str, Any]:
        return tokens.jwks()

    install_docs(app)
    app.openapi = lambda: _problem_json_openapi(app, settings)  # type: ignore[method-assign]

    app.add_middleware(AccessFastPath)  # innermost: Moodle's plain access check
    app.add_middleware(IdempotencyMiddleware)  # inside BodyGuard: reads the raw body
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        batch_max_bytes=settings.max_batch_body_bytes,
        batch_paths=BATCH_PATHS,
        problem_base=settings.problem_base_url,
    )
    app.add_middleware(RequestContext, observe=metrics.observe)
    return app
