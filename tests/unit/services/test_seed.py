"""seed_reference_data: the convention and its twenty schools, idempotent."""

from __future__ import annotations

from app.domain.reference import CONVENTION_REFERENCE, SCHOOLS
from app.services.seed import seed_reference_data
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork, actor_of


async def test_the_first_seed_stores_the_convention_and_every_school(
    uow: FakeUnitOfWork, clock: FakeClock
):
    added = await seed_reference_data(uow, clock, actor_of())
    assert added == {"convention": 1, "schools": len(SCHOOLS)}
    assert (await uow.convention.get()).reference == CONVENTION_REFERENCE
    assert await uow.schools.codes() == {s.code for s in SCHOOLS}
    assert {s.amendment_reference for s in uow.schools.rows.values()} == {CONVENTION_REFERENCE}
    assert uow.audit.actions() == ["reference-data.seeded"]
    assert uow.commits == 1


async def test_seeding_again_adds_nothing_and_records_nothing(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    assert await seed_reference_data(seeded, clock, actor_of()) == {
        "convention": 0, "schools": 0
    }
    assert seeded.audit.events == []


async def test_a_school_missing_from_an_older_seed_is_added_alone(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    del seeded.schools.rows["ifms-rodez"]
    added = await seed_reference_data(seeded, clock, actor_of())
    assert added == {"convention": 0, "schools": 1}
    assert seeded.audit.events[0].changes == {
        "convention": {"old": None, "new": 0}, "schools": {"old": None, "new": 1}
    }
