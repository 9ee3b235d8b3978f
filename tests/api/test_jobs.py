"""Periodic jobs: due-ness per slot, runs recorded, locks, replays, GET /api/v1/jobs.
Runs against the real database; locks are the real ones (file locks on
SQLite, advisory locks on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.locks import job_locks
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.schedules import Every
from app.services.jobs import Job, JobRegistry, run_due, run_job
from app.services.mail import OUTBOX_JOB, queue_mail
from tests.conftest import bearer

MINUTE = Every(timedelta(minutes=1))


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port}


def runner(app, clock):
    """Keyword arguments of run_due/run_job for the app's wiring."""
    services = app.state.container
    return {"uow_factory": services.uow_factory, "locks": services.job_locks, "clock": clock}


def outbox_only(app) -> JobRegistry:
    """The app's outbox job alone (other capabilities' jobs stay out of these tests)."""
    return JobRegistry([app.state.container.jobs.get(OUTBOX_JOB)])


async def due(app, clock, registry=None, at=None):
    return await run_due(registry or outbox_only(app), at=at, **runner(app, clock))


async def runs(app, job: str):
    uow = app.state.container.uow_factory()
    async with uow:
        return await uow.job_runs.list(job=job, before_id=None, limit=100)


class Recorder:
    """A job use case that records the contexts it ran with."""

    def __init__(self, fail_with: Exception | None = None):
        self.contexts = []
        self.fail_with = fail_with

    async def __call__(self, context):
        self.contexts.append(context)
        if self.fail_with is not None:
            raise self.fail_with
        return {"seen": len(self.contexts)}


def registry_of(*jobs: tuple[str, object]) -> JobRegistry:
    return JobRegistry(Job(name, MINUTE, fn, f"test job {name}") for name, fn in jobs)


async def test_the_outbox_dispatcher_is_a_registered_job_that_delivers_the_queue(
    app, clock, smtp_server
):
    assert OUTBOX_JOB in app.state.container.jobs.names()
    uow = app.state.container.uow_factory()
    async with uow:
        await queue_mail(uow, now=clock.now(), template="smtp-test", to=["a@ifsi.example"],
                         context={"requested_at": clock.now()}, dedupe_key="job-test")
        await uow.commit()

    [outcome] = await due(app, clock)
    assert outcome.outcome == "succeeded"
    assert outcome.counts == {"sent": 1, "retried": 0, "dead": 0, "lost": 0}
    assert len(smtp_server.messages) == 1


async def test_a_job_runs_once_per_slot_and_each_run_is_recorded(app, clock):
    job = Recorder()
    registry = registry_of(("tick", job))
    clock.set("2025-03-03T09:00:20+00:00")

    [first] = await due(app, clock, registry)
    assert (first.outcome, first.scheduled_for) == (
        "succeeded", datetime.fromisoformat("2025-03-03T09:00:00+00:00"))
    clock.advance(seconds=30)
    [again] = await due(app, clock, registry)
    assert again.outcome == "not-due"
    clock.advance(seconds=10)  # 09:01:00, the next slot
    [second] = await due(app, clock, registry)
    assert second.outcome == "succeeded"
    assert len(job.contexts) == 2

    recorded = await runs(app, "tick")
    assert [r.outcome for r in recorded] == ["succeeded", "succeeded"]
    newest = recorded[0]
    assert newest.scheduled_for == datetime.fromisoformat("2025-03-03T09:01:00+00:00")
    assert (newest.started_at, newest.finished_at) == (clock.now(), clock.now())
    assert newest.counts == {"seen": 2}


async def test_a_failing_run_is_recorded_without_addresses_and_is_due_again(app, clock):
    job = Recorder(fail_with=RuntimeError("cannot mail jean.dupont@ifsi.example"))
    registry = registry_of(("fragile", job))

    [outcome] = await due(app, clock, registry)
    assert outcome.outcome == "failed"
    assert outcome.error == "RuntimeError: cannot mail <address>"
    [recorded] = await runs(app, "fragile")
    assert (recorded.outcome, recorded.error) == ("failed", outcome.error)

    job.fail_with = None
    [retried] = await due(app, clock, registry)  # same slot: the failure did not count
    assert retried.outcome == "succeeded"


async def test_replaying_an_instant_gives_the_use_case_a_clock_frozen_there(app, clock):
    job = Recorder()
    registry = registry_of(("replay", job))
    at = datetime.fromisoformat("2025-05-02T06:00:00+02:00")

    [outcome] = await due(app, clock, registry, at=at)
    assert outcome.scheduled_for == at
    [context] = job.contexts
    assert context.at == at and context.clock.now() == at
    assert context.actor.principal.subject == "system"
    [recorded] = await runs(app, "replay")
    assert recorded.started_at == clock.now()  # the run itself happened now

    [earlier] = await due(app, clock, registry, at=at - timedelta(days=1))
    assert earlier.outcome == "not-due"  # a later slot already ran


async def test_a_named_run_runs_the_job_even_when_it_is_not_due(app, clock):
    job = Recorder()
    registry = registry_of(("manual", job))
    await due(app, clock, registry)
    outcome = await run_job(registry, "manual", **runner(app, clock))
    assert outcome.outcome == "succeeded"
    assert len(job.contexts) == 2


async def test_a_job_whose_lock_another_runner_holds_is_skipped_and_not_recorded(app, clock):
    job = Recorder()
    registry = registry_of(("guarded", job))
    async with app.state.container.job_locks.hold("guarded") as held:
        assert held
        [outcome] = await due(app, clock, registry)
        assert outcome.outcome == "locked"
    assert job.contexts == []
    assert await runs(app, "guarded") == []
    [after] = await due(app, clock, registry)  # released on exit
    assert after.outcome == "succeeded"


async def test_two_runners_at_once_run_a_job_once(app, clock, settings):
    """Two processes' worth of wiring (own engine, own locks) on the same database."""
    started, release = asyncio.Event(), asyncio.Event()
    calls = []

    async def slow(context):
        calls.append(context.at)
        started.set()
        await release.wait()
        return {}

    registry = registry_of(("slow", slow))
    engines = [create_engine(settings.database_url) for _ in range(2)]
    try:
        wiring = [
            {"uow_factory": SqlUnitOfWorkFactory(session_factory(e)), "locks": job_locks(e),
             "clock": clock}
            for e in engines
        ]
        first = asyncio.create_task(run_due(registry, **wiring[0]))
        await asyncio.wait_for(started.wait(), 10)
        [second] = await run_due(registry, **wiring[1])
        assert second.outcome == "locked"
        release.set()
        [done] = await first
        assert done.outcome == "succeeded"
        [late] = await run_due(registry, **wiring[1])  # due-ness re-checked in the lock
        assert late.outcome == "not-due"
    finally:
        release.set()
        for engine in engines:
            await engine.dispose()
    assert len(calls) == 1
    assert [r.outcome for r in await runs(app, "slow")] == ["succeeded"]


async def test_a_run_left_running_by_a_dead_runner_is_closed_as_failed(app, clock):
    uow = app.state.container.uow_factory()
    async with uow:
        await uow.job_runs.start("crashy", scheduled_for=clock.now(), now=clock.now())
        await uow.commit()
    registry = registry_of(("crashy", Recorder()))

    [outcome] = await due(app, clock, registry)
    assert outcome.outcome == "succeeded"  # the crashed run did not succeed: still due
    newest, crashed = await runs(app, "crashy")
    assert newest.outcome == "succeeded"
    assert crashed.outcome == "failed"
    assert crashed.error.startswith("abandoned")


def test_job_names_are_kebab_case_and_unique():
    with pytest.raises(ValueError):
        Job("Outbox Dispatch", MINUTE, Recorder(), "x")
    registry = registry_of(("one", Recorder()))
    with pytest.raises(ValueError):
        registry.register(Job("one", MINUTE, Recorder(), "again"))


async def test_jobs_are_listed_with_their_last_run(app, client, clock, make_token):
    headers = bearer(make_token("audit:read"))
    before = await client.get("/api/v1/jobs", headers=headers)
    assert before.status_code == 200, before.text
    [job] = [j for j in before.json()["items"] if j["name"] == OUTBOX_JOB]
    assert job["schedule"] == "every 1 minute"
    assert job["last_run"] is None and job["last_success_at"] is None

    await due(app, clock)
    after = await client.get("/api/v1/jobs", headers=headers)
    [job] = [j for j in after.json()["items"] if j["name"] == OUTBOX_JOB]
    assert job["last_run"]["outcome"] == "succeeded"
    assert job["last_run"]["counts"] == {"sent": 0, "retried": 0, "dead": 0, "lost": 0}
    assert job["last_run"]["scheduled_for"] == "2025-03-03T09:00:00Z"
    assert job["last_success_at"] == "2025-03-03T09:00:00Z"

    forbidden = await client.get("/api/v1/jobs", headers=bearer(make_token("schools:read")))
    assert forbidden.status_code == 403


async def test_the_runs_of_a_job_are_listed_newest_first_by_pages(
    app, client, clock, make_token
):
    for _ in range(3):
        await due(app, clock)
        clock.advance(minutes=1)
    headers = bearer(make_token("audit:read"))
    url = f"/api/v1/jobs/{OUTBOX_JOB}/runs"
    page = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    slots = [r["scheduled_for"] for r in page["items"]]
    assert slots == ["2025-03-03T09:02:00Z", "2025-03-03T09:01:00Z"]
    rest = (await client.get(url, params={"limit": 2, "cursor": page["next_cursor"]},
                             headers=headers)).json()
    assert [r["scheduled_for"] for r in rest["items"]] == ["2025-03-03T09:00:00Z"]
    assert rest["next_cursor"] is None

    missing = await client.get("/api/v1/jobs/no-such-job/runs", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "job-not-found"
