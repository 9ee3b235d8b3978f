"""Fixtures of the use-case tests: a fake unit of work, empty or seeded."""

from __future__ import annotations

import pytest

from app.services.seed import seed_reference_data
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork, actor_of


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
async def seeded(uow: FakeUnitOfWork, clock: FakeClock) -> FakeUnitOfWork:
    """The convention and its twenty schools stored, as after `convention-api seed`."""
    await seed_reference_data(uow, clock, actor_of())
    uow.audit.events.clear()
    uow.commits = 0
    return uow
