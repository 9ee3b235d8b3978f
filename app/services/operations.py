"""What `/metrics` reports beyond the requests: the outbox backlog and its dead
messages, the last success of each periodic job and the storage level of each school,
read from the database at scrape time with a few cheap queries."""

from __future__ import annotations

from collections.abc import Sequence

from app.ports.operations import OperationalState
from app.ports.storage import POOL_KEY, school_key
from app.ports.unit_of_work import UnitOfWork

BACKLOG_STATUSES = ("pending", "retrying")
DEAD_STATUS = "dead"
_SCHOOL_PREFIX = school_key("")




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
