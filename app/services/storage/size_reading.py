"""R-UNIT-1a at every start: the convention's own sizes under the `SIZE_UNIT` reading in
force, and every level re-evaluated once against the readings in force."""

from __future__ import annotations

from datetime import datetime

from app.domain.reference import convention_size_figures
from app.domain.storage import (
    AlertEvent,
    pool_threshold,
    reevaluate_level,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.storage import POOL_KEY, StorageAlert, StoredLevel
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.storage.alerts import (
    record_alerts,
    terms_at,
)
from app.services.storage.policy import (
    StoragePolicy,
)

# ------------------------------------------------------------------------ start-up


async def apply_size_reading(
    uow: UnitOfWork, clock: Clock, actor: Actor, policy: StoragePolicy
) -> list[StorageAlert]:
    """R-UNIT-1a, run at every start: the convention's own figures (500 Go, 41 Go) are
    read with the `SIZE_UNIT` reading in force (`policy.size_unit`) on any database;
    amendments state bytes and stay as they are. Then every level is re-evaluated once
    from its latest snapshot (`reevaluate_level`) against the threshold, warning percent
    and hysteresis in force: a rise is mailed as any rise, a clearing recorded without a
    mail, an unchanged level left alone. Nothing to do before the seed."""
    now = clock.now()
    async with uow:
        ref = await uow.convention.get()
        if ref is None:
            return []
        figures = convention_size_figures(policy.size_unit)
        stored = (ref.storage_capacity_bytes, ref.school_alert_threshold_bytes)
        if stored != figures:
            await uow.convention.set_size_figures(*figures)
            # The clock must be read back in this transaction, not from the cache.
            uow.lifecycle.clock_changed = True
            await audit.record(
                uow, actor, now=now, action="convention.size-reading-applied",
                resource_type="convention", resource_id=ref.reference,
                old={"storage_capacity_bytes": stored[0],
                     "school_alert_threshold_bytes": stored[1]},
                new={"storage_capacity_bytes": figures[0],
                     "school_alert_threshold_bytes": figures[1]},
            )
        alerts = await _reevaluate_levels(uow, now, policy)
        await uow.commit()
    return alerts


async def _reevaluate_levels(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy
) -> list[StorageAlert]:
    """Each measured level against the threshold, warning percent and hysteresis in
    force now: idempotent (a level that holds stays, with its reminders), so only a
    start that changed one of them changes a level."""
    convention = await load_clock(uow)

    def threshold_of(key: str, row: StoredLevel) -> int:
        assert row.state.measured_at is not None
        terms = terms_at(convention, row.state.measured_at)
        if key == POOL_KEY:
            return pool_threshold(terms.storage_capacity_bytes)
        return terms.school_alert_threshold_bytes

    def reevaluated(key: str, row: StoredLevel) -> tuple[StoredLevel, list[AlertEvent]]:
        threshold = threshold_of(key, row)
        state, events = reevaluate_level(row.state, row.bytes_used, threshold,
                                         policy.hysteresis_bytes, policy.warning_percent)
        return StoredLevel(key, state, row.bytes_used, threshold), events

    stale = [
        key for key, row in (await uow.storage.levels()).items()
        if row.state.measured_at is not None and reevaluated(key, row)[0] != row
    ]
    if not stale:
        return []
    changed: list[StoredLevel] = []
    events: list[tuple[str | None, AlertEvent, StoredLevel]] = []
    for key, row in (await uow.storage.lock_levels(stale)).items():
        level, raised = reevaluated(key, row)
        if level == row:
            continue  # another process starting with the same readings got there first
        changed.append(level)
        if key == POOL_KEY:
            if policy.pool_alerts:
                events += [(None, e, level) for e in raised]
        else:
            events += [(key.removeprefix("school:"), e, level) for e in raised]
    await uow.storage.save_levels(changed)
    return await record_alerts(uow, now, policy, convention, events,
                         mail_key=f":start-{now.isoformat()}")
