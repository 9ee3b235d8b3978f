"""The one seam between the two databases the service runs on: PostgreSQL (production,
concurrent writers) and SQLite (the embedded mode, one writer at a time).

The repositories ask here instead of reading `dialect.name` themselves. SQLite
transactions begin `IMMEDIATE` (app/adapters/db/engine.py): a writer holds the
database's write lock until it ends, so the row, table and advisory locks PostgreSQL
needs are no-ops there."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import String, bindparam, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession


def is_postgres(target: AsyncSession | AsyncEngine | AsyncConnection | None) -> bool:
    """Whether `target` — a session (its bind, read without making the unit of work's
    lazy session), an engine or a connection — talks to PostgreSQL."""
    bind = target if isinstance(target, AsyncEngine | AsyncConnection) else (
        target.bind if target is not None else None
    )
    return bind is not None and bind.dialect.name == "postgresql"


def insert_ignoring_conflicts(session: AsyncSession, table: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect."""
    return dialect_insert(session, table).on_conflict_do_nothing()


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The session's dialect's INSERT, which has `on_conflict_do_update` and
    `on_conflict_do_nothing`."""
    return (pg_insert if is_postgres(session) else sqlite_insert)(table)


def lock_rows(session: AsyncSession, query: Any) -> Any:
    """`query` locking its rows until the end of the transaction on PostgreSQL."""
    return query.with_for_update() if is_postgres(session) else query


async def advisory_xact_lock(session: AsyncSession, *keys: int) -> None:
    """A transaction-scoped advisory lock on PostgreSQL (`pg_advisory_xact_lock` of one
    bigint or two ints)."""
    if not is_postgres(session):
        return
    names = [f"k{i}" for i in range(len(keys))]
    await session.execute(
        text(f"SELECT pg_advisory_xact_lock({', '.join(':' + n for n in names)})"),
        dict(zip(names, keys, strict=True)),
    )


async def lock_table(session: AsyncSession, table: str, mode: str) -> None:
    """`LOCK TABLE table IN mode MODE` on PostgreSQL."""
    if is_postgres(session):
        await session.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))


def keyed(session: AsyncSession, query: Any, column: Any, values: Collection[str]) -> Any:
    """`query` restricted to `column IN values` (a batch's 1,000 keys).

    On PostgreSQL a join with `unnest($1)`, one array parameter: a prepared statement
    with 1,000 parameters gets a generic plan that compares every stored row with the
    whole list, and so does `= ANY($1)` while the statistics of a table growing under
    an import are stale; a join stays linear."""
    if is_postgres(session):
        keys = func.unnest(
            bindparam(None, list(values), type_=ARRAY(String()))
        ).table_valued("key").render_derived()
        return query.join(keys, column == keys.c.key)
    return query.where(column.in_(list(values)))
