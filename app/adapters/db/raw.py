"""The pool's raw asyncpg connection, for the hot paths on PostgreSQL (DESIGN.md,
Persistence: "the pool's raw asyncpg connection, with as few round trips as possible").

A statement through the async ORM costs ~0.2–0.6 ms of CPU more than the same statement
on the asyncpg connection (greenlet switches, compilation, ORM state, result
processing: measured in docs/PERFORMANCE.md), more than a primary-key lookup itself.
The connection always comes from SQLAlchemy's pool, so pool size, pings, recycling and
invalidation stay one mechanism. Two ways in:

* `raw_connection(engine)`: a pooled connection outside any transaction, each statement
  commits on its own (single self-consistent statements: the access check, the
  idempotency keys);
* `transaction_connection(session)`: the connection of the unit of work's transaction,
  so raw statements commit or roll back with it; pending ORM changes are flushed first,
  so they see them as an ORM query would.

Failures are SQLAlchemy's exceptions, as on the ORM path: a lost connection (server
restarted, network) is an `OperationalError` (→ 503 `database-unavailable`) and, outside
a transaction, dropped from the pool; a server-side error is an `IntegrityError`
(constraints), `ProgrammingError` or `DBAPIError` and leaves the connection in the pool;
any other failure (a cancelled request) drops the connection, whose protocol state is
then unknown.

`select_list`/`as_row` read a table's columns by name from its metadata (JSON columns as
text, decoded), so the repositories' row mappers serve both paths."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from types import SimpleNamespace
from typing import Any

import asyncpg
from sqlalchemy import JSON, Table
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from app.adapters.db.faults import DRIVER_CONNECTION_LOST, raised_from

CONNECTION_LOST = DRIVER_CONNECTION_LOST


def _unavailable(exc: BaseException) -> OperationalError:
    return OperationalError("(raw asyncpg statement)", None, exc, connection_invalidated=True)


def _translated(exc: asyncpg.PostgresError) -> DBAPIError:
    """A server-side error as the ORM path raises it (SQLAlchemy's exception classes):
    callers and the HTTP edge handle one family of errors."""
    kind = (IntegrityError if isinstance(exc, asyncpg.IntegrityConstraintViolationError)
            else ProgrammingError if isinstance(exc, asyncpg.SyntaxOrAccessError)
            else DBAPIError)
    return kind("(raw asyncpg statement)", None, exc)  # type: ignore[arg-type]


@asynccontextmanager
async def raw_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection, returned to the pool on exit."""
    pooled = await engine.raw_connection()
    try:
        yield pooled.driver_connection
    except CONNECTION_LOST as exc:
        await greenlet_spawn(pooled.invalidate, exc)
        raise _unavailable(exc) from exc
    except asyncpg.PostgresError as exc:
        raise _translated(exc) from exc
    except BaseException as exc:
        await greenlet_spawn(pooled.invalidate, exc)
        raise
    finally:
        await greenlet_spawn(pooled.close)


class TransactionStatements:
    """Raw statements in a unit of work's transaction (see `transaction_connection`)."""

    def __init__(self, connection: asyncpg.Connection):
        self._connection = connection

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        with _lost_as_unavailable():
            return await self._connection.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        with _lost_as_unavailable():
            return await self._connection.fetchrow(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        """The command tag, e.g. `INSERT 0 1`."""
        with _lost_as_unavailable():
            return await self._connection.execute(sql, *args)


def _is_lost(exc: BaseException) -> bool:
    """Whether `exc`, or what caused it, is a lost connection."""
    return raised_from(exc, CONNECTION_LOST)


@contextmanager
def _lost_as_unavailable() -> Iterator[None]:
    try:
        yield
    except CONNECTION_LOST as exc:  # the session's rollback then invalidates it
        raise _unavailable(exc) from exc
    except asyncpg.PostgresError as exc:
        raise _translated(exc) from exc


async def transaction_connection(session: AsyncSession) -> TransactionStatements:
    """The asyncpg connection of the session's transaction, its BEGIN sent.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, at its first statement: when the
    transaction has run none yet, it is begun here through the adapter (its
    `_start_transaction`, SQLAlchemy 2.1 as locked; tests/integration/test_raw_sql.py
    fails if that changes), so that the unit of work's commit or rollback covers the
    raw statements. Pending ORM changes are flushed first."""
    sync = session.sync_session
    if sync.new or sync.dirty or sync.deleted:
        await session.flush()
    transaction = sync.get_transaction()
    known = sync.info.get(_TRANSACTION_KEY)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1]  # this transaction's connection, found by an earlier call
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    adapted = pooled.dbapi_connection
    if adapted._transaction is None:
        try:
            await adapted._start_transaction()
        except Exception as exc:
            # The adapter raises its own DB-API classes here, not SQLAlchemy's: a
            # connection found closed (the server restarted while it sat in the pool) is
            # dropped from the pool and answered as unavailable (503, retried).
            if not _is_lost(exc):
                raise
            await connection.invalidate(exc)
            raise _unavailable(exc) from exc
    statements = TransactionStatements(pooled.driver_connection)
    sync.info[_TRANSACTION_KEY] = (sync.get_transaction(), statements)
    return statements


_TRANSACTION_KEY = "raw-statements"


def select_list(table: Table, alias: str | None = None) -> str:
    """The table's columns for a SELECT, in order, JSON columns as text."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"{prefix}{c.name}::text" if isinstance(c.type, JSON) else f"{prefix}{c.name}"
        for c in table.c
    )


def as_row(table: Table, values: Mapping[str, Any] | Any) -> SimpleNamespace:
    """A record of `select_list(table)` (by name, or a tuple in column order) as an
    object with one attribute per column, JSON columns decoded: what the repositories'
    row mappers read."""
    names, json_at = _columns(table)
    if isinstance(values, (Mapping, asyncpg.Record)):
        ordered = [values[name] for name in names]
    else:
        ordered = list(values)
        if len(ordered) != len(names):
            raise ValueError(f"{table.name}: {len(ordered)} values for {len(names)} columns")
    for index in json_at:
        if isinstance(ordered[index], str):
            ordered[index] = json.loads(ordered[index])
    return SimpleNamespace(**dict(zip(names, ordered, strict=True)))


_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}


def _columns(table: Table) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The table's column names, and the positions of its JSON columns (kept: the hot
    paths map thousands of rows a second)."""
    found = _COLUMNS.get(table.name)
    if found is None:
        found = (tuple(c.name for c in table.c),
                 tuple(i for i, c in enumerate(table.c) if isinstance(c.type, JSON)))
        _COLUMNS[table.name] = found
    return found


def insert_sql(table: str, columns: Sequence[str], *, ignore_conflicts: bool = False) -> str:
    """`INSERT INTO table (columns) VALUES ($1, …)`, optionally ON CONFLICT DO NOTHING."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}){tail}"
