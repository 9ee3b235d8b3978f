"""Students' enrolments, their windows and census (implemented in
app/adapters/db/enrolments_repo)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from app.domain.accounts import Role
from app.domain.enrolments import CensusRule, Enrolment, EnrolmentStatus, EnrolmentWindows


@dataclass(frozen=True)
class StudentAccount:
    """What the batch needs to know of an existing account."""

    uid: str
    student_number: str | None
    erased: bool


@dataclass(frozen=True)
class NewStudentAccount:
    uid: str
    student_number: str
    given_name: str
    family_name: str
    email: str


class EnrolmentRepository(Protocol):
    async def stored_windows(self, years: Collection[int]) -> dict[int, EnrolmentWindows]:
        """The windows changed from the defaults, for those years that have some."""
        ...

    async def save_windows(self, windows: EnrolmentWindows, *, expected_version: int) -> bool:
        """Store `windows` (its `version` is the new one) if the stored version is still
        `expected_version` (0: none stored); False when another change came first."""
        ...

    async def lock_for_batch(self) -> None:
        """Serialise enrolment batches until the end of the transaction."""
        ...

    async def accounts_matching(
        self, student_numbers: Collection[str], uids: Collection[str]
    ) -> list[StudentAccount]:
        """Accounts holding one of the student numbers or one of the uids (one query)."""
        ...

    async def of_students(
        self, student_numbers: Collection[str], years: Collection[int]
    ) -> list[Enrolment]:
        """Stored enrolments of these students for these years (one query)."""
        ...

    async def add_accounts(
        self, accounts: Sequence[NewStudentAccount], *, now: datetime
    ) -> None: ...

    async def attach_student_numbers(self, pairs: Sequence[tuple[str, str]]) -> None:
        """(uid, student_number): an existing account without a student number becomes
        the student's (R-ACC-2: a person who has a UT account reuses it)."""
        ...

    async def add_many(self, enrolments: Sequence[Enrolment]) -> None: ...

    async def get(self, enrolment_id: str, *, for_update: bool = False) -> Enrolment | None: ...

    async def cancel(self, enrolment_id: str, cancelled_on: date) -> None: ...

    async def list(
        self,
        *,
        academic_year: int | None,
        school_codes: Sequence[str] | None,
        status: EnrolmentStatus | None,
        after_id: str | None,
        limit: int,
    ) -> list[Enrolment]: ...

    async def census(self, rule: CensusRule) -> dict[str, int]:
        """Students counted per school by `rule`: one SQL aggregate (GROUP BY school)."""
        ...

    async def student_roles(self, uid: str) -> list[Role]:
        """The student roles of an account (R-ACC-7) from its enrolments and the windows
        in force (grace until the next year's `main_closes_on`)."""
        ...
