"""Hosted accounts: their roles, locks and the facts the access decision reads
(implemented in app/adapters/db/accounts_repo)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from app.domain.access import Lock, SuspensionCover
from app.domain.accounts import Account, Role, RoleKind, StoredRole


@dataclass(frozen=True)
class AccountFacts:
    """What the R-ACC-8 decision and the account view need about one account, read at
    once: its stored hosted roles (by validity), its student roles (R-ACC-7, from its
    enrolments), its locks (id, reason, interval) by start, and the suspensions of the
    schools where it holds a role or is enrolled, by id."""

    account: Account
    stored_roles: list[StoredRole]
    student_roles: list[Role]
    locks: list[tuple[str, str, Lock]]
    suspensions: list[SuspensionCover]


class AccountRepository(Protocol):
    async def get(self, uid: str, *, for_update: bool = False) -> Account | None:
        """`for_update`: locked until the end of the transaction (serializes the
        account's locks and unlocks)."""
        ...

    async def add(self, account: Account) -> None: ...
    async def roles(self, uid: str) -> list[StoredRole]: ...
    async def roles_of(self, uids: Sequence[str]) -> dict[str, list[StoredRole]]: ...
    async def add_role(
        self, role: StoredRole, *, request_id: str | None, now: datetime
    ) -> None: ...
    async def set_valid_until(self, role_id: str, valid_until: date, *, now: datetime) -> None: ...
    async def school_roles(self, school_code: str, kind: RoleKind) -> list[StoredRole]: ...
    async def lock_school(self, school_code: str) -> None: ...
    async def locks(self, uid: str) -> list[tuple[str, str, Lock]]: ...
    async def add_lock(self, lock_id: str, uid: str, reason: str, locked_at: datetime) -> None: ...
    async def close_lock(self, lock_id: str, unlocked_at: datetime) -> None: ...
    async def list(
        self,
        *,
        school_codes: Sequence[str] | None,
        kind: RoleKind | None,
        q: str | None,
        after_uid: str | None,
        limit: int,
    ) -> list[Account]: ...
    async def uids_taken(self, uids: Sequence[str]) -> set[str]: ...
    async def facts(self, uids: Sequence[str]) -> dict[str, AccountFacts]: ...
    async def referent_emails(self, school_code: str, on: date) -> list[str]: ...
