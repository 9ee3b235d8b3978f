"""The storage jobs: reminders while critical (R-STO-2, R-STO-1), retrieval reminders
before the access end (R-STO-4) and the fold of old snapshots into daily figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from app.domain.calendar import paris_date, paris_day_bounds
from app.domain.formatting import french_date
from app.domain.schedules import DailyAt, Every
from app.domain.storage import AlertEvent
from app.domain.storage_reminders import record_reminders, retrieval_reminder_dates
from app.ports.clock import Clock
from app.ports.storage import POOL_KEY, StoredLevel
from app.ports.unit_of_work import UnitOfWorkFactory
from app.services.convention import load_clock
from app.services.jobs import Job, JobContext, JobFunction
from app.services.mail import queue_mail
from app.services.storage.alerts import (
    addressees,
    current_referents,
    record_alerts,
)
from app.services.storage.policy import (
    FOLD_CHUNK,
    FOLD_JOB,
    REMINDERS_JOB,
    RETRIEVAL_JOB,
    StoragePolicy,
)

# ------------------------------------------------------------------------ jobs


async def send_critical_reminders(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy
) -> dict[str, int]:
    """R-STO-2 (and R-STO-1 for the pool): while critical, one reminder every 7 days
    (`policy.reminder_days`) of measured time from the snapshot that raised it. Each is
    recorded (and mailed) once: the level row keeps the last one, the mail's dedupe key is
    the reminder's instant."""
    now = clock.now()
    counts = {"reminders": 0}
    uow = uow_factory()
    async with uow:
        keys = await uow.storage.critical_keys()
        if not policy.pool_alerts:
            keys = [k for k in keys if k != POOL_KEY]
        if not keys:
            return counts
        convention = await load_clock(uow)
        levels = await uow.storage.lock_levels(keys)
        changed: list[StoredLevel] = []
        events: list[tuple[str | None, AlertEvent, StoredLevel]] = []
        for key, row in levels.items():
            state, due = record_reminders(row.state, now, row.bytes_used, row.threshold_bytes,
                                          policy.reminder_days)
            if not due:
                continue
            level = replace(row, state=state)
            changed.append(level)
            code = None if key == POOL_KEY else key.removeprefix("school:")
            events += [(code, e, level) for e in due]
        await uow.storage.save_levels(changed)
        await record_alerts(uow, now, policy, convention, events)
        await uow.commit()
    counts["reminders"] = len(events)
    return counts


async def send_retrieval_reminders(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy
) -> dict[str, int]:
    """R-STO-4: remind every school's referents (UT in copy) to retrieve their content
    90 and 30 days (`policy.retrieval_days`) before the convention's access end. Run
    daily; a day missed is caught up by the next run (the latest reminder date reached is
    sent, once per school: the dedupe key names the access end and the reminder)."""
    now = clock.now()
    today = paris_date(now)
    uow = uow_factory()
    mailed = 0
    async with uow:
        convention = await load_clock(uow)
        status = convention.status_on(today)
        access_end = status.prospective_access_end_on
        reached = [
            (days, on)
            for days, on in zip(policy.retrieval_days,
                                retrieval_reminder_dates(access_end, policy.retrieval_days),
                                strict=True)
            if on <= today
        ]
        if not reached or today > access_end:
            return {"mailed": 0}
        days, _ = max(reached, key=lambda r: r[1])
        for school in await uow.schools.list(codes=None, after=None, limit=10_000):
            referents = await current_referents(uow, convention, school.code, now)
            to, cc = addressees(referents, policy.alert_cc)
            if not to:
                continue
            added = await queue_mail(
                uow, now=now, template="storage-retrieval", to=to, cc=cc,
                dedupe_key=f"storage-retrieval:{access_end.isoformat()}:{days}:{school.code}",
                context={
                    "school_name": school.name,
                    "access_end": french_date(access_end),
                    "days": (access_end - today).days,
                    "moodle_url": policy.moodle_url,
                },
            )
            mailed += int(added)
        await uow.commit()
    return {"mailed": mailed}


def fold_cutoff(now: datetime, after_days: int) -> datetime:
    """Start (UTC) of the first Paris day not yet folded: days more than `after_days`
    days before today are folded whole."""
    start, _ = paris_day_bounds(paris_date(now) - timedelta(days=after_days))
    return start


async def fold_old_snapshots(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy,
    chunk: int = FOLD_CHUNK,
) -> dict[str, int]:
    """Fold raw snapshots of Paris days more than 400 days old into daily figures
    (max, last, count), a chunk per transaction; history reads both."""
    cutoff = fold_cutoff(clock.now(), policy.fold_after_days)
    folded = 0
    while True:
        uow = uow_factory()
        async with uow:
            count = await uow.storage.fold_before(cutoff, limit=chunk)
            await uow.commit()
        folded += count
        if count < chunk:
            return {"folded": folded}


def _job_function(use_case: Any, policy: StoragePolicy) -> JobFunction:
    async def run(context: JobContext) -> dict[str, int]:
        return await use_case(context.uow_factory, context.clock, policy)

    return run


def _days_text(days: Sequence[int]) -> str:
    """(90, 30) → "90 and 30"."""
    *rest, last = (str(d) for d in days)
    return f"{', '.join(rest)} and {last}" if rest else last


def storage_jobs(policy: StoragePolicy) -> list[Job]:
    """The storage jobs, replayable with `convention-api jobs run NAME --at INSTANT`."""
    return [
        Job(
            name=REMINDERS_JOB,
            schedule=Every(timedelta(hours=1)),
            run=_job_function(send_critical_reminders, policy),
            description=f"Storage reminders every {policy.reminder_days} days of measured "
            "time while critical (R-STO-2, R-STO-1).",
        ),
        Job(
            name=RETRIEVAL_JOB,
            schedule=DailyAt(time(8, 0)),
            run=_job_function(send_retrieval_reminders, policy),
            description="Remind schools to retrieve their content "
            f"{_days_text(policy.retrieval_days)} days before the convention's access end "
            "(R-STO-4).",
        ),
        Job(
            name=FOLD_JOB,
            schedule=DailyAt(time(3, 30)),
            run=_job_function(fold_old_snapshots, policy),
            description="Fold raw storage snapshots older than 400 days into daily figures.",
        ),
    ]
