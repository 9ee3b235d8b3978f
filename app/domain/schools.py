"""Beneficiary schools (R-SCH-1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.domain.convention import Amendment
from app.domain.errors import Conflict, InvalidInput

SCHOOL_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SchoolStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # a platform suspension of the whole school is active now


@dataclass(frozen=True)
class School:
    code: str
    name: str
    group: str | None
    sites: tuple[str, ...]
    amendment_reference: str
    version: int
    created_at: datetime
    updated_at: datetime

    def changed(self, *, now: datetime, **changes: object) -> School:
        """A copy with `changes` applied, the version bumped and `updated_at` moved."""
        return replace(self, **changes, version=self.version + 1, updated_at=now)  # type: ignore[arg-type]


@dataclass(frozen=True)
class BeneficiaryPeriod:
    """R-CONV-2a: the days a school is a beneficiary. `beneficiary_from` None: since the
    convention itself (the seeded schools, R-CONV-5 applies); `beneficiary_until` None:
    not removed."""

    beneficiary_from: date | None = None
    beneficiary_until: date | None = None


def beneficiary_period(school: School, amendments: Iterable[Amendment]) -> BeneficiaryPeriod:
    """R-CONV-2a: a school added by an amendment is a beneficiary from that amendment's
    effective date; a school citing the convention itself has no `beneficiary_from`."""
    adding = next((a for a in amendments if a.reference == school.amendment_reference), None)
    return BeneficiaryPeriod(beneficiary_from=adding.effective_on if adding else None)


def is_beneficiary_for(period: BeneficiaryPeriod, *, event_on: date, call_on: date) -> bool:
    """R-CONV-2a: a request, fulfilment, enrolment or snapshot for the school is accepted
    unless its own Paris date is before `beneficiary_from`, or its own date or the call's
    Paris date is on or after the removal's effective date (`beneficiary_until` + 1)."""
    if period.beneficiary_from is not None and event_on < period.beneficiary_from:
        return False
    if period.beneficiary_until is not None:
        removed_on = period.beneficiary_until + timedelta(days=1)
        if event_on >= removed_on or call_on >= removed_on:
            return False
    return True


def ensure_beneficiary(period: BeneficiaryPeriod, *, event_on: date, call_on: date) -> None:
    """`is_beneficiary_for` as an answer: 409 `school-not-beneficiary` (R-CONV-2a)."""
    if not is_beneficiary_for(period, event_on=event_on, call_on=call_on):
        raise Conflict("the school is not a beneficiary of the convention on this date "
                       "(R-CONV-2a)", code="school-not-beneficiary", field="school_code")


def counted_at_census(period: BeneficiaryPeriod, census_on: date) -> bool:
    """R-CONV-2a: a census counts the school when `beneficiary_from` ≤ census date and,
    if removed, the census date is before the removal's effective date."""
    if period.beneficiary_from is not None and census_on < period.beneficiary_from:
        return False
    return period.beneficiary_until is None or census_on <= period.beneficiary_until


def validate_school_code(code: str) -> str:
    if not (2 <= len(code) <= 64) or not SCHOOL_CODE.match(code):
        raise InvalidInput(
            "a school code is 2 to 64 lowercase letters, digits and single hyphens",
            code="invalid-school-code",
            field="code",
        )
    return code
