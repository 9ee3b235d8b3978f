"""One enrolment: reading, cancellation (R-ACC-7), listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.auth import Principal
from app.domain.calendar import paris_date
from app.domain.enrolments import (
    Enrolment,
    EnrolmentStatus,
    ensure_cancellable,
    ensure_not_dated_after_the_call,
    ensure_year_in_convention,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.visibility import school_filter, visible_or_404

NO_ENROLMENT = "no such enrolment"


async def get_enrolment(uow: UnitOfWork, principal: Principal, enrolment_id: str) -> Enrolment:
    async with uow:
        return visible_or_404(principal, await uow.enrolments.get(enrolment_id), NO_ENROLMENT)


async def cancel_enrolment(
    uow: UnitOfWork, clock: Clock, actor: Actor, enrolment_id: str, *, cancelled_on: date
) -> Enrolment:
    """Cancel an enrolment from `cancelled_on` (R-ACC-7: no role from that day, no
    grace). The same cancellation again answers the stored one; another date → 409; a
    date after today (Paris) → 422 `enrolment-in-future` (R-ACC-6a)."""
    now = clock.now()
    ensure_not_dated_after_the_call(cancelled_on, paris_date(now), "cancelled_on")
    async with uow:
        enrolment = visible_or_404(
            actor.principal, await uow.enrolments.get(enrolment_id, for_update=True), NO_ENROLMENT
        )
        if not ensure_cancellable(enrolment, cancelled_on):
            return enrolment
        await uow.enrolments.cancel(enrolment.id, cancelled_on)
        done = replace(enrolment, status=EnrolmentStatus.CANCELLED, cancelled_on=cancelled_on)
        await audit.record(
            uow, actor, now=now, action="enrolment.cancelled", resource_type="enrolment",
            resource_id=enrolment.id,
            old={"status": enrolment.status, "cancelled_on": None},
            new={"status": done.status, "cancelled_on": cancelled_on},
        )
        await uow.commit()
    return done


async def list_enrolments(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    academic_year: int | None,
    school_code: str | None,
    status: EnrolmentStatus | None,
    after_id: str | None,
    limit: int,
) -> list[Enrolment]:
    """A page ordered by id (creation order); a token confined to schools sees only
    theirs. A year outside the convention → 409 `convention-not-active`."""
    codes = school_filter(principal, school_code)
    async with uow:
        if academic_year is not None:
            ensure_year_in_convention(
                await load_clock(uow), academic_year, paris_date(clock.now())
            )
        if codes == []:
            return []
        return await uow.enrolments.list(
            academic_year=academic_year, school_codes=codes, status=status,
            after_id=after_id, limit=limit,
        )
