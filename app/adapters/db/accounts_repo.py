"""SQL repository of hosted accounts: accounts, their roles and locks. It never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.account_facts import load_account_facts
from app.adapters.db.account_rows import account_from_row, role_from_row
from app.adapters.db.dialect import is_postgres
from app.adapters.db.enrolments_repo import SqlEnrolmentRepository
from app.adapters.db.lifecycle_repo import SqlLifecycleRepository
from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import (
    AccountLockRow,
    AccountRow,
    EnrolmentRow,
    RoleRow,
    SchoolRow,
)
from app.domain.access import Lock
from app.domain.accounts import Account, RoleKind, StoredRole
from app.ports.accounts import AccountFacts


class SqlAccountRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, uid: str, *, for_update: bool = False) -> Account | None:
        row = await get_row(self.session, AccountRow, uid, for_update=for_update)
        return account_from_row(row) if row else None

    async def add(self, account: Account) -> None:
        await self.session.execute(
            insert(AccountRow).values(
                uid=account.uid,
                given_name=account.given_name,
                family_name=account.family_name,
                email=account.email,
                student_number=account.student_number,
                created_at=account.created_at,
                erased_at=account.erased_at,
            )
        )

    async def roles(self, uid: str) -> list[StoredRole]:
        rows = (
            await self.session.execute(
                select(RoleRow).where(RoleRow.uid == uid).order_by(RoleRow.valid_from, RoleRow.id)
            )
        ).scalars()
        return [role_from_row(r) for r in rows]

    async def roles_of(self, uids: Sequence[str]) -> dict[str, list[StoredRole]]:
        out: dict[str, list[StoredRole]] = {uid: [] for uid in uids}
        if not uids:
            return out
        rows = (
            await self.session.execute(
                select(RoleRow)
                .where(RoleRow.uid.in_(list(uids)))  # type: ignore[attr-defined]
                .order_by(RoleRow.valid_from, RoleRow.id)
            )
        ).scalars()
        for row in rows:
            out[row.uid].append(role_from_row(row))
        return out

    async def add_role(self, role: StoredRole, *, request_id: str | None, now: datetime) -> None:
        await self.session.execute(
            insert(RoleRow).values(
                id=role.id,
                uid=role.uid,
                kind=role.kind.value,
                school_code=role.school_code,
                valid_from=role.valid_from,
                valid_until=role.valid_until,
                request_id=request_id,
                created_at=now,
                updated_at=now,
            )
        )

    async def set_valid_until(self, role_id: str, valid_until: date, *, now: datetime) -> None:
        await self.session.execute(
            update(RoleRow)
            .where(RoleRow.id == role_id)
            .values(valid_until=valid_until, updated_at=now)
        )

    async def school_roles(self, school_code: str, kind: RoleKind) -> list[StoredRole]:
        rows = (
            await self.session.execute(
                select(RoleRow)
                .where(RoleRow.school_code == school_code, RoleRow.kind == kind.value)
                .order_by(RoleRow.uid, RoleRow.valid_from)
            )
        ).scalars()
        return [role_from_row(r) for r in rows]

    async def lock_school(self, school_code: str) -> None:
        """Serialise rule checks per school (the referent cap, R-REF-1).

        PostgreSQL: a row lock on the school; SQLite: BEGIN IMMEDIATE already holds the
        database's write lock for the whole transaction."""
        if is_postgres(self.session):  # SQLite: nothing to lock (see the docstring)
            await self.session.execute(
                select(SchoolRow.code).where(SchoolRow.code == school_code).with_for_update()
            )

    async def locks(self, uid: str) -> list[tuple[str, str, Lock]]:
        rows = (
            await self.session.execute(
                select(AccountLockRow)
                .where(AccountLockRow.uid == uid)
                .order_by(AccountLockRow.locked_at)
            )
        ).scalars()
        return [(r.id, r.reason, Lock(r.locked_at, r.unlocked_at)) for r in rows]

    async def add_lock(self, lock_id: str, uid: str, reason: str, locked_at: datetime) -> None:
        await self.session.execute(
            insert(AccountLockRow).values(id=lock_id, uid=uid, reason=reason, locked_at=locked_at)
        )

    async def close_lock(self, lock_id: str, unlocked_at: datetime) -> None:
        await self.session.execute(
            update(AccountLockRow)
            .where(AccountLockRow.id == lock_id)
            .values(unlocked_at=unlocked_at)
        )

    async def list(
        self,
        *,
        school_codes: Sequence[str] | None,
        kind: RoleKind | None,
        q: str | None,
        after_uid: str | None,
        limit: int,
    ) -> list[Account]:
        query = select(AccountRow).order_by(AccountRow.uid).limit(limit)
        if after_uid is not None:
            query = query.where(AccountRow.uid > after_uid)
        if school_codes is not None or kind is not None:
            roles = select(RoleRow.uid)
            if school_codes is not None:
                roles = roles.where(RoleRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
            if kind is not None:
                roles = roles.where(RoleRow.kind == kind.value)
            held = AccountRow.uid.in_(roles)  # type: ignore[attr-defined]
            if kind is None or kind is RoleKind.STUDENT:  # students hold enrolments
                enrolled = select(EnrolmentRow.uid)
                if school_codes is not None:
                    enrolled = enrolled.where(EnrolmentRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
                by_enrolment = AccountRow.uid.in_(enrolled)  # type: ignore[attr-defined]
                held = by_enrolment if kind is not None else or_(held, by_enrolment)
            query = query.where(held)
        if q:
            pattern = f"%{q.lower()}%"
            query = query.where(
                or_(
                    func.lower(AccountRow.uid).like(pattern),
                    func.lower(AccountRow.family_name).like(pattern),
                    func.lower(AccountRow.given_name).like(pattern),
                    func.lower(AccountRow.email).like(pattern),
                )
            )
        return [account_from_row(r) for r in (await self.session.execute(query)).scalars()]

    async def referent_emails(self, school_code: str, on: date) -> list[str]:
        """E-mails of the school's referents whose role is valid on `on` (not erased)."""
        rows = await self.session.execute(
            select(AccountRow.email)
            .join(RoleRow, RoleRow.uid == AccountRow.uid)
            .where(
                RoleRow.school_code == school_code,
                RoleRow.kind == RoleKind.REFERENT.value,
                RoleRow.valid_from <= on,
                RoleRow.valid_until >= on,
                AccountRow.erased_at.is_(None),  # type: ignore[union-attr]
            )
            .distinct()
            .order_by(AccountRow.email)
        )
        return list(rows.scalars())

    async def facts(self, uids: Sequence[str]) -> dict[str, AccountFacts]:
        """Everything R-ACC-8 needs about these accounts: one statement on PostgreSQL
        (app/adapters/db/account_facts.py, the access check's hot path)."""
        if is_postgres(self.session):
            return await load_account_facts(self.session, uids)
        return await self.facts_one_by_one(uids)

    async def facts_one_by_one(self, uids: Sequence[str]) -> dict[str, AccountFacts]:
        """The facts from the repositories' queries, one account at a time (SQLite; on
        PostgreSQL the reference the one statement is checked against)."""
        enrolments = SqlEnrolmentRepository(self.session)
        lifecycle = SqlLifecycleRepository(self.session)
        out: dict[str, AccountFacts] = {}
        for uid in dict.fromkeys(uids):
            account = await self.get(uid)
            if account is None:
                continue
            stored = await self.roles(uid)
            students = await enrolments.student_roles(uid)
            schools = {r.school_code for r in stored} | {r.school_code for r in students}
            found = await lifecycle.suspensions(school_codes=sorted(schools)) if schools else []
            out[uid] = AccountFacts(
                account=account, stored_roles=stored, student_roles=students,
                locks=await self.locks(uid), suspensions=[s.cover() for s in found],
            )
        return out

    async def uids_taken(self, uids: Sequence[str]) -> set[str]:
        rows = await self.session.execute(
            select(AccountRow.uid).where(AccountRow.uid.in_(list(uids)))  # type: ignore[attr-defined]
        )
        return set(rows.scalars())
