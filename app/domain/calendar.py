"""The convention's calendar: academic years, Paris days and working days.

R-TIME-1: instants are UTC-aware; business rules run on the Europe/Paris calendar.
R-TIME-2: academic year N/N+1 runs 1 Sept N to 31 Aug N+1 inclusive.
R-TIME-3: a working day is Monday to Friday, not a French public holiday (metropolitan
list, no Alsace-Moselle subdivision) and not inside a UT closure period.
R-TIME-5: an instant that records an event may be at most the clock skew ahead of now.
R-TIME-4: a deadline "within N days after reception" is reception date (Paris) + N
calendar days, moved to the next working day; due at 23:59:59.999 Paris that day.

Pure: time is always an argument, nothing here reads the clock.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

from app.domain.errors import InvalidInput

PARIS = ZoneInfo("Europe/Paris")


def utc_instant(instant: datetime, name: str) -> datetime:
    """`instant` in UTC; InvalidInput naming `name` when it carries no offset."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(f"{name} must carry a UTC offset", field=name)
    return instant.astimezone(UTC)

_ACADEMIC_YEAR_RE = re.compile(r"[0-9]{4}-[0-9]{4}")
_ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- years


@dataclass(frozen=True, order=True)
class AcademicYear:
    """Academic year N/N+1, identified by N (R-TIME-2)."""

    start_year: int

    @classmethod
    def parse(cls, text: str) -> AcademicYear:
        """Parse "2024-2025" (exactly four digits, a hyphen, the next year)."""
        if not isinstance(text, str) or _ACADEMIC_YEAR_RE.fullmatch(text) is None:
            raise InvalidInput(
                "an academic year is written YYYY-YYYY, e.g. 2024-2025",
                code="invalid-academic-year",
            )
        first, second = (int(part) for part in text.split("-"))
        if second != first + 1 or not 1 <= first <= 9998:
            raise InvalidInput(
                "the second year of an academic year must follow the first",
                code="invalid-academic-year",
            )
        return cls(first)

    @classmethod
    def containing(cls, d: date) -> AcademicYear:
        return cls(d.year if d.month >= 9 else d.year - 1)

    @property
    def label(self) -> str:
        return f"{self.start_year:04d}-{self.start_year + 1:04d}"

    def __str__(self) -> str:
        return self.label

    @property
    def starts_on(self) -> date:
        return date(self.start_year, 9, 1)

    @property
    def ends_on(self) -> date:
        return date(self.start_year + 1, 8, 31)

    def contains(self, d: date) -> bool:
        return self.starts_on <= d <= self.ends_on

    def next(self) -> AcademicYear:
        return AcademicYear(self.start_year + 1)

    def previous(self) -> AcademicYear:
        return AcademicYear(self.start_year - 1)


# ---------------------------------------------------------------------- Paris days


def paris_date(instant: datetime) -> date:
    """The Europe/Paris calendar date of an aware instant (naive → ValueError)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime has no place on the timeline")
    return instant.astimezone(PARIS).date()


def paris_day_start(d: date) -> datetime:
    """The UTC instant of 00:00 Paris on `d` (midnight is never skipped nor repeated)."""
    return datetime.combine(d, time(0), tzinfo=PARIS).astimezone(UTC)


def paris_day_bounds(d: date) -> tuple[datetime, datetime]:
    """[start, end) of the Paris day `d` in UTC; 23 h or 25 h long on DST days."""
    return paris_day_start(d), paris_day_start(d + _ONE_DAY)


def is_ahead_of_clock(instant: datetime, now: datetime, skew: timedelta) -> bool:
    """R-TIME-5: True when an event instant is more than `skew` ahead of the server's
    clock `now` (exactly `skew` ahead still passes). Query instants never ask this."""
    return instant > now + skew


def ensure_not_ahead(instant: datetime, now: datetime, skew_seconds: int, field: str) -> None:
    """`is_ahead_of_clock` for one request field: 422 `instant-in-future` beyond the skew."""
    if is_ahead_of_clock(instant, now, timedelta(seconds=skew_seconds)):
        raise InvalidInput(
            "this instant is in the future (beyond the allowed clock skew)",
            code="instant-in-future",
            field=field,
        )


# R-DATE-1: no recorded event of the convention's life is dated before this Paris day.
EARLIEST_EVENT_DATE = date(2024, 1, 1)


def ensure_event_date_in_range(value: date | datetime, field: str) -> None:
    """R-DATE-1: a field that records an event and has no answer of its own for dates
    outside the convention (termination `received_on`/`cured_on`, suspension, restoration,
    lifting and refusal dates, payment `received_on`, support `received_at`/
    `responded_at`/`closed_at`, lock and unlock instants) is refused with 422
    `date-out-of-range` when its Paris date is before 2024-01-01. An instant is judged by
    its Paris date: 2023-12-31T23:30Z is 2024-01-01 in Paris and passes."""
    day = paris_date(value) if isinstance(value, datetime) else value
    if day < EARLIEST_EVENT_DATE:
        raise InvalidInput(
            f"{field} is before {EARLIEST_EVENT_DATE.isoformat()} (Paris date, R-DATE-1)",
            code="date-out-of-range",
            field=field,
        )


def end_of_paris_day(d: date) -> datetime:
    """The UTC instant of 23:59:59.999 Paris on `d`: when a deadline
    (`WorkingCalendar.deadline`) is due."""
    return datetime.combine(d, time(23, 59, 59, 999_000), tzinfo=PARIS).astimezone(UTC)


def add_months_clamped(d: date, months: int) -> date:
    """Same day-of-month `months` later (or earlier), clamped to the month's last day."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


# ------------------------------------------------------------------------ closures


@dataclass(frozen=True)
class Closure:
    """An administrative closure period of UT, both ends inclusive (no working day of
    `WorkingCalendar`)."""

    starts_on: date
    ends_on: date
    label: str = ""

    def contains(self, d: date) -> bool:
        return self.starts_on <= d <= self.ends_on


# A closed stretch (closures less than a week apart) longer than this is refused: the
# calendar must keep a working day every year (deadline and opening-hours arithmetic
# looks for one; a week between two closures always holds one).
MAX_CLOSED_STRETCH_DAYS = 366
_STRETCH_GAP = timedelta(days=7)


def validate_closures(closures: Iterable[Closure]) -> None:
    """Reject a reversed range, two ranges sharing at least one day, and closures that
    leave no week open for more than `MAX_CLOSED_STRETCH_DAYS` days."""
    ordered = sorted(closures, key=lambda c: (c.starts_on, c.ends_on))
    for closure in ordered:
        if closure.ends_on < closure.starts_on:
            raise InvalidInput(
                f"closure ends on {closure.ends_on.isoformat()}, "
                f"before it starts on {closure.starts_on.isoformat()}",
                code="invalid-closure",
            )
    for before, after in pairwise(ordered):
        if after.starts_on <= before.ends_on:
            raise InvalidInput(
                f"closure {before.starts_on.isoformat()}..{before.ends_on.isoformat()} "
                f"overlaps {after.starts_on.isoformat()}..{after.ends_on.isoformat()}",
                code="invalid-closure",
            )
    stretch: tuple[date, date] | None = None
    for closure in ordered:
        if stretch is None or closure.starts_on - stretch[1] > _STRETCH_GAP:
            stretch = (closure.starts_on, closure.ends_on)
        else:
            stretch = (stretch[0], closure.ends_on)
        if (stretch[1] - stretch[0]).days + 1 > MAX_CLOSED_STRETCH_DAYS:
            raise InvalidInput(
                f"closures from {stretch[0].isoformat()} to {stretch[1].isoformat()} leave "
                f"no open week for more than {MAX_CLOSED_STRETCH_DAYS} days",
                code="invalid-closure",
            )


# ------------------------------------------------------------------- working days


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[date]:
    # "FR" without subdivision = the 11 metropolitan holidays (no Good Friday nor
    # 26 December, which only Alsace-Moselle has).
    return frozenset(holidays.country_holidays("FR", years=year).keys())


class WorkingCalendar:
    """Working days of UT (R-TIME-3) and deadlines counted on them (R-TIME-4)."""

    def __init__(self, closures: Iterable[Closure] = ()) -> None:
        ordered = tuple(sorted(closures, key=lambda c: (c.starts_on, c.ends_on)))
        validate_closures(ordered)
        self._closures = ordered

    @property
    def closures(self) -> tuple[Closure, ...]:
        """The closure periods, sorted by start date."""
        return self._closures

    def is_public_holiday(self, d: date) -> bool:
        return d in _public_holidays(d.year)

    def is_closed(self, d: date) -> bool:
        return any(c.contains(d) for c in self._closures)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and not self.is_public_holiday(d) and not self.is_closed(d)

    def next_working_day(self, d: date) -> date:
        """`d` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += _ONE_DAY
        return d

    def deadline(self, received_on: date, days: int) -> date:
        """R-TIME-4: received_on + `days` calendar days, moved to the next working day."""
        if days < 0:
            raise ValueError("a deadline counts a non-negative number of days")
        return self.next_working_day(received_on + timedelta(days=days))

    def deadline_from_instant(self, instant: datetime, days: int) -> date:
        """R-TIME-4 with the reception given as an instant (its Paris date counts)."""
        return self.deadline(paris_date(instant), days)
