"""Amendments (avenants) to the convention (R-CONV-2, R-CONV-2a, R-SCH-1): recorded once
per reference, applied by the convention's clock (`load_clock`) from their effective
date."""

from __future__ import annotations

from datetime import date

from app.domain.calendar import paris_date
from app.domain.convention import Amendment, TermChanges
from app.domain.errors import Conflict, InvalidInput
from app.domain.lifecycle import (
    AmendmentRecord,
    check_amendment,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.visibility import ensure_unconfined


async def record_amendment(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    reference: str,
    signed_on: date,
    effective_on: date,
    changes: TermChanges,
    schools_added: str | None,
    removes_school_codes: tuple[str, ...] = (),
) -> AmendmentRecord:
    ensure_unconfined(actor.principal, "the convention")
    now = clock.now()
    amendment = Amendment(reference, signed_on, effective_on, changes,
                          removes_school_codes=tuple(sorted(set(removes_school_codes))))
    check_amendment(amendment, schools_added)
    if signed_on > paris_date(now):
        raise InvalidInput("signed in the future", code="out-of-order", field="signed_on")
    async with uow:
        await uow.lifecycle.lock_for_change()
        if await uow.lifecycle.amendment(reference) is not None:
            raise Conflict("an amendment with this reference exists", code="amendment-exists")
        removed = amendment.removes_school_codes
        if removed and len(await uow.schools.list(codes=list(removed), after=None,
                                                  limit=len(removed))) != len(removed):
            raise InvalidInput("a removed school is not a school of the convention",
                               code="unknown-school", field="removes_school_codes")
        await uow.lifecycle.add_amendment(amendment, schools_added=schools_added, now=now)
        await audit.record(
            uow, actor, now=now, action="amendment.recorded", resource_type="amendment",
            resource_id=reference,
            new={"signed_on": signed_on, "effective_on": effective_on,
                 "ends_on": changes.ends_on,
                 "storage_capacity_bytes": changes.storage_capacity_bytes,
                 "school_alert_threshold_bytes": changes.school_alert_threshold_bytes,
                 "rate_per_student_cents": changes.rate_per_student_cents,
                 "schools_added": schools_added,
                 "removes_school_codes": list(amendment.removes_school_codes)},
        )
        stored = await uow.lifecycle.amendment(reference)
        await uow.commit()
    assert stored is not None
    return stored


async def list_amendments(uow: UnitOfWork) -> list[AmendmentRecord]:
    async with uow:
        return await uow.lifecycle.amendments()
