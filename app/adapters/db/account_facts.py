"""The access check's hot path (DESIGN.md, Persistence): everything the R-ACC-8 decision
and the account view need about some accounts — the account, its hosted roles, its
enrolments (student roles, R-ACC-7), its locks and the suspensions of its schools.

On PostgreSQL this is ONE statement (one round trip): each list is an
`ARRAY(SELECT ROW(...))` column of the account's row, decoded by asyncpg. Outside a
transaction (the access check, reads) the statement runs on the pool's raw asyncpg
connection (app/adapters/db/raw.py: no BEGIN/ROLLBACK around a single, self-consistent
SELECT, no ORM overhead); inside one (a lock just added, an erasure being made) it runs
on the transaction's connection and sees its changes. On SQLite
`SqlAccountRepository.facts_one_by_one` uses the repositories' queries instead. Rows are
mapped by the same functions as the repositories', so both paths build the same objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.account_rows import account_from_row, role_from_row
from app.adapters.db.enrolments_repo import student_roles_of
from app.adapters.db.lifecycle_repo import suspension_from_row
from app.adapters.db.raw import (
    as_row,
    raw_connection,
    select_list,
    transaction_connection,
)
from app.adapters.db.tables import AccountLockRow, AccountRow, EnrolmentRow, RoleRow, SuspensionRow
from app.domain.access import Lock
from app.ports.accounts import AccountFacts

_A = AccountRow.__table__  # type: ignore[attr-defined]
_R = RoleRow.__table__  # type: ignore[attr-defined]
_E = EnrolmentRow.__table__  # type: ignore[attr-defined]
_L = AccountLockRow.__table__  # type: ignore[attr-defined]
_S = SuspensionRow.__table__  # type: ignore[attr-defined]
_NEXT_WINDOWS = ("main_opens_on", "main_closes_on", "s2_opens_on", "s2_closes_on", "version")

_SELECT_FACTS = (
    f"SELECT {select_list(_A, 'a')}, "
    f"ARRAY(SELECT ROW({select_list(_R, 'r')}) FROM roles r WHERE r.uid = a.uid "
    "ORDER BY r.valid_from, r.id) AS roles, "
    f"ARRAY(SELECT ROW({select_list(_E, 'e')}, "
    + ", ".join(f"c.{name}" for name in _NEXT_WINDOWS)
    + ") FROM enrolments e LEFT JOIN enrolment_campaigns c "
    "ON c.academic_year = e.academic_year + 1 WHERE e.uid = a.uid) AS enrolments, "
    f"ARRAY(SELECT ROW({select_list(_L, 'l')}) FROM account_locks l WHERE l.uid = a.uid "
    "ORDER BY l.locked_at) AS locks, "
    f"ARRAY(SELECT ROW({select_list(_S, 's')}) FROM suspensions s WHERE s.school_code IN ("
    "SELECT r.school_code FROM roles r WHERE r.uid = a.uid UNION "
    "SELECT e.school_code FROM enrolments e WHERE e.uid = a.uid) ORDER BY s.id) AS suspensions "
    "FROM accounts a WHERE "
)
# One account (the access check): `uid = $1` gets a generic plan, prepared once per
# connection; `= ANY($1)` is planned again at each call (~0.5 ms here, 3× the query).
_OF_ONE = "a.uid = $1"
_OF_MANY = "a.uid = ANY($1::varchar[])"


def _enrolment_row(values: Sequence[Any]) -> Any:
    """An enrolment with the changed windows of its next year (`n_*`, None: defaults)."""
    n = len(_E.c)
    row = as_row(_E, values[:n])
    for name, value in zip(_NEXT_WINDOWS, values[n:], strict=True):
        setattr(row, f"n_{name}", value)
    return row


def _facts(row: Sequence[Any]) -> AccountFacts:
    """An AccountFacts from one row: the account's columns, then the four arrays."""
    n = len(_A.c)
    roles, enrolments, locks, suspensions = row[n], row[n + 1], row[n + 2], row[n + 3]
    return AccountFacts(
        account=account_from_row(as_row(_A, row[:n])),
        stored_roles=[role_from_row(as_row(_R, r)) for r in roles],
        student_roles=student_roles_of([_enrolment_row(e) for e in enrolments]),
        locks=[(lock.id, lock.reason, Lock(lock.locked_at, lock.unlocked_at))
               for lock in (as_row(_L, x) for x in locks)],
        suspensions=[suspension_from_row(as_row(_S, s)).cover() for s in suspensions],
    )


async def load_account_facts(session: AsyncSession, uids: Sequence[str]) -> dict[str, AccountFacts]:
    """The facts of the accounts of `uids` that exist, by uid (PostgreSQL)."""
    if not uids:
        return {}
    keys = list(dict.fromkeys(uids))
    where, argument = (_OF_ONE, keys[0]) if len(keys) == 1 else (_OF_MANY, keys)
    if session.in_transaction():  # on the transaction's connection: sees its changes
        statements = await transaction_connection(session)
        rows = await statements.fetch(_SELECT_FACTS + where, argument)
    else:
        async with raw_connection(session.bind) as raw:  # type: ignore[arg-type]
            rows = await raw.fetch(_SELECT_FACTS + where, argument)
    facts = [_facts(row) for row in rows]
    return {f.account.uid: f for f in facts}
