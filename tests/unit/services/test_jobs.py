"""app/services/jobs.py on the fakes: the registry, the runner and the job reads."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

import pytest

from app.domain.errors import NotFound
from app.domain.schedules import DailyAt, Every
from app.services.jobs import (
    FrozenClock,
    Job,
    JobRegistry,
    job_runs,
    job_statuses,
    run_due,
    run_job,
    run_scheduler,
)
from tests.unit.services.convention_world import RODEZ, UT_ADMIN, clock_at, confined_to, seeded_uow
from tests.unit.services.fakes.calendar import FakeJobLocks

# Sunday 27 October 2024 in Paris: the autumn DST change repeats 02:00–03:00.
AUTUMN_DST = "2024-10-27T07:30:00+00:00"


def _counting(name: str, schedule=None, fail: bool = False) -> tuple[Job, list]:
    seen: list = []

    async def run(context):
        seen.append(context)
        if fail:
            raise RuntimeError("mail to ops@univ-tlse3.fr refused")
        return {"done": 1}

    return Job(name, schedule or DailyAt(time(8, 0)), run, "test job"), seen


def _runner(uow):
    return {"uow_factory": lambda: uow, "locks": FakeJobLocks()}


def test_a_job_name_is_kebab_case_and_registered_once():
    with pytest.raises(ValueError):
        _counting("Storage_Fold")
    job, _ = _counting("storage-fold")
    registry = JobRegistry([job])
    with pytest.raises(ValueError):
        registry.register(job)
    with pytest.raises(NotFound) as unknown:
        registry.get("nope")
    assert unknown.value.code == "job-not-found"
    assert (registry.names(), len(registry), list(registry)) == (["storage-fold"], 1, [job])


def test_a_frozen_clock_tells_its_instant():
    instant = datetime.fromisoformat(AUTUMN_DST)
    assert FrozenClock(instant).now() == instant


async def test_a_daily_job_runs_once_per_paris_day_across_the_dst_change():
    uow = seeded_uow()
    job, seen = _counting("daily")
    registry = JobRegistry([job])
    clock = clock_at(AUTUMN_DST)  # 08:30 Paris (UTC+1 since 03:00)

    first = await run_due(registry, clock=clock, **_runner(uow))
    clock.advance(hours=2)
    again = await run_due(registry, clock=clock, **_runner(uow))

    assert [o.outcome for o in first + again] == ["succeeded", "not-due"]
    assert first[0].scheduled_for == datetime.fromisoformat("2024-10-27T07:00:00+00:00")
    assert uow.job_runs.runs[first[0].run_id].counts == {"done": 1}
    assert len(seen) == 1


async def test_a_job_held_by_another_runner_is_skipped_and_records_nothing():
    uow = seeded_uow()
    job, seen = _counting("daily")
    locks = FakeJobLocks(held=["daily"])
    outcomes = await run_due(
        JobRegistry([job]), uow_factory=lambda: uow, locks=locks, clock=clock_at(AUTUMN_DST)
    )
    assert [o.outcome for o in outcomes] == ["locked"]
    assert (seen, uow.job_runs.runs) == ([], {})


async def test_a_failing_job_is_recorded_failed_without_the_addresses_of_its_error():
    uow = seeded_uow()
    job, _ = _counting("daily", fail=True)
    (outcome,) = await run_due(JobRegistry([job]), clock=clock_at(AUTUMN_DST), **_runner(uow))
    assert outcome.outcome == "failed"
    assert "ops@univ-tlse3.fr" not in (outcome.error or "")
    assert "RuntimeError" in (outcome.error or "")
    assert uow.job_runs.runs[outcome.run_id].outcome == "failed"


async def test_a_run_left_running_by_a_stopped_runner_is_marked_failed():
    uow = seeded_uow()
    at = datetime.fromisoformat(AUTUMN_DST)
    stale = await uow.job_runs.start("daily", scheduled_for=at - timedelta(days=1), now=at)
    job, _ = _counting("daily")
    await run_due(JobRegistry([job]), clock=clock_at(AUTUMN_DST), **_runner(uow))
    assert uow.job_runs.runs[stale].outcome == "failed"


async def test_run_job_runs_a_job_not_due_as_of_the_given_instant_with_a_frozen_clock():
    uow = seeded_uow()
    job, seen = _counting("hourly", Every(timedelta(hours=1)))
    registry = JobRegistry([job])
    clock = clock_at(AUTUMN_DST)
    await run_due(registry, clock=clock, **_runner(uow))
    replay = datetime.fromisoformat("2024-02-29T23:59:59+00:00")

    outcome = await run_job(registry, "hourly", clock=clock, at=replay, **_runner(uow))

    assert (outcome.outcome, outcome.scheduled_for) == ("succeeded", replay)
    assert seen[-1].clock.now() == replay
    with pytest.raises(NotFound):
        await run_job(registry, "missing", clock=clock, **_runner(uow))


async def test_the_scheduler_runs_what_is_due_each_tick_and_survives_a_failing_round():
    uow = seeded_uow()
    job, seen = _counting("minutely", Every(timedelta(minutes=1)))
    clock = clock_at(AUTUMN_DST)
    ticks: list[float] = []
    broken = {"first": True}

    def factory():
        if broken.pop("first", False):
            raise ConnectionError("database down")
        return uow

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)
        clock.advance(minutes=1)
        if len(ticks) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_scheduler(
            JobRegistry([job]),
            uow_factory=factory,
            locks=FakeJobLocks(),
            clock=clock,
            tick_seconds=30,
            sleep=sleep,
        )
    assert ticks == [30, 30, 30]
    assert len(seen) == 2  # the first round failed, the next two ran


async def test_job_statuses_page_by_name_and_show_nothing_to_a_confined_caller():
    uow = seeded_uow()
    registry = JobRegistry([_counting(n)[0] for n in ("c-job", "a-job", "b-job")])
    await run_job(registry, "b-job", clock=clock_at(AUTUMN_DST), **_runner(uow))

    page = await job_statuses(uow, registry, UT_ADMIN, after="a-job", limit=1)

    assert [s.job.name for s in page] == ["b-job"]
    assert page[0].last_run is not None and page[0].last_success == page[0].last_run
    assert await job_statuses(uow, registry, confined_to(RODEZ), after=None, limit=10) == []


async def test_job_runs_newest_first_and_404_to_a_confined_caller_or_an_unknown_job():
    uow = seeded_uow()
    registry = JobRegistry([_counting("daily")[0]])
    clock = clock_at(AUTUMN_DST)
    for _ in range(2):
        await run_job(registry, "daily", clock=clock, **_runner(uow))

    runs = await job_runs(uow, registry, UT_ADMIN, "daily", before_id=None, limit=10)

    assert [r.id for r in runs] == [2, 1]
    for principal, name in ((confined_to(RODEZ), "daily"), (UT_ADMIN, "nope")):
        with pytest.raises(NotFound):
            await job_runs(uow, registry, principal, name, before_id=None, limit=10)
