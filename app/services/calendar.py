"""The working-day calendar (R-TIME-3, R-TIME-4): UT closures and deadlines.

A change of closures is one use case in one transaction: validate against the stored
closures, store, audit, then let every registered `DeadlineRecomputer` move its open
deadlines on the new calendar (R-TIME-4, R-SUP-2). Any failure rolls back all of it.
Later capabilities register their recomputers in `app.main` (`deadline_recomputers`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.calendar import Closure, WorkingCalendar, validate_closures
from app.domain.errors import NotFound
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import DeadlineRecomputer, UnitOfWork
from app.services import audit
from app.services.visibility import ensure_unconfined


@dataclass(frozen=True)
class ClosureChange:
    """What a change did: the closure concerned and the deadlines each recomputer moved."""

    closure_id: str
    closure: Closure
    recomputed: dict[str, int]


def _fields(closure: Closure) -> dict[str, object]:
    return {"starts_on": closure.starts_on, "ends_on": closure.ends_on, "label": closure.label}


async def list_closures(uow: UnitOfWork) -> list[tuple[str, Closure]]:
    async with uow:
        return await uow.closures.list()


async def get_closure(uow: UnitOfWork, closure_id: str) -> Closure:
    for stored_id, closure in await list_closures(uow):
        if stored_id == closure_id:
            return closure
    raise NotFound("no such closure")


async def _change(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    recomputers: Sequence[DeadlineRecomputer],
    *,
    add: tuple[str, Closure] | None = None,
    remove: str | None = None,
) -> ClosureChange:
    ensure_unconfined(actor.principal, "UT's closures")
    now = clock.now()
    async with uow:
        await uow.closures.lock_for_change()
        stored = dict(await uow.closures.list())
        if add is not None:
            closure_id, closure = add
            validate_closures([*stored.values(), closure])
            await uow.closures.add(closure_id, closure, now=now)
            stored[closure_id] = closure
            action, old, new = "closure.created", None, _fields(closure)
        else:
            assert remove is not None
            closure_id = remove
            removed = await uow.closures.delete(closure_id)
            if removed is None:
                raise NotFound("no such closure")
            closure = stored.pop(closure_id, removed)
            action, old, new = "closure.deleted", _fields(closure), None
        await audit.record(
            uow, actor, now=now, action=action, resource_type="closure",
            resource_id=closure_id, old=old, new=new,
        )
        calendar = WorkingCalendar(stored.values())
        recomputed = {
            r.name: await r.recompute(uow, calendar=calendar, now=now) for r in recomputers
        }
        await uow.commit()
    return ClosureChange(closure_id, closure, recomputed)


async def recompute_open_deadlines(
    uow: UnitOfWork, clock: Clock, recomputers: Sequence[DeadlineRecomputer]
) -> dict[str, int]:
    """Run at every start: the deadlines of items still open follow the readings in force
    (R-TIME-3 closures, R-SUP-1 "48 hours"), whatever the readings they were computed
    under; recorded outcomes (met, answered, fulfilled) are never touched."""
    now = clock.now()
    async with uow:
        calendar = WorkingCalendar(c for _, c in await uow.closures.list())
        recomputed = {
            r.name: await r.recompute(uow, calendar=calendar, now=now) for r in recomputers
        }
        await uow.commit()
    return recomputed


async def add_closure(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    recomputers: Sequence[DeadlineRecomputer],
    *,
    starts_on: date,
    ends_on: date,
    label: str,
) -> ClosureChange:
    """Add a closure period; reversed or overlapping a stored one → `invalid-closure`."""
    closure = Closure(starts_on, ends_on, label)
    validate_closures([closure])  # reversed: refuse before opening a transaction
    return await _change(uow, clock, actor, recomputers, add=(str(uuid.uuid4()), closure))


async def remove_closure(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    recomputers: Sequence[DeadlineRecomputer],
    closure_id: str,
) -> ClosureChange:
    return await _change(uow, clock, actor, recomputers, remove=closure_id)


async def working_calendar(uow: UnitOfWork) -> WorkingCalendar:
    """The calendar with today's stored closures."""
    return WorkingCalendar(c for _, c in await list_closures(uow))


async def deadline(uow: UnitOfWork, *, received_at: datetime, days: int) -> date:
    """R-TIME-4: the Paris date of `received_at` + `days`, moved to a working day."""
    return (await working_calendar(uow)).deadline_from_instant(received_at, days)
