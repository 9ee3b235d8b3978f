"""Which database errors mean "unavailable", "lost to a concurrent change" or "failed",
told apart by the drivers' exception classes (app/adapters/db/faults.py), on errors
raised by the real drivers: SQLite always, PostgreSQL when TEST_DATABASE_URL names one."""

from __future__ import annotations

import pytest
from asyncpg import exceptions as pg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.adapters.db import faults
from app.adapters.db.engine import create_engine
from tests.dbutil import ON_POSTGRES


async def _error_of(database_url: str, *statements: str) -> DBAPIError:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    except DBAPIError as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the statements raised nothing")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


async def test_a_unique_violation_is_a_concurrent_change_not_an_outage(database_url):
    error = await _error_of(
        database_url,
        "CREATE TABLE fault_probe (id INTEGER PRIMARY KEY)",
        "INSERT INTO fault_probe VALUES (1)",
        "INSERT INTO fault_probe VALUES (1)",
    )
    assert faults.lost_to_concurrent_change(error)
    assert not faults.connection_lost(error)


async def test_a_check_violation_is_neither_an_outage_nor_a_concurrent_change(database_url):
    error = await _error_of(
        database_url,
        "CREATE TABLE fault_probe (n INTEGER CHECK (n > 0))",
        "INSERT INTO fault_probe VALUES (0)",
    )
    assert not faults.lost_to_concurrent_change(error)
    assert not faults.connection_lost(error)
    assert faults.error_type(error) != "DBAPIError"  # the driver's class is logged


def test_a_refused_connection_means_unavailable():
    refused = ConnectionRefusedError(111, "Connection refused")
    assert faults.connection_lost(refused)
    assert isinstance(refused, faults.UNAVAILABLE)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's own errors")
async def test_a_terminated_backend_means_unavailable(database_url):
    error = await _error_of(database_url, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert any(isinstance(e, pg.AdminShutdownError) for e in _chain(error))
    assert faults.connection_lost(error)
    assert not faults.lost_to_concurrent_change(error)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's own errors")
async def test_a_cancelled_statement_is_not_an_outage(database_url):
    error = await _error_of(
        database_url, "SET LOCAL statement_timeout = 10", "SELECT pg_sleep(1)"
    )
    assert any(isinstance(e, pg.QueryCanceledError) for e in _chain(error))
    assert not faults.connection_lost(error)
    assert not faults.lost_to_concurrent_change(error)
