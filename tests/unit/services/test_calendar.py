"""app/services/calendar.py on the fakes: UT closures and deadlines (R-TIME-3, R-TIME-4)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.calendar import Closure
from app.domain.errors import Forbidden, InvalidInput, NotFound
from app.services.calendar import (
    add_closure,
    deadline,
    get_closure,
    list_closures,
    recompute_open_deadlines,
    remove_closure,
    working_calendar,
)
from tests.unit.services.convention_world import RODEZ, actor, clock_at, confined_to, seeded_uow

CLOCK = clock_at("2026-12-02T09:00:00+00:00")
CHRISTMAS_WEEK = {
    "starts_on": date(2026, 12, 21),
    "ends_on": date(2027, 1, 1),
    "label": "Fermeture de Noël",
}


class Recorder:
    """A deadline recomputer that remembers the calendar it was given."""

    name = "recorder"

    def __init__(self, fail: bool = False) -> None:
        self.calendars: list = []
        self.fail = fail

    async def recompute(self, uow, *, calendar, now) -> int:
        self.calendars.append(calendar)
        if self.fail:
            raise RuntimeError("recomputation failed")
        return 3


async def test_adding_a_closure_stores_audits_and_recomputes_on_the_new_calendar():
    uow, recorder = seeded_uow(), Recorder()

    change = await add_closure(uow, CLOCK, actor(), [recorder], **CHRISTMAS_WEEK)

    assert change.recomputed == {"recorder": 3}
    assert await get_closure(uow, change.closure_id) == Closure(**CHRISTMAS_WEEK)
    assert recorder.calendars[0].is_closed(date(2026, 12, 31))
    assert uow.audit.actions() == ["closure.created"]


async def test_a_failing_recomputation_rolls_the_closure_back():
    uow = seeded_uow()
    with pytest.raises(RuntimeError):
        await add_closure(uow, CLOCK, actor(), [Recorder(fail=True)], **CHRISTMAS_WEEK)
    assert await list_closures(uow) == []
    assert uow.audit.events == []


async def test_a_reversed_or_overlapping_closure_is_refused_and_nothing_stored():
    uow = seeded_uow()
    with pytest.raises(InvalidInput) as reversed_:
        await add_closure(
            uow,
            CLOCK,
            actor(),
            [],
            starts_on=date(2027, 1, 1),
            ends_on=date(2026, 12, 31),
            label="x",
        )
    await add_closure(uow, CLOCK, actor(), [], **CHRISTMAS_WEEK)
    with pytest.raises(InvalidInput) as overlapping:  # shares 1 January 2027
        await add_closure(
            uow, CLOCK, actor(), [], starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 3), label="y"
        )
    assert reversed_.value.code == overlapping.value.code == "invalid-closure"
    assert len(await list_closures(uow)) == 1


async def test_a_confined_caller_may_not_change_closures():
    uow = seeded_uow()
    with pytest.raises(Forbidden):
        await add_closure(uow, CLOCK, actor(confined_to(RODEZ)), [], **CHRISTMAS_WEEK)
    assert await list_closures(uow) == []


async def test_removing_a_closure_audits_it_and_an_unknown_one_is_not_found():
    uow = seeded_uow()
    change = await add_closure(uow, CLOCK, actor(), [], **CHRISTMAS_WEEK)

    removed = await remove_closure(uow, CLOCK, actor(), [Recorder()], change.closure_id)

    assert removed.closure == Closure(**CHRISTMAS_WEEK)
    assert uow.audit.actions() == ["closure.created", "closure.deleted"]
    with pytest.raises(NotFound):
        await remove_closure(uow, CLOCK, actor(), [], change.closure_id)
    with pytest.raises(NotFound):
        await get_closure(uow, change.closure_id)


async def test_recompute_open_deadlines_runs_every_recomputer_on_the_stored_calendar():
    uow = seeded_uow()
    await add_closure(uow, CLOCK, actor(), [], **CHRISTMAS_WEEK)
    recorder = Recorder()

    assert await recompute_open_deadlines(uow, CLOCK, [recorder]) == {"recorder": 3}
    assert recorder.calendars[0].closures == (Closure(**CHRISTMAS_WEEK),)


async def test_a_deadline_falling_in_a_closure_moves_past_it_and_past_a_weekend():
    uow = seeded_uow()
    # 23:30 UTC on 17 December is 18 December in Paris: + 10 days = 28 December.
    received = datetime.fromisoformat("2026-12-17T23:30:00+00:00")
    assert await deadline(uow, received_at=received, days=10) == date(2026, 12, 28)
    await add_closure(uow, CLOCK, actor(), [], **CHRISTMAS_WEEK)
    # 2 January 2027 is a Saturday: the next working day is Monday 4 January.
    assert await deadline(uow, received_at=received, days=10) == date(2027, 1, 4)
    assert (await working_calendar(uow)).is_closed(date(2026, 12, 28))
