"""What `/metrics` reports beyond the requests: the outbox backlog and its dead
messages, the last success of each periodic job and the storage level of each school,
read from the database at scrape time with a few cheap queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.domain.storage import Level
from app.ports.storage import POOL_KEY, school_key
from app.ports.unit_of_work import UnitOfWork

BACKLOG_STATUSES = ("pending", "retrying")
DEAD_STATUS = "dead"
_SCHOOL_PREFIX = school_key("")


@dataclass(frozen=True)
class OperationalState:
    outbox_backlog: int
    """Messages still to deliver: pending or retrying."""
    outbox_dead: int
    """Messages given up (5xx or attempts exhausted)."""
    job_last_success: dict[str, datetime]
    """Job name → when its latest successful run finished (absent: never succeeded)."""
    school_levels: dict[str, Level]
    """School code → current storage alert level (schools never measured are absent)."""
    pool_level: Level | None
    """The shared pool's level (R-STO-1), None before the first measurement."""


async def operational_state(uow: UnitOfWork, jobs: Sequence[str]) -> OperationalState:
    """Read the state in one read-only transaction (three queries)."""
    async with uow:
        counts = await uow.outbox.count_by_status((*BACKLOG_STATUSES, DEAD_STATUS))
        last_success = await uow.job_runs.last_successes(jobs)
        levels = await uow.storage.levels()
    return OperationalState(
        outbox_backlog=sum(counts.get(status, 0) for status in BACKLOG_STATUSES),
        outbox_dead=counts.get(DEAD_STATUS, 0),
        job_last_success=last_success,
        school_levels={
            key.removeprefix(_SCHOOL_PREFIX): stored.state.level
            for key, stored in levels.items() if key.startswith(_SCHOOL_PREFIX)
        },
        pool_level=levels[POOL_KEY].state.level if POOL_KEY in levels else None,
    )
