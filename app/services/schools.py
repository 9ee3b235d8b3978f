"""Beneficiary schools (R-SCH-1): read, add (citing an amendment), rename."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime

from app.domain.auth import Principal
from app.domain.convention import Amendment
from app.domain.errors import Conflict, PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.schools import (
    BeneficiaryPeriod,
    School,
    SchoolStatus,
    beneficiary_period,
    validate_school_code,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.visibility import ensure_unconfined, school_filter, school_or_404


async def beneficiary_periods(
    uow: UnitOfWork, codes: Iterable[str] | None = None
) -> dict[str, BeneficiaryPeriod]:
    """R-CONV-2a: the beneficiary period of each school (all, or `codes`), from the
    amendments that added them, inside the caller's unit of work."""
    wanted = sorted(set(codes)) if codes is not None else None
    schools = await uow.schools.list(codes=wanted, after=None, limit=10_000)
    amendments = [r.amendment for r in await uow.lifecycle.amendments()]
    return {s.code: beneficiary_period(s, amendments) for s in schools}


async def beneficiary_of(
    uow: UnitOfWork, code: str, amendments: Iterable[Amendment]
) -> BeneficiaryPeriod:
    """R-CONV-2a for one school, with the amendments the caller already holds (the
    convention's clock): one primary-key read on the account-request path."""
    school = await uow.schools.get(code)
    return beneficiary_period(school, amendments) if school else BeneficiaryPeriod()


async def school_status(uow: UnitOfWork, code: str, now: datetime) -> SchoolStatus:
    """`suspended` while a platform suspension of the whole school is active (the
    suspensions capability stores them); `active` otherwise."""
    found = await uow.lifecycle.suspensions(school_codes=[code])
    if any(s.whole_school_platform and s.active_at(now) for s in found):
        return SchoolStatus.SUSPENDED
    return SchoolStatus.ACTIVE


async def list_schools(
    uow: UnitOfWork, principal: Principal, *, after: str | None, limit: int
) -> list[School]:
    async with uow:
        return await uow.schools.list(codes=school_filter(principal), after=after, limit=limit)


async def get_school(uow: UnitOfWork, principal: Principal, code: str) -> School:
    async with uow:
        school = await uow.schools.get(code)
    return school_or_404(principal, school)


async def create_school(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    code: str,
    name: str,
    group: str | None,
    sites: tuple[str, ...],
    amendment_reference: str,
) -> School:
    ensure_unconfined(actor.principal, "the list of schools")
    validate_school_code(code)
    now = clock.now()
    async with uow:
        if await uow.schools.get(code) is not None:
            raise Conflict("a school with this code already exists", code="school-exists")
        if await uow.lifecycle.amendment(amendment_reference) is None:
            raise Conflict(
                "a school is added by a recorded amendment (R-CONV-2)", code="unknown-amendment"
            )
        school = School(
            code=code,
            name=name,
            group=group,
            sites=sites,
            amendment_reference=amendment_reference,
            version=1,
            created_at=now,
            updated_at=now,
        )
        if not await uow.schools.add(school):  # a concurrent creation won
            raise Conflict("a school with this code already exists", code="school-exists")
        await audit.record(
            uow, actor, now=now, action="school.created", resource_type="school",
            resource_id=code, new=_fields(school),
        )
        await uow.commit()
    return school


async def update_school(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    code: str,
    *,
    expected: Precondition,
    changes: dict[str, object],
) -> School:
    now = clock.now()
    async with uow:
        current = school_or_404(actor.principal, await uow.schools.get(code))
        if not expected.accepts(str(current.version)):
            raise PreconditionFailed("the school changed since it was read (stale If-Match)")
        if not changes:
            return current
        updated = current.changed(now=now, **changes)
        if not await uow.schools.update(updated, expected_version=current.version):
            raise PreconditionFailed("the school changed since it was read (stale If-Match)")
        await audit.record(
            uow, actor, now=now, action="school.updated", resource_type="school",
            resource_id=code, old=_fields(current), new=_fields(updated),
        )
        await uow.commit()
    return updated


def _fields(school: School) -> dict[str, object]:
    data = asdict(school)
    data.pop("created_at")
    data.pop("updated_at")
    return data
