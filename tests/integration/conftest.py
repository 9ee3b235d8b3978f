"""A unit-of-work factory on a fresh, seeded database, for the adapters' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services.seed import seed_reference_data
from tests.fakes import FakeClock

SEEDED_AT = "2025-03-03T09:00:00+00:00"


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(database_url)
    try:
        factory = SqlUnitOfWorkFactory(session_factory(engine))
        await seed_reference_data(factory(), FakeClock(SEEDED_AT), Actor(SYSTEM))
        yield factory
    finally:
        await engine.dispose()
