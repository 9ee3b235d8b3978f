"""What a termination does to the register (RULES.md, Obligations register)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime

from app.domain.calendar import paris_date, paris_day_start
from app.domain.obligations.model import Obligation, When

SURVIVING_RULES = frozenset({"R-OBL-3", "R-OBL-7", "R-OBL-8", "R-OBL-9", "R-OBL-16"})
CENSUS_BOUND_RULES = frozenset({"R-OBL-10", "R-OBL-11"})


def _day(value: When) -> date:
    return paris_date(value) if isinstance(value, datetime) else value


def _survives(obligation: Obligation, effective_on: date, census_on: Callable[[int], date]) -> bool:
    if obligation.rule in SURVIVING_RULES:
        return True
    if obligation.rule in CENSUS_BOUND_RULES and obligation.academic_year is not None:
        return census_on(obligation.academic_year) < effective_on
    return False


def after_termination(
    obligations: Iterable[Obligation], effective_on: date | None,
    census_on: Callable[[int], date],
) -> Iterator[Obligation]:
    """R-OBL-17: a pending notice closes nothing. From a termination's effective date E
    no obligation opens except support answers, storage alerts and clean-up, retrieval,
    breach notices, and the recap and payment of years whose census is before E; the
    others due on or after E and still open at E become void from E, those due before E
    keep their state."""
    for obligation in obligations:
        if effective_on is None or _survives(obligation, effective_on, census_on):
            yield obligation
            continue
        opened = obligation.opened or obligation.listed_from
        if opened is not None and _day(opened) >= effective_on:
            continue
        due = obligation.due
        if due is None or _day(due) >= effective_on:
            yield obligation.voided_at(paris_day_start(effective_on))
        else:
            yield obligation
