"""Students: enrolment windows, enrolments and the census (R-ACC-6, R-ACC-7, R-BIL-1).

Pure Python: dates are Paris calendar days, inclusive; time is an argument. The student
roles an account gets from its enrolments are computed by `app.domain.student_roles.
student_roles`, which takes the grace end (`main_closes_on` of the next year) from the
windows in force (`windows_in_force`).
"""

from __future__ import annotations

import calendar as _stdcal
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.calendar import AcademicYear
from app.domain.convention import ConventionClock, ensure_accepts_new
from app.domain.errors import Conflict, InvalidInput
from app.domain.student_roles import StudentEnrolment, default_main_closes_on

MAX_BATCH_ITEMS = 1000  # POST /api/v1/enrolments and each CSV import batch


# --- R-ACC-6: windows ---------------------------------------------------------------


class Window(StrEnum):
    MAIN = "main"
    SEMESTER_2 = "s2"


@dataclass(frozen=True)
class EnrolmentWindows:
    """R-ACC-6: the enrolment windows of academic year `academic_year`/+1, inclusive
    (data per year, `defaults` when none are stored), and the window an enrolment must be
    dated in (`ensure_admits`).

    `version` 0 means the defaults (nothing stored); a stored change starts at 1."""

    academic_year: int
    main_opens_on: date
    main_closes_on: date
    s2_opens_on: date
    s2_closes_on: date
    version: int = 0
    updated_at: datetime | None = None

    @property
    def census_on(self) -> date:
        """The census date under the default reading (`census_date` with `CENSUS_ON_MAIN_CLOSE`
        true): the close of the main campaign. Use cases pass the setting to
        `census_date`."""
        return census_date(self)

    @property
    def is_default(self) -> bool:
        return self.same_dates(EnrolmentWindows.defaults(self.academic_year))

    def same_dates(self, other: EnrolmentWindows) -> bool:
        return (
            self.main_opens_on,
            self.main_closes_on,
            self.s2_opens_on,
            self.s2_closes_on,
        ) == (other.main_opens_on, other.main_closes_on, other.s2_opens_on, other.s2_closes_on)

    def window_of(self, day: date) -> Window | None:
        """The window `day` falls in, or None."""
        if self.main_opens_on <= day <= self.main_closes_on:
            return Window.MAIN
        if self.s2_opens_on <= day <= self.s2_closes_on:
            return Window.SEMESTER_2
        return None

    @classmethod
    def defaults(cls, year: int) -> EnrolmentWindows:
        """The windows of N/N+1 when none are stored: main 1 July N – 31 Oct N
        (`accounts.default_main_closes_on`); semester 2, 1 Jan – 28/29 Feb N+1."""
        february_end = _stdcal.monthrange(year + 1, 2)[1]
        return cls(
            academic_year=year,
            main_opens_on=date(year, 7, 1),
            main_closes_on=default_main_closes_on(year),
            s2_opens_on=date(year + 1, 1, 1),
            s2_closes_on=date(year + 1, 2, february_end),
        )

    def ensure_admits(self, enrolled_on: date, *, transfer: bool) -> None:
        """An enrolment is dated in its year's main campaign; a `transfer` one in the
        semester-2 window, which accepts nothing else. Conflict `enrolment-window-closed`."""
        window = self.window_of(enrolled_on)
        expected = Window.SEMESTER_2 if transfer else Window.MAIN
        if window is not expected:
            what = "a transfer enrolment" if transfer else "an enrolment"
            raise Conflict(
                f"{what} of {AcademicYear(self.academic_year).label} is dated outside its "
                f"window ({expected.value}) (R-ACC-6)",
                code="enrolment-window-closed",
            )


# The defaults are stated by `EnrolmentWindows.defaults`; use cases and tests import
# them under this name.
default_windows = EnrolmentWindows.defaults


def windows_in_force(year: int, stored: Mapping[int, EnrolmentWindows]) -> EnrolmentWindows:
    """The stored windows of `year`, or its defaults."""
    return stored.get(year) or default_windows(year)


def grace_end_for(stored: Mapping[int, EnrolmentWindows]) -> Callable[[int], date]:
    """`main_closes_on(N)` for `accounts.student_roles`: the close of year N's main
    campaign in force, which ends the grace of the continuing students of N-1."""
    return lambda year: windows_in_force(year, stored).main_closes_on


def validate_windows(
    year: int,
    *,
    main_opens_on: date,
    main_closes_on: date,
    s2_opens_on: date,
    s2_closes_on: date,
) -> EnrolmentWindows:
    """Changed windows of N/N+1, or InvalidInput `invalid-enrolment-windows` (422) when a
    window is reversed, when semester 2 does not start after the main campaign closes
    (overlapping or out of order), or when a date lies outside 1 Jan N – 31 Aug N+1 (the
    enrolments of N/N+1 happen then)."""
    earliest, latest = date(year, 1, 1), AcademicYear(year).ends_on

    def refuse(detail: str, field: str) -> InvalidInput:
        return InvalidInput(detail, code="invalid-enrolment-windows", field=field)

    if main_closes_on < main_opens_on:
        raise refuse("the main campaign closes before it opens", "main_closes_on")
    if s2_closes_on < s2_opens_on:
        raise refuse("the semester-2 window closes before it opens", "s2_closes_on")
    if s2_opens_on <= main_closes_on:
        raise refuse(
            "the semester-2 window must open after the main campaign closes", "s2_opens_on"
        )
    for field, value in (("main_opens_on", main_opens_on), ("s2_closes_on", s2_closes_on)):
        if not earliest <= value <= latest:
            raise refuse(
                f"the windows of {AcademicYear(year).label} lie between "
                f"{earliest.isoformat()} and {latest.isoformat()}",
                field,
            )
    return EnrolmentWindows(
        academic_year=year,
        main_opens_on=main_opens_on,
        main_closes_on=main_closes_on,
        s2_opens_on=s2_opens_on,
        s2_closes_on=s2_closes_on,
    )


def ensure_census_read_only(
    windows: EnrolmentWindows, census_on: date | None, *, on_main_close: bool = True
) -> None:
    """`census_on` is read-only: a change that names it must give the census date of the
    changed windows (`census_date`: `main_closes_on`, or 31 Oct N under the other
    reading)."""
    if census_on is not None and census_on != census_date(windows, on_main_close=on_main_close):
        where = "the close of the main campaign" if on_main_close else "31 October N"
        raise InvalidInput(
            f"census_on is read-only: it is {where} (R-BIL-1)",
            code="census-read-only",
            field="census_on",
        )


def ensure_in_window(windows: EnrolmentWindows, enrolled_on: date, *, transfer: bool) -> None:
    """`EnrolmentWindows.ensure_admits` of `windows`."""
    windows.ensure_admits(enrolled_on, transfer=transfer)


# --- R-CONV-4, R-CONV-5: the convention ------------------------------------------------------


def year_in_convention(convention: ConventionClock, year: int, on: date) -> bool:
    """Academic year N/N+1 shares a day with the convention as known on `on`: it ends on
    or after its start and starts on or before its (prospective) access end."""
    academic_year = AcademicYear(year)
    return (
        academic_year.ends_on >= convention.effective_from
        and academic_year.starts_on <= convention.status_on(on).prospective_access_end_on
    )


def _not_active(detail: str) -> Conflict:
    return Conflict(detail, code="convention-not-active")


def ensure_year_in_convention(convention: ConventionClock, year: int, on: date) -> None:
    if not year_in_convention(convention, year, on):
        raise _not_active(
            f"{AcademicYear(year).label} is outside the convention (R-CONV-1, R-CONV-5)"
        )


def ensure_convention_accepts(
    convention: ConventionClock, year: int, enrolled_on: date, call_on: date
) -> None:
    """No enrolment for a year outside the convention (`ensure_year_in_convention`), nor
    dated, or sent, on or after the effective date of the termination governing the
    call's date, nor dated after the access end (`ConventionClock.accepts_new_on`)."""
    ensure_year_in_convention(convention, year, enrolled_on)
    ensure_accepts_new(convention, call_on=call_on, event_on=enrolled_on, what="enrolment")


# --- Enrolments ----------------------------------------------------------------------


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class EnrolmentRequest:
    """One enrolment as the schooling office sends it (API item or CSV row), checked for
    form; the rules are checked by the use case."""

    student_number: str
    school_code: str
    academic_year: int
    enrolled_on: date
    given_name: str
    family_name: str
    email: str
    uid: str | None = None
    final_year: bool = False
    transfer: bool = False

    @property
    def fingerprint(self) -> str:
        """What makes two sendings the same enrolment (the person's names are not part of
        it: they belong to the account)."""
        return enrolment_fingerprint(
            student_number=self.student_number,
            school_code=self.school_code,
            academic_year=self.academic_year,
            enrolled_on=self.enrolled_on,
            final_year=self.final_year,
            transfer=self.transfer,
        )


@dataclass(frozen=True)
class ItemError:
    """Why one item of a batch is refused: a binding `code`, a message without personal
    data, the field when one is at fault."""

    code: str
    message: str
    field: str | None = None


def enrolment_fingerprint(
    *,
    student_number: str,
    school_code: str,
    academic_year: int,
    enrolled_on: date,
    final_year: bool,
    transfer: bool,
) -> str:
    canonical = "\x1f".join(
        (student_number, school_code, str(academic_year), enrolled_on.isoformat(),
         "1" if final_year else "0", "1" if transfer else "0")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Enrolment:
    id: str
    uid: str
    student_number: str
    school_code: str
    academic_year: int
    enrolled_on: date
    final_year: bool
    transfer: bool
    status: EnrolmentStatus
    cancelled_on: date | None
    content_sha256: str
    created_at: datetime

    @property
    def label(self) -> str:
        return AcademicYear(self.academic_year).label

    def as_student_enrolment(self) -> StudentEnrolment:
        return StudentEnrolment(
            school_code=self.school_code,
            academic_year_start=self.academic_year,
            enrolled_on=self.enrolled_on,
            final_year=self.final_year,
            cancelled_on=self.cancelled_on,
            transfer=self.transfer,
            enrolment_id=self.id,
        )


def ensure_not_dated_after_the_call(day: date, call_on: date, field: str) -> None:
    """R-ACC-6a: an enrolment's `enrolled_on` or `cancelled_on` after the Paris date of
    the call (`call_on`) → 422 `enrolment-in-future`; the call's own day passes. Checked
    after the field errors and before every 409 (convention, beneficiary, window)."""
    if day > call_on:
        raise InvalidInput(
            f"{field} is after today's date in Paris (R-ACC-6a)",
            code="enrolment-in-future",
            field=field,
        )


def ensure_cancellable(enrolment: Enrolment, cancelled_on: date) -> bool:
    """True when the cancellation must be stored; False when it is a retry of the stored
    one (same date). A cancellation before the enrolment date → 422
    `cancelled-before-enrolment`; another date than the stored one → 409
    `already-cancelled`."""
    if enrolment.status is EnrolmentStatus.CANCELLED:
        if enrolment.cancelled_on == cancelled_on:
            return False
        raise Conflict("the enrolment was cancelled on another date", code="already-cancelled")
    if cancelled_on < enrolment.enrolled_on:
        raise InvalidInput(
            "an enrolment cannot be cancelled before its enrolment date",
            code="cancelled-before-enrolment",
            field="cancelled_on",
        )
    return True


# --- R-BIL-1: the census -------------------------------------------------------------


FIXED_CENSUS_MONTH_DAY = (10, 31)
"""R-BIL-1, other reading: the census is taken on 31 Oct N whatever the windows."""


def census_date(windows: EnrolmentWindows, *, on_main_close: bool = True) -> date:
    """The census date of N/N+1 (`CensusRule.census_on`), stated once. **Decision**
    (`CENSUS_ON_MAIN_CLOSE` true, the default): the close of that year's main campaign in force
    (`main_closes_on`, default 31 Oct N), so a changed campaign moves the census. Other
    reading (false): "the end of the enrolment campaign" is the convention's "end of
    October", a fixed 31 Oct N whatever the windows in force (a campaign extended to
    15 Nov still has its census on 31 Oct)."""
    if on_main_close:
        return windows.main_closes_on
    month, day = FIXED_CENSUS_MONTH_DAY
    return date(windows.academic_year, month, day)


@dataclass(frozen=True)
class CensusRule:
    """R-BIL-1, stated once: for academic year N/N+1 the census is taken on
    `census_on` (`census_date`); counted are the enrolments of that year dated on or
    before `census_on`, not cancelled on or before it, and not `transfer` ones. `counts`
    is the rule on one enrolment; `SqlEnrolmentRepository.census` is its SQL twin (one
    aggregate on the hot path), held to the same answers by
    tests/integration/test_census_twin.py."""

    academic_year: int
    census_on: date
    count_transfers: bool = False

    def counts(self, enrolment: Enrolment) -> bool:
        return (
            enrolment.academic_year == self.academic_year
            and enrolment.enrolled_on <= self.census_on
            and (enrolment.cancelled_on is None or enrolment.cancelled_on > self.census_on)
            and (self.count_transfers or not enrolment.transfer)
        )


def census_rule(windows: EnrolmentWindows, *, on_main_close: bool = True) -> CensusRule:
    return CensusRule(academic_year=windows.academic_year,
                      census_on=census_date(windows, on_main_close=on_main_close))
