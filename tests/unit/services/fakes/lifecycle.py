"""Fake of the convention's lifecycle: amendments, termination notices, suspensions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from app.domain.convention import Amendment
from app.domain.lifecycle import AmendmentRecord, NoticeRecord
from app.domain.suspensions import Suspension, SuspensionStatus
from tests.unit.services.fakes.store import FakeRepository, page_after, serves


@serves("lifecycle")
class FakeLifecycleRepository(FakeRepository):
    def __init__(self) -> None:
        self.amendment_rows: list[AmendmentRecord] = []
        self.notice_rows: dict[str, NoticeRecord] = {}
        self.suspension_rows: dict[str, Suspension] = {}
        # As the SQL repository: the convention's clock must be read back after a change.
        self.clock_changed = False
        self.locked = False

    async def lock_for_change(self) -> None:
        self.locked = True

    async def amendments(self) -> list[AmendmentRecord]:
        return list(self.amendment_rows)

    async def amendment(self, reference: str) -> AmendmentRecord | None:
        return next((r for r in self.amendment_rows if r.amendment.reference == reference), None)

    async def add_amendment(
        self, amendment: Amendment, *, schools_added: str | None, now: datetime
    ) -> None:
        self.clock_changed = True
        seq = len(self.amendment_rows) + 1
        self.amendment_rows.append(
            AmendmentRecord(replace(amendment, recorded_seq=seq), schools_added, now)
        )

    async def notices(self) -> list[NoticeRecord]:
        return sorted(
            self.notice_rows.values(), key=lambda r: (r.notice.received_on, r.notice.id)
        )

    async def notice(self, notice_id: str, *, for_update: bool = False) -> NoticeRecord | None:
        return self.notice_rows.get(notice_id)

    async def add_notice(self, record: NoticeRecord, *, now: datetime) -> None:
        self.clock_changed = True
        self.notice_rows[record.notice.id] = replace(record, created_at=now)

    async def cure_notice(self, notice_id: str, cured_on: date) -> None:
        self.clock_changed = True
        record = self.notice_rows[notice_id]
        self.notice_rows[notice_id] = replace(
            record, notice=replace(record.notice, cured_on=cured_on)
        )

    async def suspension(
        self, suspension_id: str, *, for_update: bool = False
    ) -> Suspension | None:
        return self.suspension_rows.get(suspension_id)

    async def add_suspension(self, s: Suspension) -> None:
        self.suspension_rows[s.id] = s

    async def update_suspension(self, s: Suspension) -> None:
        self.suspension_rows[s.id] = s

    async def suspensions(
        self, *, status: SuspensionStatus | None = None,
        school_codes: Sequence[str] | None = None, after_id: str | None = None,
        limit: int | None = None,
    ) -> list[Suspension]:
        found = [
            s for s in self.suspension_rows.values()
            if (status is None or s.status == status)
            and (school_codes is None or s.school_code in school_codes)
        ]
        return page_after(found, lambda s: s.id, after_id, limit)
