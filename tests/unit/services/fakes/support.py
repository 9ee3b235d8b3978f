"""In-memory support request repository (`uow.support_requests`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from app.domain.support import SupportRequest, SupportStatus
from app.ports.support import SlaFilter
from tests.unit.services.fakes.store import FakeRepository, serves


def _matches(r: SupportRequest, sla: SlaFilter) -> bool:
    """The list filter's reading of an SLA state, as the SQL condition reads it."""
    is_open = r.status is SupportStatus.open
    answered = r.responded_at is not None
    if sla.state == "met":
        return answered and r.responded_at <= r.response_due_at  # type: ignore[operator]
    if sla.state == "breached":
        return (answered and r.responded_at > r.response_due_at) or (  # type: ignore[operator]
            is_open and r.response_due_at < sla.now
        )
    if sla.state == "at_risk":
        return is_open and sla.now <= r.response_due_at < sla.risk_until
    if sla.state == "on_track":
        return is_open and r.response_due_at >= sla.risk_until
    raise ValueError(sla.state)


@serves("support_requests")
class FakeSupportRequestRepository(FakeRepository):
    def __init__(self) -> None:
        self.requests: dict[str, SupportRequest] = {}

    async def get(self, request_id: str) -> SupportRequest | None:
        return self.requests.get(request_id)

    async def by_message_id(self, message_id: str) -> SupportRequest | None:
        return next((r for r in self.requests.values() if r.message_id == message_id), None)

    async def add(self, request: SupportRequest) -> bool:
        if await self.by_message_id(request.message_id) is not None:
            return False
        self.requests[request.id] = replace(request, last_message_at=request.last_message)
        return True

    async def transition(self, request: SupportRequest, *, expected: SupportStatus) -> bool:
        stored = self.requests.get(request.id)
        if stored is None or stored.status is not expected:
            return False
        self.requests[request.id] = replace(request, last_message_at=request.last_message)
        return True

    async def open_requests(self) -> list[SupportRequest]:
        return [r for _, r in sorted(self.requests.items()) if r.status is SupportStatus.open]

    async def answered_silent_before(self, before: datetime) -> list[SupportRequest]:
        return [
            r
            for _, r in sorted(self.requests.items())
            if r.status is SupportStatus.answered and r.last_message < before
        ]

    async def record_message(self, request_id: str, at: datetime) -> None:
        stored = self.requests[request_id]
        if stored.last_message < at:
            self.requests[request_id] = replace(stored, last_message_at=at)

    async def set_response_due_at(self, request_id: str, due: datetime) -> None:
        self.requests[request_id] = replace(self.requests[request_id], response_due_at=due)

    async def list(
        self,
        *,
        status: SupportStatus | None,
        sla: SlaFilter | None,
        school_codes: Sequence[str] | None,
        after_id: str | None,
        limit: int,
    ) -> list[SupportRequest]:
        found = [
            r
            for rid, r in sorted(self.requests.items())
            if (status is None or r.status is status)
            and (sla is None or _matches(r, sla))
            and (school_codes is None or r.school_code in school_codes)
            and (after_id is None or rid > after_id)
        ]
        return found[:limit]

    async def received_between(
        self,
        start: datetime | None,
        end: datetime | None,
        *,
        school_codes: Sequence[str] | None,
    ) -> list[SupportRequest]:
        return sorted(
            (
                r
                for r in self.requests.values()
                if (start is None or r.received_at >= start)
                and (end is None or r.received_at < end)
                and (school_codes is None or r.school_code in school_codes)
            ),
            key=lambda r: (r.received_at, r.id),
        )

    async def sender_schools(self, email: str) -> set[str]:
        """As the SQL join: roles of the (not erased) accounts with this e-mail."""
        accounts = self.uow.accounts
        return {
            role.school_code for role in accounts.role_rows.values()
            if accounts.rows[role.uid].email.lower() == email.lower()
            and accounts.rows[role.uid].erased_at is None
        }
