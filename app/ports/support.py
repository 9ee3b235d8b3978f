"""Support requests to DAIP and the mails imported from a mailbox export (implemented in
app/adapters/db/support_repo and app/adapters/mailbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.domain.support import SupportRequest, SupportStatus


@dataclass(frozen=True)
class SlaFilter:
    """The SQL reading of a computed `sla_state` at one instant (see
    `app.services.support.sla_filter`): open requests are `breached` when due before
    `now`, `at_risk` when due in [`now`, `risk_until`), `on_track` from `risk_until` on;
    answered ones are `met` or `breached` by their response."""

    state: str
    now: datetime
    risk_until: datetime


class SupportRequestRepository(Protocol):
    async def get(self, request_id: str) -> SupportRequest | None: ...
    async def by_message_id(self, message_id: str) -> SupportRequest | None: ...

    async def add(self, request: SupportRequest) -> bool:
        """Insert unless the Message-ID is stored (False: nothing added)."""
        ...

    async def transition(self, request: SupportRequest, *, expected: SupportStatus) -> bool:
        """Store the new state of `request` if the stored status still is `expected`
        (False: a concurrent change came first, nothing written)."""
        ...

    async def open_requests(self) -> list[SupportRequest]: ...
    async def answered_silent_before(self, before: datetime) -> list[SupportRequest]:
        """Answered requests whose last message is before `before` (R-SUP-3)."""
        ...

    async def record_message(self, request_id: str, at: datetime) -> None:
        """A follow-up mail at `at`: the last message moves forward, never back."""
        ...

    async def set_response_due_at(self, request_id: str, due: datetime) -> None: ...

    async def list(
        self,
        *,
        status: SupportStatus | None,
        sla: SlaFilter | None,
        school_codes: Sequence[str] | None,
        after_id: str | None,
        limit: int,
    ) -> list[SupportRequest]:
        """Creation order; `school_codes` None means every request (also those without
        a school), a list means only requests of those schools."""
        ...

    async def received_between(
        self,
        start: datetime | None,
        end: datetime | None,
        *,
        school_codes: Sequence[str] | None,
    ) -> list[SupportRequest]:
        """Requests received in [start, end) (an open bound when None)."""
        ...

    async def sender_schools(self, email: str) -> set[str]:
        """The schools in which the (not erased) account with this e-mail holds roles."""
        ...


@dataclass(frozen=True)
class InboundMail:
    """One message of an exported mailbox, as the import needs it."""

    message_id: str | None
    from_email: str
    subject: str
    received_at: datetime | None  # topmost Received: header
    sent_at: datetime | None  # Date: header
    in_reply_to: tuple[str, ...]  # In-Reply-To then References, nearest first
    source: str  # where it was read (file name, mbox index): for the report only
    problem: str | None = None  # why this message cannot be imported (it alone is skipped)

    @property
    def instant(self) -> datetime | None:
        """When the message reached DAIP: topmost Received:, else Date:."""
        return self.received_at or self.sent_at

    @property
    def sent_instant(self) -> datetime | None:
        """When the message was sent: Date:, else the topmost Received:."""
        return self.sent_at or self.received_at
