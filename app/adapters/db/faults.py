"""What a database error means for the caller, decided from the drivers' exception
classes: the database is unavailable (answer 503 and retry), a concurrent change won
(409), or the query itself failed."""

from __future__ import annotations

import sqlite3

from asyncpg import exceptions as pg
from sqlalchemy import exc as sa
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi as PgDbapi

# Errors that always mean the database is unavailable: SQLAlchemy's pool timeout, its
# wrapper of PEP 249's OperationalError, and the network's errors.
UNAVAILABLE: tuple[type[Exception], ...] = (sa.OperationalError, sa.TimeoutError, OSError)

# Every other driver error reaches the app as SQLAlchemy's DBAPIError: classified below.
DRIVER_ERRORS: tuple[type[Exception], ...] = (sa.DBAPIError,)

# asyncpg's errors after which its connection is gone (server restarted or shut down,
# network): also what the raw statements of app/adapters/db/raw.py drop from the pool.
DRIVER_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError,
    pg.InterfaceError,
    pg.PostgresConnectionError,
    pg.CannotConnectNowError,
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    # The server closed the connection while asyncpg was between two protocol states
    # (seen when a backend is terminated): the connection is unusable, like a lost one.
    pg.InternalClientError,
)

# The database went away (restart, shutdown, network, connections exhausted), as
# opposed to a bad query: the drivers' errors above, PEP 249's OperationalError and
# InterfaceError (as SQLAlchemy wraps them and as each driver raises them), and a
# server refusing one more connection.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    *DRIVER_CONNECTION_LOST,
    sa.OperationalError, sa.InterfaceError,
    sqlite3.OperationalError, sqlite3.InterfaceError,
    PgDbapi.OperationalError, PgDbapi.InterfaceError,
    pg.TooManyConnectionsError,
)

# Unique violation, deadlock, serialization failure: a constraint or the database's own
# conflict detection stopped a concurrent change (the row locks of the transitions make
# them rare; the unique indexes are the last guard).
_CONCURRENT_SQLSTATES = frozenset({"23505", "40P01", "40001"})


def raised_from(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    """Whether `exc`, or an error it was raised from, is one of `kinds`."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def connection_lost(exc: BaseException) -> bool:
    """The error, or one it was raised from, says that the connection is gone."""
    if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
        return True
    return raised_from(exc, _CONNECTION_LOST)


def lost_to_concurrent_change(exc: BaseException) -> bool:
    if not isinstance(exc, sa.DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in _CONCURRENT_SQLSTATES
    # SQLite has no SQLSTATE: its unique violation is an IntegrityError naming UNIQUE.
    return isinstance(exc, sa.IntegrityError) and "UNIQUE" in str(exc.orig).upper()


def error_type(exc: BaseException) -> str:
    """The driver's error class, for the logs."""
    orig = exc.orig if isinstance(exc, sa.DBAPIError) else None
    return type(orig if orig is not None else exc).__name__
