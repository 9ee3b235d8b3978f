"""The convention's lifecycle: amendments, termination notices and suspensions
(implemented in app/adapters/db/lifecycle_repo)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from app.domain.convention import Amendment
from app.domain.lifecycle import AmendmentRecord, NoticeRecord
from app.domain.suspensions import Suspension, SuspensionStatus


class LifecycleRepository(Protocol):
    # Set when this transaction changed what the convention's clock is built from
    # (amendments, notices, the reference's figures): the clock is read back from the
    # records, and the process's cache dropped after the commit.
    clock_changed: bool

    async def lock_for_change(self) -> None:
        """Serialize filings of amendments and notices until the end of the transaction."""
        ...

    async def amendments(self) -> list[AmendmentRecord]: ...
    async def amendment(self, reference: str) -> AmendmentRecord | None: ...
    async def add_amendment(
        self, amendment: Amendment, *, schools_added: str | None, now: datetime
    ) -> None: ...
    async def notices(self) -> list[NoticeRecord]: ...
    async def notice(self, notice_id: str, *, for_update: bool = False) -> NoticeRecord | None: ...
    async def add_notice(self, record: NoticeRecord, *, now: datetime) -> None: ...
    async def cure_notice(self, notice_id: str, cured_on: date) -> None: ...
    async def suspension(
        self, suspension_id: str, *, for_update: bool = False
    ) -> Suspension | None:
        """`for_update`: locked until the end of the transaction (one winner among
        concurrent restoration requests and liftings)."""
        ...

    async def add_suspension(self, s: Suspension) -> None: ...
    async def update_suspension(self, s: Suspension) -> None: ...
    async def suspensions(
        self,
        *,
        status: SuspensionStatus | None = None,
        school_codes: Sequence[str] | None = None,
        after_id: str | None = None,
        limit: int | None = None,
    ) -> list[Suspension]: ...
