"""The FastAPI app, made from the composition root's container (`app.bootstrap`).

Served by `uvicorn --factory app.main:create_app` (settings from the environment)."""

from __future__ import annotations

from importlib import metadata

from fastapi import Depends, FastAPI

from app.adapters.db import faults
from app.adapters.logs import configure_logging
from app.api import problems
from app.api.deps import forbid_unknown_query
from app.api.docs import install_docs
from app.api.errors import DatabaseFaults, install_database_errors
from app.api.fast_paths import AccessFastPath
from app.api.idempotency import IdempotencyMiddleware
from app.api.middleware import BodyGuard, RequestContext
from app.api.openapi import install_contract
from app.api.routes import (
    account_requests,
    accounts,
    audit,
    billing,
    breaches,
    calendar,
    convention,
    convention_record,
    enrolments,
    health,
    jobs,
    lifecycle,
    oauth,
    obligations,
    outbox,
    personal_data,
    renewals,
    schools,
    storage,
    support,
    trainings,
)
from app.bootstrap import Container, build_container
from app.lifespan import serving
from app.ports.clock import Clock
from app.settings import Settings, load_settings

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

# Which database errors mean what: the drivers' classes, known to the adapters only.
DATABASE_FAULTS = DatabaseFaults(
    unavailable=faults.UNAVAILABLE, driver_errors=faults.DRIVER_ERRORS,
    connection_lost=faults.connection_lost,
    lost_to_concurrent_change=faults.lost_to_concurrent_change, error_type=faults.error_type,
)

BATCH_PATHS = frozenset({"/api/v1/storage/snapshots", "/api/v1/enrolments"})

# Matching tries the routers in this order: the hot paths (Moodle's access check and
# snapshots, the ticketing tool's requests) first (docs/PERFORMANCE.md). The contract
# lists the paths in this order too.
ROUTERS = (
    health.router, accounts.router, storage.router, account_requests.router, oauth.router,
    convention.router, schools.router, audit.router, calendar.router, outbox.router,
    jobs.router, trainings.router, renewals.router, lifecycle.router, support.router,
    enrolments.router, billing.router, personal_data.router, obligations.router,
    breaches.router, convention_record.router, oauth.jwks_router,
)


def package_version() -> str:
    """The installed package's version (pyproject.toml): the contract's `info.version`."""
    try:
        return metadata.version("convention-service")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "0.0.0"


def app_from(container: Container) -> FastAPI:
    """The app serving `container`, which it holds in its one state attribute."""
    settings = container.settings
    app = FastAPI(
        title="Convention service",
        version=package_version(),
        description=API_DESCRIPTION.format(idempotency_hours=settings.idempotency_ttl_hours),
        lifespan=lambda _app: serving(container),
        dependencies=[Depends(forbid_unknown_query)],
        docs_url=None,  # served by install_docs, from vendored assets
        redoc_url=None,
    )
    app.state.container = container
    problems.install(app)
    install_database_errors(app, DATABASE_FAULTS)
    for router in ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_contract(app, settings.idempotency_ttl_hours)
    app.add_middleware(AccessFastPath)  # innermost: Moodle's plain access check
    app.add_middleware(IdempotencyMiddleware)  # inside BodyGuard: reads the raw body
    app.add_middleware(
        BodyGuard,
        max_bytes=settings.max_body_bytes,
        batch_max_bytes=settings.max_batch_body_bytes,
        batch_paths=BATCH_PATHS,
        problem_base=settings.problem_base_url,
    )
    app.add_middleware(RequestContext, observe=container.metrics.observe)
    return app


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    return app_from(build_container(settings, clock))
