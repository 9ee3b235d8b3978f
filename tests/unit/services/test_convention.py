"""app/services/convention.py on the fakes: the clock built from what is stored."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.convention import Amendment, ConventionState, TermChanges
from app.domain.errors import NotFound
from app.ports.convention import ConventionClockCache
from app.services.convention import (
    convention_on,
    initial_terms,
    load_clock,
)
from tests.unit.services.convention_world import seeded_uow

LEAP_DAY = date(2028, 2, 29)


async def _amend(uow, reference: str, effective_on: date, **changes) -> None:
    await uow.lifecycle.add_amendment(
        Amendment(reference, date(2027, 12, 1), effective_on, TermChanges(**changes)),
        schools_added=None,
        now=datetime.fromisoformat("2027-12-01T10:00:00+00:00"),
    )


def test_initial_terms_are_the_stored_reference_figures():
    uow = seeded_uow()
    terms = initial_terms(uow.convention.reference)
    assert (terms.ends_on, terms.rate_per_student_cents) == (date(2029, 8, 31), 2200)
    assert (
        terms.school_alert_threshold_bytes == uow.convention.reference.school_alert_threshold_bytes
    )


async def test_an_amendment_effective_on_29_february_changes_the_terms_from_that_day():
    uow = seeded_uow()
    await _amend(uow, "AV-1", LEAP_DAY, rate_per_student_cents=2500)

    clock = await load_clock(uow)

    assert clock.terms_on(date(2028, 2, 28)).rate_per_student_cents == 2200
    assert clock.terms_on(LEAP_DAY).rate_per_student_cents == 2500


async def test_without_the_seed_the_clock_is_not_found():
    uow = seeded_uow()
    uow.convention.reference = None
    with pytest.raises(NotFound):
        await load_clock(uow)


async def test_a_fresh_cached_clock_is_served_and_fresh_reads_the_stored_records():
    uow = seeded_uow()
    uow.convention_cache = ConventionClockCache(ttl_seconds=60)
    cached = await load_clock(uow)
    await _amend(uow, "AV-1", LEAP_DAY, ends_on=date(2030, 8, 31))
    uow.lifecycle.clock_changed = False  # as after the commit that made it

    assert await load_clock(uow) is cached
    assert (await load_clock(uow, fresh=True)).terms_on(LEAP_DAY).ends_on == date(2030, 8, 31)


async def test_a_transaction_that_changed_amendments_reads_them_back_not_the_cache():
    uow = seeded_uow()
    uow.convention_cache = ConventionClockCache(ttl_seconds=60)
    await load_clock(uow)
    await _amend(uow, "AV-1", LEAP_DAY, ends_on=date(2030, 8, 31))  # sets clock_changed

    assert (await load_clock(uow)).terms_on(LEAP_DAY).ends_on == date(2030, 8, 31)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2024, 8, 31), ConventionState.NOT_IN_FORCE),
        (date(2024, 9, 1), ConventionState.ACTIVE),
        (date(2029, 8, 31), ConventionState.ACTIVE),
        (date(2029, 9, 1), ConventionState.ENDED),
    ],
)
async def test_convention_on_its_first_and_last_days(on: date, state: ConventionState):
    view = await convention_on(seeded_uow(), on)
    assert view.status.state is state
    assert view.reference.reference == "CONV-UT-REGION-GCS-MOODLE-2024"
