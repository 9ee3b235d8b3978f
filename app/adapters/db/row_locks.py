"""Reading an aggregate's row under a row lock: one winner per state transition.

A transition reads the current state and writes the next one in the same transaction.
On PostgreSQL (READ COMMITTED) two concurrent transitions would both read the old state
and both write; `FOR NO KEY UPDATE` makes the second wait for the first to commit and
then read the state it lost to (and decide: the same change again → the stored answer,
another → 409). NO KEY leaves foreign-key checks of inserts referencing the row (roles,
locks of an account) unblocked. SQLite ignores the clause: BEGIN IMMEDIATE already
serializes writers."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

RowT = TypeVar("RowT")


async def get_row(
    session: AsyncSession, row_type: type[RowT], key: Any, *, for_update: bool
) -> RowT | None:
    """The row of `row_type` with primary key `key`; locked (and read afresh, past the
    session's identity map) until the end of the transaction when `for_update`."""
    if not for_update:
        return await session.get(row_type, key)
    return await session.get(
        row_type, key, with_for_update={"key_share": True}, populate_existing=True
    )
