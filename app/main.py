"""Entrypoint: `create_app(settings)` builds the app and wires adapters to ports.

Served by `uvicorn --factory app.main:create_app` (settings from the environment)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.adapters.auth import TokenClientAuth, token_verifier
from app.adapters.clock import SystemClock
from app.adapters.db import migrations
from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.idempotency_store import SqlIdempotencyStore
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.adapters.logs import configure_logging
from app.adapters.tokens import (
    HttpJwks,
    TokenService,
    is_dev_key,
    load_or_create_dev_key,
    load_public_jwks,
    load_signing_key,
)
from app.api import problems
from app.api.idempotency import IdempotencyMiddleware, document_idempotency_key
from app.api.middleware import BodyGuard, RequestContext
from app.api.problems import problem_response
from app.api.ratelimit import SlidingWindowLimiter
from app.api.routes import (
    audit,
    calendar,
    convention,
    enrolments,
    health,
    oauth,
    renewals,
    schools,
    support,
    trainings,
)
from app.domain.auth import SCOPES, SYSTEM
from app.domain.opening_hours import DeadlineReading
from app.services.ports import Actor, Clock, DeadlineRecomputer
from app.services.seed import seed_reference_data
from app.services.support import SupportDeadlines, SupportPolicy
from app.settings import Settings

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

BATCH_PATHS = frozenset({"/api/v1/storage/snapshots", "/api/v1/enrolments"})


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


def build_support_policy(settings: Settings) -> SupportPolicy:
    """R-SUP-1 reading of "48 hours", at-risk share and R-TIME-5 skew."""
    return SupportPolicy(
        reading=DeadlineReading(settings.support_deadline_reading),
        at_risk_ratio=settings.support_at_risk_ratio,
        skew_seconds=settings.clock_skew_seconds,
    )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
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
    components = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    for scheme in components.values():
        scheme["description"] = (
            "RS256 JWT from POST /api/v1/oauth/token. Scopes: "
            + ", ".join(f"`{s}`" for s in SCOPES)
        )
    document_idempotency_key(schema, settings.idempotency_ttl_hours)
    app.openapi_schema = schema
    return schema


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_level)
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    uow_factory = SqlUnitOfWorkFactory(session_factory(engine))
    tokens = build_token_service(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await migrations.upgrade_async(settings.database_url)
        if settings.seed_on_start:
            await seed_reference_data(uow_factory(), clock, Actor(SYSTEM))
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Convention service",
        version="1.0.0",
        description=API_DESCRIPTION.format(idempotency_hours=settings.idempotency_ttl_hours),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.uow_factory = uow_factory
    app.state.tokens = tokens
    app.state.verify_token = token_verifier(tokens, clock)
    app.state.client_auth = TokenClientAuth(tokens)
    app.state.token_rate_limiter = SlidingWindowLimiter(settings.token_rate_limit_per_minute)
    app.state.problem_base_url = settings.problem_base_url
    app.state.metrics = metrics
    app.state.idempotency_store = SqlIdempotencyStore(uow_factory.sessions)
    # Later capabilities append theirs: run when UT closures change (R-TIME-4).
    app.state.deadline_recomputers: list[DeadlineRecomputer] = []
    app.state.support_policy = build_support_policy(settings)
    app.state.deadline_recomputers.append(SupportDeadlines(app.state.support_policy))

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
        return generate_latest(metrics.registry)

    app.state.readiness = readiness
    app.state.render_metrics = render_metrics

    problems.install(app)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_down(request: Request, exc: Exception):
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return problem_response(
            request, 503, code="database-unavailable",
            detail="the database is unavailable; retry later", headers={"Retry-After": "2"},
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError):
        if exc.connection_invalidated or isinstance(exc, OperationalError):
            return await _database_down(request, exc)
        log.error("database error", extra={"error_type": type(exc.orig).__name__})
        return problem_response(
            request, 500, code="internal-error", detail="an unexpected error occurred"
        )

    for router in (health.router, oauth.router, convention.router, schools.router,
                   audit.router, calendar.router, enrolments.router, trainings.router,
                   renewals.router, support.router):
        app.include_router(router)

    @app.get("/.well-known/jwks.json", tags=["auth"], summary="Public signing keys (JWKS)")
    async def jwks() -> dict[str, Any]:
        return tokens.jwks()

    app.openapi = lambda: _problem_json_openapi(app, settings)  # type: ignore[method-assign]

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
