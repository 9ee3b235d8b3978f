"""What a serving process does at start and at stop, around the requests: migrate,
seed, apply the readings of the settings, run the scheduler, freeze the heap."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

from sqlalchemy.exc import IntegrityError

from app.adapters.db import migrations
from app.bootstrap import Container
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services.calendar import recompute_open_deadlines
from app.services.jobs import run_scheduler
from app.services.seed import seed_reference_data
from app.services.storage import apply_size_reading

log = logging.getLogger("app")

SEED_ATTEMPTS = 3


async def seed_once_across_processes(container: Container) -> None:
    """Seed at start-up. Workers and replicas starting together race to insert the same
    reference rows: the loser's unique violation means another process has just seeded,
    so it looks again (and finds everything there) instead of failing its start-up."""
    for attempt in range(1, SEED_ATTEMPTS + 1):
        try:
            await seed_reference_data(
                container.uow_factory(), container.clock, Actor(SYSTEM), container.rules
            )
            return
        except IntegrityError:
            if attempt == SEED_ATTEMPTS:
                raise
            log.info("reference data seeded concurrently; checking again")


async def prepare_database(container: Container) -> None:
    """Migrate and seed when the settings say so, then apply the readings of the
    settings, which act on any database, seeded now or long ago: sizes and levels
    (R-UNIT-1a), deadlines of items still open."""
    settings = container.settings
    if settings.auto_migrate:
        await migrations.upgrade_async(settings.database_url)
    if settings.seed_on_start:
        await seed_once_across_processes(container)
    await apply_size_reading(
        container.uow_factory(), container.clock, Actor(SYSTEM), container.storage_policy
    )
    await recompute_open_deadlines(
        container.uow_factory(), container.clock, container.deadline_recomputers
    )


@asynccontextmanager
async def scheduler(container: Container) -> AsyncIterator[None]:
    """The periodic jobs in this process while it serves, when RUN_SCHEDULER is set."""
    if not container.settings.run_scheduler:
        yield
        return
    task = asyncio.create_task(
        run_scheduler(
            container.jobs, uow_factory=container.uow_factory, locks=container.job_locks,
            clock=container.clock, tick_seconds=container.settings.scheduler_tick_seconds,
        ),
        name="job-scheduler",
    )
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Everything made before serving lives as long as the process (modules, the app,
    its adapters): out of the collector's way, a full collection scans ~10× fewer
    objects (docs/PERFORMANCE.md: the collector's pauses set the access check's p99).
    Unfrozen at shutdown, so that apps made and dropped in one process (tests) are
    still collected."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@asynccontextmanager
async def serving(container: Container) -> AsyncIterator[None]:
    """The app's lifespan: ready the database, start the scheduler, serve, then stop
    in reverse order and release the engine."""
    try:
        await prepare_database(container)
        async with scheduler(container):
            with frozen_heap():
                try:
                    yield
                finally:
                    container.metrics.process_exiting()
    finally:
        await container.engine.dispose()
