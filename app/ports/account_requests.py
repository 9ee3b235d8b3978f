"""Account-creation requests filed by the ticketing tool (R-ACC-4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.calendar import Closure
from app.domain.schools import School
from app.ports.audit import AuditEvent


@dataclass(frozen=True)
class FilingContext:
    """What filing a request reads before it writes: the request already filed under
    its ticket, the school it names, UT's closures (by start)."""

    same_ticket: AccountRequest | None
    school: School | None
    closures: list[Closure]


class AccountRequestRepository(Protocol):
    async def get(self, request_id: str, *, for_update: bool = False) -> AccountRequest | None:
        """`for_update`: locked until the end of the transaction (one winner among
        concurrent fulfilments, rejections and cancellations)."""
        ...

    async def by_ticket(self, ticket_ref: str) -> AccountRequest | None: ...

    async def filing_context(self, ticket_ref: str, school_code: str) -> FilingContext:
        """One read where the store allows (the ticketing tool's hot path)."""
        ...

    async def add(self, request: AccountRequest, audit: AuditEvent | None = None) -> bool:
        """Insert unless the ticket is already there (False: a concurrent twin won);
        `audit` is written with the request, and only if the request is."""
        ...

    async def update(self, request: AccountRequest) -> None: ...
    async def pending_referents(self, school_code: str) -> list[AccountRequest]: ...
    async def received(self) -> list[AccountRequest]: ...
    async def set_due_on(self, request_id: str, due_on: date) -> None: ...
    async def list(
        self,
        *,
        status: RequestStatus | None,
        school_codes: Sequence[str] | None,
        overdue_before: date | None,
        not_overdue_on: date | None,
        after_id: str | None,
        limit: int,
        changed_since: datetime | None = None,
    ) -> list[AccountRequest]: ...
    async def due_between(self, start: date, end: date) -> list[AccountRequest]: ...
