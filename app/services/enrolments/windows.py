"""Enrolment windows of an academic year, read and changed (R-ACC-6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.calendar import AcademicYear, paris_date
from app.domain.enrolments import (
    EnrolmentWindows,
    census_date,
    ensure_census_read_only,
    ensure_year_in_convention,
    validate_windows,
    windows_in_force,
)
from app.domain.errors import PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.rules import DEFAULT_RULES, Rules
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.visibility import ensure_unconfined


def parse_year(label: str) -> int:
    """A malformed academic year → 422 `invalid-academic-year`."""
    return AcademicYear.parse(label).start_year


async def windows_in(uow: UnitOfWork, year: int) -> EnrolmentWindows:
    return windows_in_force(year, await uow.enrolments.stored_windows([year]))


async def get_windows(uow: UnitOfWork, clock: Clock, year: int) -> EnrolmentWindows:
    """The windows in force for N/N+1; 409 `convention-not-active` outside the
    convention (as known today)."""
    async with uow:
        ensure_year_in_convention(await load_clock(uow), year, paris_date(clock.now()))
        return await windows_in(uow, year)


async def change_windows(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    year: int,
    *,
    expected: Precondition,
    main_opens_on: date,
    main_closes_on: date,
    s2_opens_on: date,
    s2_closes_on: date,
    census_on: date | None,
    rules: Rules = DEFAULT_RULES,
) -> EnrolmentWindows:
    """Change the windows of N/N+1 (R-ACC-6). `expected` names the versions the caller
    read (`If-Match`); another current version → 412. The same windows again answer as
    they are; the census moves with `main_closes_on` (R-BIL-1) unless
    `rules.census_on_main_close` is false (then it stays on 31 Oct N)."""
    ensure_unconfined(actor.principal, "the enrolment windows")
    wanted = validate_windows(
        year, main_opens_on=main_opens_on, main_closes_on=main_closes_on,
        s2_opens_on=s2_opens_on, s2_closes_on=s2_closes_on,
    )
    ensure_census_read_only(wanted, census_on, on_main_close=rules.census_on_main_close)
    now = clock.now()
    async with uow:
        ensure_year_in_convention(await load_clock(uow), year, paris_date(now))
        current = await windows_in(uow, year)
        if not expected.accepts(str(current.version)):
            if wanted.same_dates(current):
                return current  # a retry of a change already made
            raise PreconditionFailed(
                "the windows changed since they were read", code="precondition-failed"
            )
        if wanted.same_dates(current):
            return current
        changed = replace(wanted, version=current.version + 1, updated_at=now)
        if not await uow.enrolments.save_windows(changed, expected_version=current.version):
            raise PreconditionFailed(
                "the windows changed since they were read", code="precondition-failed"
            )
        await audit.record(
            uow, actor, now=now, action="enrolment-campaign.changed",
            resource_type="enrolment_campaign", resource_id=AcademicYear(year).label,
            old=_window_fields(current, rules), new=_window_fields(changed, rules),
        )
        await uow.commit()
    return changed


def _window_fields(w: EnrolmentWindows, rules: Rules) -> dict[str, object]:
    return {
        "main_opens_on": w.main_opens_on,
        "main_closes_on": w.main_closes_on,
        "s2_opens_on": w.s2_opens_on,
        "s2_closes_on": w.s2_closes_on,
        "census_on": census_date(w, on_main_close=rules.census_on_main_close),
    }
