"""app/services/operations.py on the fakes: what /metrics reads from the database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.domain.storage import Level, LevelState
from app.ports.outbox import OutgoingMail
from app.ports.storage import POOL_KEY, StoredLevel, school_key
from app.services.operations import operational_state
from tests.unit.services.convention_world import RODEZ, seeded_uow

NOW = datetime.fromisoformat("2026-03-29T01:30:00+00:00")  # the spring DST night in Paris


async def _queue(uow, key: str, status: str) -> None:
    await uow.outbox.add(
        OutgoingMail(key, "smtp-test", ("a@b.fr",), "s", "t", "h"), now=NOW, message_id=f"<{key}@x>"
    )
    message_id = max(uow.outbox.messages)
    uow.outbox.messages[message_id] = replace(uow.outbox.messages[message_id], status=status)


async def test_backlog_counts_pending_and_retrying_and_dead_apart():
    uow = seeded_uow()
    for n, status in enumerate(("pending", "retrying", "retrying", "dead", "sent")):
        await _queue(uow, f"k{n}", status)

    state = await operational_state(uow, ["outbox-dispatch"])

    assert (state.outbox_backlog, state.outbox_dead) == (3, 1)


async def test_last_success_per_job_and_never_succeeded_jobs_absent():
    uow = seeded_uow()
    run = await uow.job_runs.start("storage-fold", scheduled_for=NOW, now=NOW)
    await uow.job_runs.finish(run, now=NOW, outcome="succeeded", counts={}, error=None)
    failed = await uow.job_runs.start("support-digest", scheduled_for=NOW, now=NOW)
    await uow.job_runs.finish(failed, now=NOW, outcome="failed", counts={}, error="boom")

    state = await operational_state(uow, ["storage-fold", "support-digest"])

    assert state.job_last_success == {"storage-fold": NOW}


async def test_levels_by_school_and_pool_level_none_before_any_measurement():
    uow = seeded_uow()
    uow.storage.level_rows[school_key(RODEZ)] = StoredLevel(
        school_key(RODEZ), LevelState(Level.CRITICAL, measured_at=NOW), 1, 1
    )

    state = await operational_state(uow, [])

    assert state.school_levels == {RODEZ: Level.CRITICAL}
    assert state.pool_level is None

    uow.storage.level_rows[POOL_KEY] = StoredLevel(POOL_KEY, LevelState(Level.WARNING), 1, 1)
    assert (await operational_state(uow, [])).pool_level is Level.WARNING
