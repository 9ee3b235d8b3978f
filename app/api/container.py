"""What the HTTP edge reads of the composition root, and the one place it reads it from.

`app.bootstrap.Container` is built once per app from the settings (`app.bootstrap`) and
held by the FastAPI app in one attribute (`app.main`). The edge does not import
adapters (import-linter), so it sees the container through this protocol of ports;
routes, dependencies and middleware all get it from `container` / `container_of`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from app.api.ratelimit import TokenFailureLimiter
from app.domain.auth import Principal
from app.domain.rules import Rules
from app.ports.billing import StatementRenderer
from app.ports.clients import ClientAuth
from app.ports.clock import Clock
from app.ports.idempotency import IdempotencyStore
from app.ports.unit_of_work import DeadlineRecomputer, UnitOfWorkFactory
from app.services.jobs import JobRegistry
from app.services.storage import StoragePolicy
from app.services.support import SupportPolicy


class ApiContainer(Protocol):
    """Read-only view of `app.bootstrap.Container` for routes and middleware."""

    @property
    def clock(self) -> Clock: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def uow_factory(self) -> UnitOfWorkFactory: ...
    @property
    def verify_token(self) -> Callable[[str], Principal]:
        """Principal of a bearer token, or `Unauthenticated`."""
    @property
    def client_auth(self) -> ClientAuth: ...
    @property
    def token_rate_limiter(self) -> TokenFailureLimiter: ...
    @property
    def idempotency_store(self) -> IdempotencyStore: ...
    @property
    def idempotency_ttl_hours(self) -> int: ...
    @property
    def idempotency_lease_seconds(self) -> int: ...
    @property
    def clock_skew_seconds(self) -> int:
        """R-TIME-5: how far ahead of the clock a caller's instant may be."""
    @property
    def activation_url(self) -> str | None: ...
    @property
    def moodle_url(self) -> str | None: ...
    @property
    def problem_base_url(self) -> str: ...
    @property
    def metrics_token(self) -> str | None: ...
    @property
    def storage_policy(self) -> StoragePolicy: ...
    @property
    def support_policy(self) -> SupportPolicy: ...
    @property
    def deadline_recomputers(self) -> list[DeadlineRecomputer]: ...
    @property
    def statement_renderers(self) -> Mapping[str, StatementRenderer]: ...
    @property
    def jobs(self) -> JobRegistry: ...

    async def readiness(self) -> tuple[bool, str]:
        """(ready, reason): the database answers and its schema is at head."""

    async def render_metrics(self) -> bytes:
        """The Prometheus exposition of the metrics."""

    def jwks(self) -> dict[str, Any]:
        """The public keys that verify the service's tokens (JWKS)."""


def container_of(app: Any) -> ApiContainer:
    """The container of an app made by `app.main.create_app` (also from an ASGI scope's
    `scope["app"]`, for middleware)."""
    return app.state.container


async def container(request: Request) -> ApiContainer:
    """The container, as a dependency (`Annotated[ApiContainer, Depends(container)]`)."""
    return container_of(request.app)


ContainerDep = Annotated[ApiContainer, Depends(container)]
