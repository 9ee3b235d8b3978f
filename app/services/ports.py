"""Ports: what the use cases need from the outside world (DESIGN.md, Layers).

Adapters in `app/adapters` implement them; `tests/fakes.py` holds in-memory fakes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from app.domain.auth import Principal
from app.domain.calendar import Closure, paris_date
from app.domain.reference import ConventionReference
from app.domain.rules import Rules
from app.domain.schools import School
from app.services.account_ports import (
    AccountRepository,
    AccountRequestRepository,
    CampaignRepository,
    TrainingRepository,
)
from app.services.billing_ports import BillingRepository
from app.services.enrolment_ports import EnrolmentRepository
from app.services.lifecycle_ports import LifecycleRepository
from app.services.personal_data_ports import PersonalDataRepository
from app.services.storage_ports import StorageRepository
from app.services.support_ports import SupportRequestRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, UTC."""
        ...


@dataclass(frozen=True)
class Actor:
    """Who does a change and in which request: the audit trail's attribution."""

    principal: Principal
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    occurred_at: datetime
    actor: str
    client_id: str | None
    action: str
    resource_type: str
    resource_id: str
    request_id: str | None
    changes: dict[str, Any]
    id: int | None = None


@dataclass(frozen=True)
class OutgoingMail:
    """A message to queue in the outbox, in the business transaction."""

    dedupe_key: str
    template: str
    recipients: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str
    cc: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    dedupe_key: str
    message_id: str
    template: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxAttempt:
    """One delivery attempt of an outbox message: `sent`, `retry` or `dead`."""

    message_id: int
    attempted_at: datetime
    outcome: str
    detail: str | None


class DeliveryError(Exception):
    """A `Mailer` failure. `permanent` (an SMTP 5xx) is never retried; a temporary one
    (connection error, 4xx) is. `detail` carries no personal data."""

    def __init__(self, detail: str, *, permanent: bool):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class Mailer(Protocol):
    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one message; a note (e.g. some recipients refused) or None.
        Raises `DeliveryError`."""
        ...


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    scheduled_for: datetime
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    schools: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None


class ConventionRepository(Protocol):
    async def get(self) -> ConventionReference | None: ...
    async def add(self, ref: ConventionReference) -> None: ...
    async def set_size_figures(self, capacity_bytes: int, threshold_bytes: int) -> None: ...


class SchoolRepository(Protocol):
    async def get(self, code: str) -> School | None: ...
    async def list(
        self, *, codes: Sequence[str] | None, after: str | None, limit: int
    ) -> list[School]: ...
    async def add(self, school: School) -> bool:
        """False when the code is already taken (nothing added)."""
        ...

    async def update(self, school: School, *, expected_version: int) -> bool: ...
    async def codes(self) -> set[str]: ...


class ClientRepository(Protocol):
    async def get(self, client_id: str) -> ApiClient | None: ...
    async def add(self, client: ApiClient) -> None: ...
    async def list(self) -> list[ApiClient]: ...
    async def revoke(self, client_id: str, at: datetime) -> bool: ...


class AuditRepository(Protocol):
    async def add(self, event: AuditEvent) -> None: ...
    async def list(
        self,
        *,
        resource_type: str | None,
        resource_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[AuditEvent]: ...


class OutboxRepository(Protocol):
    async def add(self, mail: OutgoingMail, *, now: datetime, message_id: str) -> bool:
        """Queue a mail; False when its dedupe key is already queued (nothing added)."""
        ...

    async def list(
        self, *, status: str | None, after_id: int | None, limit: int
    ) -> list[OutboxMessage]: ...

    async def claim(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to `limit` messages due at `now` (pending or retrying, not leased),
        oldest first. On PostgreSQL `FOR UPDATE SKIP LOCKED`: concurrent claims never
        return the same message."""
        ...

    async def settle(
        self, message_id: int, *, lease_until: datetime, now: datetime, status: str,
        attempts: int, next_attempt_at: datetime, outcome: str, detail: str | None,
    ) -> bool:
        """Record an attempt and the message's new state; False when the lease was lost
        (the attempt is recorded, the state left to the new holder)."""
        ...

    async def attempts(self, message_id: int) -> list[OutboxAttempt]: ...

    async def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        ...

    async def requeue(self, message_id: int, *, now: datetime) -> OutboxMessage | None:
        """A `dead` message back to `pending`, due at `now`, with a new budget of
        attempts (its past attempts stay recorded); None when it is not dead (a
        conditional UPDATE: of concurrent requeues one changes it)."""
        ...

    async def count_by_status(self, statuses: Sequence[str]) -> dict[str, int]:
        """How many messages are in each of `statuses` (absent: none), for /metrics."""
        ...


class ClosureRepository(Protocol):
    async def list(self) -> list[tuple[str, Closure]]: ...
    async def add(self, closure_id: str, closure: Closure, *, now: datetime) -> None: ...
    async def delete(self, closure_id: str) -> Closure | None: ...
    async def lock_for_change(self) -> None:
        """Serialise changes of closures until the end of the transaction."""
        ...


class JobRunRepository(Protocol):
    async def last_success(self, job: str) -> JobRun | None: ...
    async def start(self, job: str, *, scheduled_for: datetime, now: datetime) -> int: ...
    async def finish(
        self, run_id: int, *, now: datetime, outcome: str, counts: dict[str, Any],
        error: str | None,
    ) -> None: ...
    async def list(
        self, *, job: str | None, before_id: int | None, limit: int
    ) -> list[JobRun]: ...

    async def abandon_running(self, job: str, *, now: datetime) -> int:
        """Mark `running` rows of `job` failed: called under the job's lock, they belong
        to a runner that stopped before finishing."""
        ...

    async def last_successes(self, jobs: Sequence[str]) -> dict[str, datetime]:
        """When the latest successful run of each of `jobs` finished (absent: never),
        in one cheap query (the (job, started_at) index), for /metrics."""
        ...


class JobLocks(Protocol):
    """One runner of a job at a time, across processes (PostgreSQL advisory lock)."""

    def hold(self, job: str) -> AbstractAsyncContextManager[bool]:
        """Try to take the job's lock without waiting: yields False when another runner
        holds it, True (and holds it until exit) otherwise."""
        ...


class UnitOfWork(Protocol):
    """One transaction per use case: rolls back unless `commit()` was called.
    `rules` are the readings of RULES.md's Decisions in force (built from the settings)."""

    rules: Rules
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


def today_in_paris(clock: Clock) -> date:
    return paris_date(clock.now())


class ClientAuth(Protocol):
    """Secrets (argon2) and token issuing for registered machine clients."""

    lifetime_seconds: int

    def hash_secret(self, secret: str) -> str: ...
    def verify_secret(self, secret_hash: str, secret: str) -> bool: ...
    def verify_against_nothing(self, secret: str) -> bool: ...
    def new_client_id(self) -> str: ...
    def new_client_secret(self) -> str: ...
    def issue(
        self, *, subject: str, scopes: Sequence[str], client_id: str | None,
        schools: Sequence[str] | None, now: datetime,
    ) -> str: ...


@dataclass(frozen=True)
class IdempotencyRecord:
    """A claimed `Idempotency-Key`: in progress, or completed with the stored response."""

    method: str
    path: str
    body_sha256: str
    state: str  # in_progress | completed
    expires_at: datetime
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


class IdempotencyStore(Protocol):
    """Idempotency keys per client (DESIGN.md, HTTP contract). Each call runs in its own
    short, committed transaction, never in the business transaction."""

    async def claim(
        self, *, client_key: str, key: str, method: str, path: str, body_sha256: str,
        now: datetime, expires_at: datetime, stale_before: datetime,
    ) -> IdempotencyRecord | None:
        """Claim the key (state in_progress, claimed at `now`); None when claimed, else
        the record that holds it. Expired keys (expires_at ≤ now) are purged first, so
        they are claimed anew; so is a claim still in progress since `stale_before` or
        earlier (its lease ran out: the process that held it died)."""
        ...

    async def complete(
        self, *, client_key: str, key: str, claimed_at: datetime, status_code: int,
        headers: dict[str, str], body: str,
    ) -> None:
        """Store the response of the claim made at `claimed_at`; nothing when that claim
        was taken over meanwhile."""
        ...

    async def release(self, *, client_key: str, key: str, claimed_at: datetime) -> None:
        """Drop the in-progress claim made at `claimed_at`, so that the client can retry."""
        ...
