"""Rows of accounts and roles as domain records: shared by the accounts' repository and
the access check's one-statement read (app/adapters/db/account_facts.py)."""

from __future__ import annotations

from app.adapters.db.tables import (
    AccountRow,
    RoleRow,
)
from app.domain.accounts import Account, RoleKind, StoredRole


def account_from_row(row: AccountRow) -> Account:
    return Account(
        uid=row.uid,
        given_name=row.given_name,
        family_name=row.family_name,
        email=row.email,
        created_at=row.created_at,
        erased_at=row.erased_at,
        student_number=row.student_number,
    )


def role_from_row(row: RoleRow) -> StoredRole:
    return StoredRole(
        id=row.id,
        uid=row.uid,
        kind=RoleKind(row.kind),
        school_code=row.school_code,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )
