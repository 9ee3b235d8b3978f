"""Fakes of what a change leaves behind: the audit trail and the mail outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from app.ports.audit import AuditEvent
from app.ports.outbox import OutboxAttempt, OutboxMessage, OutgoingMail
from tests.unit.services.fakes.store import FakeRepository, serves
from tests.unit.services.fakes.store import Sequence as Ids

OPEN = ("pending", "retrying")


@serves("audit")
class FakeAuditRepository(FakeRepository):
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.ids = Ids()

    async def add(self, event: AuditEvent) -> None:
        self.events.append(replace(event, id=self.ids.next()))

    async def list(
        self, *, resource_type: str | None, resource_id: str | None, actor: str | None,
        since: datetime | None, before_id: int | None, limit: int,
    ) -> list[AuditEvent]:
        def kept(e: AuditEvent) -> bool:
            assert e.id is not None
            return (
                (resource_type is None or e.resource_type == resource_type)
                and (resource_id is None or e.resource_id == resource_id)
                and (actor is None or e.actor == actor)
                and (since is None or e.occurred_at >= since)
                and (before_id is None or e.id < before_id)
            )

        return sorted(filter(kept, self.events), key=lambda e: -(e.id or 0))[:limit]

    def actions(self) -> list[str]:
        """The recorded actions, oldest first (what tests check most)."""
        return [e.action for e in self.events]


@serves("outbox")
class FakeOutboxRepository(FakeRepository):
    def __init__(self) -> None:
        self.messages: dict[int, OutboxMessage] = {}
        self.leases: dict[int, datetime | None] = {}
        self.attempt_log: list[OutboxAttempt] = []
        self.ids = Ids()

    async def add(self, mail: OutgoingMail, *, now: datetime, message_id: str) -> bool:
        if any(m.dedupe_key == mail.dedupe_key for m in self.messages.values()):
            return False
        new_id = self.ids.next()
        self.messages[new_id] = OutboxMessage(
            id=new_id, dedupe_key=mail.dedupe_key, message_id=message_id,
            template=mail.template, recipients=tuple(mail.recipients), cc=tuple(mail.cc),
            subject=mail.subject, body_text=mail.body_text, body_html=mail.body_html,
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
            sent_at=None, last_error=None,
        )
        self.leases[new_id] = None
        return True

    async def list(
        self, *, status: str | None, after_id: int | None, limit: int
    ) -> list[OutboxMessage]:
        found = [
            m for i, m in sorted(self.messages.items())
            if (status is None or m.status == status) and (after_id is None or i > after_id)
        ]
        return found[:limit]

    async def claim(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[OutboxMessage]:
        due = [
            m for i, m in sorted(self.messages.items())
            if m.status in OPEN and m.next_attempt_at <= now
            and (self.leases[i] is None or self.leases[i] <= now)
        ][:limit]
        for m in due:
            self.leases[m.id] = lease_until
        return due

    async def settle(
        self, message_id: int, *, lease_until: datetime, now: datetime, status: str,
        attempts: int, next_attempt_at: datetime, outcome: str, detail: str | None,
    ) -> bool:
        self.attempt_log.append(OutboxAttempt(message_id, now, outcome, detail))
        current = self.messages[message_id]
        if self.leases[message_id] != lease_until or current.status not in OPEN:
            return False
        self.messages[message_id] = replace(
            current, status=status, attempts=attempts, next_attempt_at=next_attempt_at,
            sent_at=now if status == "sent" else None, last_error=detail,
        )
        self.leases[message_id] = None
        return True

    async def attempts(self, message_id: int) -> list[OutboxAttempt]:
        return [a for a in self.attempt_log if a.message_id == message_id]

    async def get(self, message_id: int, *, for_update: bool = False) -> OutboxMessage | None:
        return self.messages.get(message_id)

    async def requeue(self, message_id: int, *, now: datetime) -> OutboxMessage | None:
        current = self.messages.get(message_id)
        if current is None or current.status != "dead":
            return None
        requeued = replace(
            current, status="pending", attempts=0, next_attempt_at=now, last_error=None
        )
        self.messages[message_id] = requeued
        self.leases[message_id] = None
        return requeued

    async def count_by_status(self, statuses: Sequence[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages.values():
            if m.status in statuses:
                counts[m.status] = counts.get(m.status, 0) + 1
        return counts

    def templates(self) -> list[str]:
        """The queued mails' templates, in queuing order."""
        return [m.template for _, m in sorted(self.messages.items())]


class FakeMailer:
    """Records what it delivers; `failures` are raised in order, one per `send`, before
    anything is delivered (a `DeliveryError` each, permanent or not)."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []
        self.failures: list[Exception] = []

    async def send(self, message: OutboxMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return None
