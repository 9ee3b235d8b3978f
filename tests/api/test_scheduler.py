"""The embedded mode's in-process scheduler (setting `run_scheduler`)."""

from __future__ import annotations

import asyncio

import pytest

from app.services.jobs import run_scheduler
from app.services.mail import OUTBOX_JOB, queue_mail


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port, "run_scheduler": True, "scheduler_tick_seconds": 0.05}


async def test_the_embedded_scheduler_delivers_queued_mail_without_a_cron(
    app, clock, smtp_server
):
    uow = app.state.container.uow_factory()
    async with uow:
        await queue_mail(uow, now=clock.now(), template="smtp-test", to=["a@ifsi.example"],
                         context={"requested_at": clock.now()}, dedupe_key="embedded")
        await uow.commit()
    clock.advance(minutes=1)  # a slot the scheduler has not run yet

    assert await asyncio.to_thread(smtp_server.wait_for, 1, 15)
    assert await asyncio.wait_for(recorded_success(app), 15)
    assert len(smtp_server.messages) == 1


async def recorded_success(app):
    """Wait (for the scheduler's task, not for time) until a success is recorded."""
    while True:
        uow = app.state.container.uow_factory()
        async with uow:
            recorded = await uow.job_runs.list(job=OUTBOX_JOB, before_id=None, limit=50)
        if any(r.outcome == "succeeded" and r.counts.get("sent") == 1 for r in recorded):
            return True
        await asyncio.sleep(0.02)


async def test_a_failing_round_does_not_stop_the_scheduler():
    rounds = []

    class Exploding:
        def __iter__(self):
            rounds.append(1)
            raise ConnectionError("database down")

    async def sleep(_seconds):
        if len(rounds) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_scheduler(
            Exploding(), uow_factory=None, locks=None, clock=None,  # type: ignore[arg-type]
            tick_seconds=1, sleep=sleep,
        )
    assert len(rounds) == 3
