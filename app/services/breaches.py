"""Personal-data breach records and the informing of the other parties' DPOs (art. 12;
the obligations register derives R-OBL-16 from them).

Who: UT records them (`obligations:write`); the parties (UT, the Region, the GCS: callers
not confined to schools) read them. A breach names no school: a caller confined to
schools knows none (404, empty list), as for the operator's other records."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from app.domain.breaches import Breach, DpoNotification, check_dpo_notification
from app.domain.calendar import ensure_event_date_in_range, ensure_not_ahead
from app.domain.convention import Party
from app.domain.errors import Conflict, NotFound
from app.domain.ids import new_id
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.visibility import ensure_unconfined, unschooled_or_404

MISSING = "no such breach record"


def _dated(field: str, instant: datetime, now: datetime, skew_seconds: int) -> None:
    ensure_not_ahead(instant, now, skew_seconds, field)
    ensure_event_date_in_range(instant, field)


def _breach_audit(breach: Breach) -> dict[str, Any]:
    return {"reference": breach.reference, "discovered_by": breach.discovered_by,
            "discovered_at": breach.discovered_at}


async def record_breach(
    uow: UnitOfWork, clock: Clock, actor: Actor, *, reference: str, discovered_by: Party,
    discovered_at: datetime, description: str, skew_seconds: int,
) -> tuple[Breach, bool]:
    """Record a breach; (breach, created). The same reference with the same content
    answers the stored record; with other content → 409 `breach-exists`."""
    ensure_unconfined(actor.principal, "breach records")
    now = clock.now()
    _dated("discovered_at", discovered_at, now, skew_seconds)
    async with uow:
        await uow.breaches.lock_for_filing()
        known = await uow.breaches.by_reference(reference)
        if known is not None:
            if known.same_record(discovered_by, discovered_at, description):
                return known, False
            raise Conflict("this reference was recorded with other content",
                           code="breach-exists")
        breach = Breach(id=new_id(now), reference=reference, discovered_by=discovered_by,
                        discovered_at=discovered_at, description=description,
                        recorded_at=now)
        await uow.breaches.add(breach)
        await audit.record(uow, actor, now=now, action="breach.recorded",
                           resource_type="breach", resource_id=breach.id,
                           new=_breach_audit(breach))
        await uow.commit()
    return breach, True


async def record_dpo_notification(
    uow: UnitOfWork, clock: Clock, actor: Actor, breach_id: str, *, party: Party,
    informed_at: datetime, reference: str | None, note: str | None, skew_seconds: int,
) -> tuple[Breach, bool]:
    """Record the instant `party`'s DPO was informed of the breach; (breach, created)."""
    unschooled_or_404(actor.principal, MISSING)
    now = clock.now()
    _dated("informed_at", informed_at, now, skew_seconds)
    async with uow:
        breach = await uow.breaches.get(breach_id, for_update=True)
        if breach is None:
            raise NotFound(MISSING)
        if not check_dpo_notification(breach, party, informed_at, reference, note):
            return breach, False
        notification = DpoNotification(party=party, informed_at=informed_at,
                                       reference=reference, note=note, recorded_at=now)
        await uow.breaches.add_notification(breach.id, notification)
        await audit.record(uow, actor, now=now, action="breach.dpo-informed",
                           resource_type="breach", resource_id=breach.id,
                           new={"party": party, "informed_at": informed_at,
                                "reference": reference})
        await uow.commit()
    return replace(breach, notifications=(*breach.notifications, notification)), True


async def get_breach(uow: UnitOfWork, actor: Actor, breach_id: str) -> Breach:
    unschooled_or_404(actor.principal, MISSING)
    async with uow:
        breach = await uow.breaches.get(breach_id)
    if breach is None:
        raise NotFound(MISSING)
    return breach


async def list_breaches(
    uow: UnitOfWork, actor: Actor, *, after_id: str | None, limit: int,
) -> list[Breach]:
    if actor.principal.schools is not None:
        return []
    async with uow:
        return await uow.breaches.list(after_id=after_id, limit=limit)


async def all_breaches(uow: UnitOfWork) -> list[Breach]:
    """Every breach record with its notifications, in recording order, read in the
    caller's unit of work (the obligations register's reading)."""
    return await uow.breaches.list()
