"""The outbox: mails queued in the business transaction, their delivery attempts and the
`Mailer` that delivers them (app/adapters/db/outbox_repo, app/adapters/smtp)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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
        self,
        message_id: int,
        *,
        lease_until: datetime,
        now: datetime,
        status: str,
        attempts: int,
        next_attempt_at: datetime,
        outcome: str,
        detail: str | None,
    ) -> bool:
        """Record an attempt and the message's new state; False when the lease was lost
        (the attempt is recorded, the state left to the new holder)."""
        ...

    async def attempts(self, message_id: int) -> list[OutboxAttempt]: ...

    async def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None: ...

    async def requeue(self, message_id: int, *, now: datetime) -> OutboxMessage | None:
        """A `dead` message back to `pending`, due at `now`, with a new budget of
        attempts (its past attempts stay recorded); None when it is not dead (a
        conditional UPDATE: of concurrent requeues one changes it)."""
        ...

    async def count_by_status(self, statuses: Sequence[str]) -> dict[str, int]:
        """How many messages are in each of `statuses` (absent: none), for /metrics."""
        ...
