"""Async engine and session factory, built from settings by the entrypoints."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Transactions are begun explicitly (below): SQLite takes the write lock at
            # BEGIN IMMEDIATE, so two use cases never both read-then-write (no lost
            # updates, no lock-upgrade deadlocks); one writer at a time in embedded mode.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
    )
    _ping_idle_connections(engine)
    return engine


# A connection back in the pool for less than this is not pinged at checkout.
IDLE_PING_SECONDS = 1.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """`pool_pre_ping`, but only for connections idle more than IDLE_PING_SECONDS.

    SQLAlchemy's asyncpg ping is three round trips (BEGIN, `;`, ROLLBACK) at every
    checkout: more than the access check's own query. A connection used a moment ago is
    trusted (HikariCP's "alive bypass window"); if the server went away meanwhile, the
    query fails with a disconnect error, SQLAlchemy invalidates the whole pool and the
    request answers 503 `database-unavailable` (clients retry, Retry-After)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool drops this connection and connects anew
            raise DisconnectionError("idle connection failed its ping") from exc


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
