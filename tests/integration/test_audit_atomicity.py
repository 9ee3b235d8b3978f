"""R-GDPR-2: an audit event lives and dies with its change's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.auth import Principal
from app.ports.audit import Actor
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from tests.fakes import FakeClock

ACTOR = Actor(Principal("ut-admin", "test-client"), request_id="r-atomic")


@pytest.fixture
async def uow_factory(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(database_url)
    try:
        yield SqlUnitOfWorkFactory(session_factory(engine))
    finally:
        await engine.dispose()


async def rename_school(uow: UnitOfWork, clock: FakeClock, *, fail: bool) -> None:
    """A use case: change, audit, then (maybe) fail before committing."""
    async with uow:
        school = await uow.schools.get("ifms-auch")
        assert school is not None
        renamed = school.changed(now=clock.now(), name="Renamed")
        assert await uow.schools.update(renamed, expected_version=school.version)
        await audit.record(
            uow, ACTOR, now=clock.now(), action="school.updated", resource_type="school",
            resource_id=school.code, old={"name": school.name}, new={"name": renamed.name},
        )
        if fail:
            raise RuntimeError("the use case fails after recording its event")
        await uow.commit()


async def trail(uow: UnitOfWork) -> list:
    async with uow:
        return await uow.audit.list(
            resource_type="school", resource_id="ifms-auch", actor=None, since=None,
            before_id=None, limit=10,
        )


async def seed(uow_factory: SqlUnitOfWorkFactory, clock: FakeClock) -> None:
    from app.services.seed import seed_reference_data

    await seed_reference_data(uow_factory(), clock, ACTOR)


async def test_a_use_case_that_raises_after_recording_leaves_no_event(uow_factory):
    clock = FakeClock()
    await seed(uow_factory, clock)
    with pytest.raises(RuntimeError):
        await rename_school(uow_factory(), clock, fail=True)
    assert await trail(uow_factory()) == []
    async with uow_factory() as uow:
        school = await uow.schools.get("ifms-auch")
    assert school is not None and school.name != "Renamed"


async def test_a_committed_use_case_keeps_its_one_event(uow_factory):
    clock = FakeClock()
    await seed(uow_factory, clock)
    await rename_school(uow_factory(), clock, fail=False)
    events = await trail(uow_factory())
    assert len(events) == 1
    assert events[0].request_id == "r-atomic"
    assert events[0].changes["name"]["new"] == "Renamed"
