"""The concurrency harness: N calls at once, each on its own database connection,
released together by a barrier, then invariants checked on the tables themselves.

PostgreSQL only (SQLite serializes writers, so it cannot show a lost race): marked
`postgres_only` and skipped without TEST_DATABASE_URL. The in-process app runs with a
pool of at least N connections, so every call holds its own connection and transaction
while the others run; the FakeClock stands still, so identical calls are identical."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import bearer
from tests.dbutil import ON_POSTGRES

N = 10


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/concurrency/" in item.nodeid and item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skipif(
                not ON_POSTGRES, reason="concurrency runs in the PostgreSQL pass"))


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # pool_size N (+ as many overflow connections): every call of a burst has its own.
    return {"database_pool_size": N + 2}


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-staff"))


@pytest.fixture
def admin(make_token):
    from app.domain.auth import SCOPES

    return bearer(make_token(*SCOPES, sub="ut-admin"))


Call = Callable[[], Awaitable[httpx.Response]]


async def burst(calls: Sequence[Call]) -> list[httpx.Response]:
    """Run the calls at once: each waits at a barrier, then sends. No answer may be a
    5xx (a lost race is a 409, never a crash)."""
    barrier = asyncio.Barrier(len(calls))

    async def one(call: Call) -> httpx.Response:
        await barrier.wait()
        return await call()

    responses = await asyncio.gather(*(one(c) for c in calls))
    crashed = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500]
    assert not crashed, crashed
    return list(responses)


async def rows(app, sql: str, **params: Any) -> list[dict[str, Any]]:
    """What the tables hold, read on a connection of its own (after the burst)."""
    async with app.state.container.engine.connect() as connection:
        result = await connection.execute(text(sql), params)
        return [dict(r._mapping) for r in result]


def statuses(responses: Sequence[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


def codes(responses: Sequence[httpx.Response]) -> set[str]:
    return {r.json().get("code") for r in responses if r.status_code >= 400}
