"""SQL repository of students: enrolment windows, enrolments, the census aggregate and the
student roles of the access check. Set-based: a batch of 1,000 items costs a handful of
statements (one lookup of accounts, one of enrolments, one `executemany` per table).
It never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import advisory_xact_lock, insert_ignoring_conflicts, keyed, lock_rows
from app.adapters.db.tables import AccountRow, EnrolmentCampaignRow, EnrolmentRow
from app.domain.accounts import Role
from app.domain.enrolments import (
    CensusRule,
    Enrolment,
    EnrolmentStatus,
    EnrolmentWindows,
    grace_end_for,
)
from app.domain.student_roles import student_roles
from app.ports.enrolments import NewStudentAccount, StudentAccount

# pg_advisory_xact_lock key of enrolment batches ("enrl" in ASCII).
_BATCH_LOCK_KEY = 0x656E726C

_E = EnrolmentRow.__table__.c  # type: ignore[attr-defined]
_C = EnrolmentCampaignRow.__table__.c  # type: ignore[attr-defined]
_A = AccountRow.__table__.c  # type: ignore[attr-defined]


def enrolment_from_row(row: Any) -> Enrolment:
    return Enrolment(
        id=row.id,
        uid=row.uid,
        student_number=row.student_number,
        school_code=row.school_code,
        academic_year=row.academic_year,
        enrolled_on=row.enrolled_on,
        final_year=bool(row.final_year),
        transfer=bool(row.transfer),
        status=EnrolmentStatus(row.status),
        cancelled_on=row.cancelled_on,
        content_sha256=row.content_sha256,
        created_at=row.created_at,
    )


def _windows(row: Any) -> EnrolmentWindows:
    return EnrolmentWindows(
        academic_year=row.academic_year,
        main_opens_on=row.main_opens_on,
        main_closes_on=row.main_closes_on,
        s2_opens_on=row.s2_opens_on,
        s2_closes_on=row.s2_closes_on,
        version=row.version,
        updated_at=row.updated_at,
    )


class SqlEnrolmentRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # --------------------------------------------------------------- windows

    async def stored_windows(self, years: Collection[int]) -> dict[int, EnrolmentWindows]:
        if not years:
            return {}
        rows = await self.session.execute(
            select(EnrolmentCampaignRow.__table__).where(  # type: ignore[arg-type]
                _C.academic_year.in_(sorted(years))
            )
        )
        return {row.academic_year: _windows(row) for row in rows}

    async def save_windows(self, windows: EnrolmentWindows, *, expected_version: int) -> bool:
        values = {
            "main_opens_on": windows.main_opens_on,
            "main_closes_on": windows.main_closes_on,
            "s2_opens_on": windows.s2_opens_on,
            "s2_closes_on": windows.s2_closes_on,
            "version": windows.version,
            "updated_at": windows.updated_at,
        }
        if expected_version == 0:
            result = await self.session.execute(
                insert_ignoring_conflicts(self.session, EnrolmentCampaignRow.__table__).values(
                    academic_year=windows.academic_year, **values
                )
            )
        else:
            result = await self.session.execute(
                update(EnrolmentCampaignRow.__table__)  # type: ignore[arg-type]
                .where(
                    _C.academic_year == windows.academic_year,
                    _C.version == expected_version,
                )
                .values(**values)
            )
        return result.rowcount == 1  # type: ignore[attr-defined]

    # --------------------------------------------------------------- batches

    async def lock_for_batch(self) -> None:
        """PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE already
        holds the database's write lock for the whole transaction."""
        await advisory_xact_lock(self.session, _BATCH_LOCK_KEY)

    async def accounts_matching(
        self, student_numbers: Collection[str], uids: Collection[str]
    ) -> list[StudentAccount]:
        found: dict[str, StudentAccount] = {}
        for column, values in ((_A.student_number, student_numbers), (_A.uid, uids)):
            if not values:
                continue
            query = select(_A.uid, _A.student_number, _A.erased_at)
            query = keyed(self.session, query, column, values)
            for r in await self.session.execute(query):
                found[r.uid] = StudentAccount(r.uid, r.student_number, r.erased_at is not None)
        return list(found.values())

    async def of_students(
        self, student_numbers: Collection[str], years: Collection[int]
    ) -> list[Enrolment]:
        if not student_numbers or not years:
            return []
        query = select(EnrolmentRow.__table__).where(  # type: ignore[arg-type]
            _E.academic_year.in_(sorted(years))
        )
        query = keyed(self.session, query, _E.student_number, student_numbers)
        rows = await self.session.execute(query)
        return [enrolment_from_row(r) for r in rows]

    async def add_accounts(self, accounts: Sequence[NewStudentAccount], *, now: datetime) -> None:
        if not accounts:
            return
        await self.session.execute(
            insert(AccountRow.__table__),  # type: ignore[arg-type]
            [
                {
                    "uid": a.uid,
                    "given_name": a.given_name,
                    "family_name": a.family_name,
                    "email": a.email,
                    "student_number": a.student_number,
                    "created_at": now,
                    "erased_at": None,
                    "version": 1,
                }
                for a in accounts
            ],
        )

    async def attach_student_numbers(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        await self.session.execute(
            update(AccountRow.__table__)  # type: ignore[arg-type]
            .where(_A.uid == bindparam("b_uid"), _A.student_number.is_(None))
            .values(student_number=bindparam("b_number")),
            [{"b_uid": uid, "b_number": number} for uid, number in pairs],
        )

    async def add_many(self, enrolments: Sequence[Enrolment]) -> None:
        if not enrolments:
            return
        await self.session.execute(
            insert(EnrolmentRow.__table__),  # type: ignore[arg-type]
            [
                {
                    "id": e.id,
                    "uid": e.uid,
                    "student_number": e.student_number,
                    "school_code": e.school_code,
                    "academic_year": e.academic_year,
                    "enrolled_on": e.enrolled_on,
                    "final_year": e.final_year,
                    "transfer": e.transfer,
                    "status": e.status.value,
                    "cancelled_on": e.cancelled_on,
                    "content_sha256": e.content_sha256,
                    "created_at": e.created_at,
                }
                for e in enrolments
            ],
        )

    # --------------------------------------------------------------- one enrolment

    async def get(self, enrolment_id: str, *, for_update: bool = False) -> Enrolment | None:
        query = select(EnrolmentRow.__table__).where(_E.id == enrolment_id)  # type: ignore[arg-type]
        if for_update:
            query = lock_rows(self.session, query)
        row = (await self.session.execute(query)).first()
        return enrolment_from_row(row) if row is not None else None

    async def cancel(self, enrolment_id: str, cancelled_on: date) -> None:
        await self.session.execute(
            update(EnrolmentRow.__table__)  # type: ignore[arg-type]
            .where(_E.id == enrolment_id)
            .values(status=EnrolmentStatus.CANCELLED.value, cancelled_on=cancelled_on)
        )

    async def list(
        self,
        *,
        academic_year: int | None,
        school_codes: Sequence[str] | None,
        status: EnrolmentStatus | None,
        after_id: str | None,
        limit: int,
    ) -> list[Enrolment]:
        query = select(EnrolmentRow.__table__).order_by(_E.id).limit(limit)  # type: ignore[arg-type]
        if academic_year is not None:
            query = query.where(_E.academic_year == academic_year)
        if school_codes is not None:
            query = query.where(_E.school_code.in_(list(school_codes)))
        if status is not None:
            query = query.where(_E.status == status.value)
        if after_id is not None:
            query = query.where(_E.id > after_id)
        return [enrolment_from_row(r) for r in await self.session.execute(query)]

    # --------------------------------------------------------------- census, roles

    async def census(self, rule: CensusRule) -> dict[str, int]:
        """The SQL twin of R-BIL-1: `CensusRule.counts` (the rule's one home, in the
        domain) as one aggregate, the hot path of the census and of billing. Each
        condition below is one of the rule's, in its order; a change to the rule changes
        both, and tests/integration/test_census_twin.py runs the two on the same awkward
        dates on SQLite and PostgreSQL and requires the same counts."""
        query = (
            select(_E.school_code, func.count())
            .where(
                _E.academic_year == rule.academic_year,
                _E.enrolled_on <= rule.census_on,
                or_(_E.cancelled_on.is_(None), _E.cancelled_on > rule.census_on),
            )
            .group_by(_E.school_code)
            .order_by(_E.school_code)
        )
        if not rule.count_transfers:
            query = query.where(_E.transfer.is_(False))
        return {code: count for code, count in await self.session.execute(query)}

    async def student_roles(self, uid: str) -> list[Role]:
        """One query: the account's enrolments with the changed windows of each next year
        (whose `main_closes_on` ends the grace, R-ACC-7)."""
        rows = (
            await self.session.execute(
                select(
                    EnrolmentRow.__table__,  # type: ignore[arg-type]
                    _C.main_opens_on.label("n_main_opens_on"),
                    _C.main_closes_on.label("n_main_closes_on"),
                    _C.s2_opens_on.label("n_s2_opens_on"),
                    _C.s2_closes_on.label("n_s2_closes_on"),
                    _C.version.label("n_version"),
                )
                .outerjoin(
                    EnrolmentCampaignRow.__table__,  # type: ignore[arg-type]
                    _C.academic_year == _E.academic_year + 1,
                )
                .where(_E.uid == uid)
            )
        ).all()
        return student_roles_of(rows)


def student_roles_of(rows: Sequence[Any]) -> list[Role]:
    """The student roles (R-ACC-7) given by an account's enrolment rows, each row with
    the changed windows of its next year in `n_*` columns (None: the defaults hold)."""
    if not rows:
        return []
    stored = {
        r.academic_year + 1: EnrolmentWindows(
            academic_year=r.academic_year + 1,
            main_opens_on=r.n_main_opens_on,
            main_closes_on=r.n_main_closes_on,
            s2_opens_on=r.n_s2_opens_on,
            s2_closes_on=r.n_s2_closes_on,
            version=r.n_version,
        )
        for r in rows
        if r.n_version is not None
    }
    return student_roles(
        [enrolment_from_row(r).as_student_enrolment() for r in rows], grace_end_for(stored)
    )
