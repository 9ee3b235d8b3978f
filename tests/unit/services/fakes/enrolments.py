"""Fake of the students capability: enrolment windows, enrolments and their accounts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime

from app.domain.accounts import Account, Role
from app.domain.enrolments import (
    CensusRule,
    Enrolment,
    EnrolmentStatus,
    EnrolmentWindows,
    grace_end_for,
)
from app.domain.student_roles import student_roles
from app.ports.enrolments import NewStudentAccount, StudentAccount
from tests.unit.services.fakes.store import FakeRepository, page_after, serves


@serves("enrolments")
class FakeEnrolmentRepository(FakeRepository):
    """Accounts live in the accounts fake (one table of accounts, as in the database)."""

    def __init__(self) -> None:
        self.rows: dict[str, Enrolment] = {}
        self.windows: dict[int, EnrolmentWindows] = {}
        self.batch_locks = 0

    async def stored_windows(self, years: Collection[int]) -> dict[int, EnrolmentWindows]:
        return {y: w for y, w in self.windows.items() if y in years}

    async def save_windows(self, windows: EnrolmentWindows, *, expected_version: int) -> bool:
        current = self.windows.get(windows.academic_year)
        if (current.version if current else 0) != expected_version:
            return False
        self.windows[windows.academic_year] = windows
        return True

    async def lock_for_batch(self) -> None:
        self.batch_locks += 1

    async def accounts_matching(
        self, student_numbers: Collection[str], uids: Collection[str]
    ) -> list[StudentAccount]:
        return [
            StudentAccount(a.uid, a.student_number, a.erased_at is not None)
            for a in self.uow.accounts.rows.values()
            if a.uid in uids or (a.student_number is not None
                                 and a.student_number in student_numbers)
        ]

    async def of_students(
        self, student_numbers: Collection[str], years: Collection[int]
    ) -> list[Enrolment]:
        return [e for e in self.rows.values()
                if e.student_number in student_numbers and e.academic_year in years]

    async def add_accounts(self, accounts: Sequence[NewStudentAccount], *, now: datetime) -> None:
        for a in accounts:
            await self.uow.accounts.add(Account(
                a.uid, a.given_name, a.family_name, a.email, now, student_number=a.student_number
            ))

    async def attach_student_numbers(self, pairs: Sequence[tuple[str, str]]) -> None:
        rows = self.uow.accounts.rows
        for uid, number in pairs:
            if uid in rows and rows[uid].student_number is None:
                rows[uid] = replace(rows[uid], student_number=number)

    async def add_many(self, enrolments: Sequence[Enrolment]) -> None:
        for e in enrolments:
            if e.id in self.rows:
                raise AssertionError("enrolment ids are unique (the table's primary key)")
            self.rows[e.id] = e

    async def get(self, enrolment_id: str, *, for_update: bool = False) -> Enrolment | None:
        return self.rows.get(enrolment_id)

    async def cancel(self, enrolment_id: str, cancelled_on: date) -> None:
        self.rows[enrolment_id] = replace(
            self.rows[enrolment_id], status=EnrolmentStatus.CANCELLED, cancelled_on=cancelled_on
        )

    async def list(
        self, *, academic_year: int | None, school_codes: Sequence[str] | None,
        status: EnrolmentStatus | None, after_id: str | None, limit: int,
    ) -> list[Enrolment]:
        found = [
            e for e in self.rows.values()
            if (academic_year is None or e.academic_year == academic_year)
            and (school_codes is None or e.school_code in school_codes)
            and (status is None or e.status is status)
        ]
        return page_after(found, lambda e: e.id, after_id, limit)

    async def census(self, rule: CensusRule) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.rows.values():
            if rule.counts(e):
                counts[e.school_code] = counts.get(e.school_code, 0) + 1
        return dict(sorted(counts.items()))

    async def student_roles(self, uid: str) -> list[Role]:
        mine = [e for e in self.rows.values() if e.uid == uid]
        if not mine:
            return []
        return student_roles(
            [e.as_student_enrolment() for e in mine], grace_end_for(self.windows)
        )
