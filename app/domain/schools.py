"""Beneficiary schools (R-SCH-1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.domain.accounts import Role
from app.domain.calendar import AcademicYear
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
    convention itself (the seeded schools, whose end is the convention's access end,
    `ConventionClock.access_end_on`); `beneficiary_until` None: not removed. A school
    removed by an amendment effective on E is a beneficiary until E − 1 day; from E
    nothing new is accepted for it and nothing of it is renewed; its roles give access
    until `role_cap`, 31 Aug of the academic year containing E (E = 2026-09-01 →
    2027-08-31)."""

    beneficiary_from: date | None = None
    beneficiary_until: date | None = None

    @property
    def removed_on(self) -> date | None:
        """E, the effective date of the removing amendment."""
        if self.beneficiary_until is None:
            return None
        return self.beneficiary_until + timedelta(days=1)

    @property
    def role_cap(self) -> date | None:
        """The last day a removed school's roles give access (grace included)."""
        removed_on = self.removed_on
        return AcademicYear.containing(removed_on).ends_on if removed_on else None


def removal_period(code: str, amendments: Iterable[Amendment]) -> BeneficiaryPeriod:
    """The removal part of the school's `BeneficiaryPeriod` (no `beneficiary_from`): until
    the day before the earliest effective date among the amendments removing it."""
    removals = [a.effective_on for a in amendments if code in a.removes_school_codes]
    return BeneficiaryPeriod(
        beneficiary_until=min(removals) - timedelta(days=1) if removals else None
    )


def beneficiary_period(school: School, amendments: Iterable[Amendment]) -> BeneficiaryPeriod:
    """The `BeneficiaryPeriod` of `school`: from the effective date of the amendment that
    added it (none for a school citing the convention itself), until as `removal_period`."""
    amendments = tuple(amendments)
    adding = next((a for a in amendments if a.reference == school.amendment_reference), None)
    return replace(removal_period(school.code, amendments),
                   beneficiary_from=adding.effective_on if adding else None)


def is_beneficiary_for(period: BeneficiaryPeriod, *, event_on: date, call_on: date) -> bool:
    """Under the `BeneficiaryPeriod`, a request, fulfilment, enrolment, snapshot or renewal
    for the school is accepted unless its own Paris date is before `beneficiary_from`, or
    its own date or the call's Paris date is on or after the removal's effective date."""
    if period.beneficiary_from is not None and event_on < period.beneficiary_from:
        return False
    removed_on = period.removed_on
    return removed_on is None or (event_on < removed_on and call_on < removed_on)


def ensure_beneficiary(period: BeneficiaryPeriod, *, event_on: date, call_on: date) -> None:
    """`is_beneficiary_for` as an answer: 409 `school-not-beneficiary`."""
    if not is_beneficiary_for(period, event_on=event_on, call_on=call_on):
        raise Conflict("the school is not a beneficiary of the convention on this date "
                       "(R-CONV-2a)", code="school-not-beneficiary", field="school_code")


def counted_at_census(period: BeneficiaryPeriod, census_on: date) -> bool:
    """Under the `BeneficiaryPeriod`, a census counts the school when `beneficiary_from` ≤
    census date and, if removed, the census date is before the removal's effective date."""
    if period.beneficiary_from is not None and census_on < period.beneficiary_from:
        return False
    return period.beneficiary_until is None or census_on <= period.beneficiary_until


def roles_within_beneficiary(roles: Iterable[Role], amendments: Iterable[Amendment]) -> list[Role]:
    """The roles as the `BeneficiaryPeriod` of their school lets them give access: a
    removed school's roles end (validity and grace) on its `role_cap`; a role starting
    after it never gives access and is left out. Afterwards the account has no valid role
    for that school (`expired`, not `disabled`: the convention goes on)."""
    amendments = tuple(amendments)
    removed = {code for a in amendments for code in a.removes_school_codes}
    kept: list[Role] = []
    for role in roles:
        cap = (removal_period(role.school_code, amendments).role_cap
               if role.school_code in removed else None)
        if cap is None:
            kept.append(role)
        elif role.valid_from <= cap:
            grace = role.grace_until
            kept.append(replace(role, valid_until=min(role.valid_until, cap),
                                grace_until=min(grace, cap) if grace is not None else None))
    return kept


def validate_school_code(code: str) -> str:
    if not (2 <= len(code) <= 64) or not SCHOOL_CODE.match(code):
        raise InvalidInput(
            "a school code is 2 to 64 lowercase letters, digits and single hyphens",
            code="invalid-school-code",
            field="code",
        )
    return code
