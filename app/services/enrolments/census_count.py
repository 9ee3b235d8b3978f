"""The census of an academic year (R-BIL-1, R-CONV-2a)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from app.domain.auth import Principal
from app.domain.calendar import paris_date
from app.domain.enrolments import (
    census_rule,
    ensure_year_in_convention,
)
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import BeneficiaryPeriod, counted_at_census
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services.convention import load_clock
from app.services.enrolments.windows import windows_in
from app.services.schools import beneficiary_periods
from app.services.visibility import sees


@dataclass(frozen=True)
class Census:
    academic_year: int
    census_on: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def count_census(
    uow: UnitOfWork, academic_year: int, rules: Rules = DEFAULT_RULES
) -> Census:
    """The census of N/N+1 inside the caller's open unit of work (billing's transaction):
    students counted per school on `census_on` = the close of the main campaign in force,
    or 31 Oct N when `rules.census_on_main_close` is false (R-BIL-1, `census_date`);
    schools without a counted student are absent."""
    rule = census_rule(await windows_in(uow, academic_year),
                       on_main_close=rules.census_on_main_close)
    counts = await uow.enrolments.census(rule)
    periods = await beneficiary_periods(uow, counts)
    counted = {code: n for code, n in counts.items()
               if counted_at_census(periods.get(code, BeneficiaryPeriod()), rule.census_on)}
    return Census(academic_year, rule.census_on, counted)


async def census(
    uow: UnitOfWork, academic_year: int, rules: Rules = DEFAULT_RULES
) -> dict[str, int]:
    """school_code → students counted at the census of N/N+1 (R-BIL-1), in its own
    transaction. Billing inside its own transaction calls `count_census`."""
    async with uow:
        return (await count_census(uow, academic_year, rules)).counts


async def census_view(
    uow: UnitOfWork, clock: Clock, principal: Principal, academic_year: int,
    rules: Rules = DEFAULT_RULES,
) -> Census:
    """The census as a caller sees it: a confined caller counts its schools only."""
    async with uow:
        ensure_year_in_convention(await load_clock(uow), academic_year, paris_date(clock.now()))
        counted = await count_census(uow, academic_year, rules)
    return replace(counted, counts={code: n for code, n in counted.counts.items()
                                    if sees(principal, code)})
