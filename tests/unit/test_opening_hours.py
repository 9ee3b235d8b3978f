"""The opening-hours clock and the support response deadline (R-SUP-1, R-TIME-1, R-TIME-3).

Times are written in Europe/Paris local time and compared as UTC instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.calendar import Closure, WorkingCalendar
from app.domain.opening_hours import (
    BUDGET_SECONDS,
    DeadlineReading,
    OpeningHoursClock,
    response_due_at,
)

PARIS = ZoneInfo("Europe/Paris")
HOUR = 3600


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, fold: int = 0):
    return datetime(y, mo, d, h, mi, s, tzinfo=PARIS, fold=fold)


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


WINTER_BREAK = Closure(date(2025, 12, 20), date(2026, 1, 4), "winter break")


@pytest.fixture
def clock() -> OpeningHoursClock:
    return OpeningHoursClock(WorkingCalendar())


class EveryDay:
    """A calendar on which every day, Sundays included, is a working day."""

    def is_working_day(self, d: date) -> bool:
        return True


# ----------------------------------------------------------------- the deadline


@pytest.mark.parametrize(
    ("received", "expected", "closures"),
    [
        pytest.param(paris(2025, 3, 3, 10), paris(2025, 3, 5, 10), (), id="monday-morning"),
        pytest.param(paris(2025, 3, 7, 17), paris(2025, 3, 11, 17), (), id="friday-late"),
        pytest.param(paris(2025, 3, 8, 11), paris(2025, 3, 11, 17, 30), (), id="saturday"),
        pytest.param(paris(2025, 3, 10, 7), paris(2025, 3, 11, 17, 30), (), id="before-opening"),
        pytest.param(paris(2025, 3, 28, 10), paris(2025, 4, 1, 10), (), id="across-spring-dst"),
        pytest.param(paris(2025, 4, 30, 10), paris(2025, 5, 5, 10), (), id="across-1-may-holiday"),
        pytest.param(
            paris(2025, 12, 19, 15),
            paris(2026, 1, 6, 15),
            (WINTER_BREAK,),
            id="across-winter-closure",
        ),
        pytest.param(
            paris(2025, 3, 3, 8, 30), paris(2025, 3, 4, 17, 30), (), id="at-opening-sharp"
        ),
        pytest.param(
            paris(2025, 3, 3, 17, 30), paris(2025, 3, 5, 17, 30), (), id="at-closing-sharp"
        ),
        pytest.param(paris(2025, 10, 24, 15), paris(2025, 10, 28, 15), (), id="across-autumn-dst"),
    ],
)
def test_response_is_due_after_two_opening_days(received, expected, closures):
    clock = OpeningHoursClock(WorkingCalendar(closures))
    due = response_due_at(received, clock)
    assert due == utc(expected)
    assert due.tzinfo is UTC


def test_two_opening_days_is_the_default_reading_of_48_hours():
    assert BUDGET_SECONDS[DeadlineReading.two_opening_days] == 64_800
    assert BUDGET_SECONDS[DeadlineReading.literal_48_hours] == 48 * HOUR
    assert DeadlineReading("two_opening_days") is DeadlineReading.two_opening_days


def test_literal_reading_counts_48_opening_hours(clock):
    due = response_due_at(paris(2025, 3, 3, 10), clock, DeadlineReading.literal_48_hours)
    # Mon 7.5 h + Tue..Fri 4 × 9 h = 43.5 h, then 4.5 h on the next Monday.
    assert due == utc(paris(2025, 3, 10, 13))


def test_request_received_at_closing_time_starts_the_clock_at_next_opening(clock):
    assert not clock.is_open(paris(2025, 3, 3, 17, 30))
    assert clock.next_opening(paris(2025, 3, 3, 17, 30)) == utc(paris(2025, 3, 4, 8, 30))


def test_deadline_landing_on_closing_time_is_reported_as_closing_time(clock):
    # 9 opening hours from Monday's opening end at Monday's closing, not Tuesday 08:30.
    assert clock.add(paris(2025, 3, 3, 8, 30), 9 * HOUR) == utc(paris(2025, 3, 3, 17, 30))


def test_ambiguous_autumn_hour_gives_two_instants_with_the_same_sunday_deadline(clock):
    first = datetime(2025, 10, 26, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    second = datetime(2025, 10, 26, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert utc(first) != utc(second)
    assert utc(paris(2025, 10, 26, 2, 30, fold=0)) == utc(first)
    assert utc(paris(2025, 10, 26, 2, 30, fold=1)) == utc(second)
    expected = utc(paris(2025, 10, 28, 17, 30))  # Mon 27 + Tue 28, whole days
    for received in (first, second, paris(2025, 10, 26, 2, 30, fold=1)):
        assert response_due_at(received, clock) == expected


# ----------------------------------------------------------------- the clock


def test_opening_window_is_half_open(clock):
    assert not clock.is_open(paris(2025, 3, 3, 8, 29, 59))
    assert clock.is_open(paris(2025, 3, 3, 8, 30))
    assert clock.is_open(paris(2025, 3, 3, 17, 29, 59))
    assert not clock.is_open(paris(2025, 3, 3, 17, 30))


def test_instants_in_any_offset_are_the_same_instants(clock):
    tokyo = paris(2025, 3, 3, 10).astimezone(ZoneInfo("Asia/Tokyo"))
    assert clock.is_open(tokyo)
    assert clock.add(tokyo, 64_800) == utc(paris(2025, 3, 5, 10))


def test_next_opening_of_an_open_instant_is_that_instant(clock):
    assert clock.next_opening(paris(2025, 3, 3, 12)) == utc(paris(2025, 3, 3, 12))


def test_next_opening_skips_weekend_and_holidays(clock):
    assert clock.next_opening(paris(2025, 4, 30, 18)) == utc(paris(2025, 5, 2, 8, 30))
    assert clock.next_opening(paris(2025, 3, 8, 11)) == utc(paris(2025, 3, 10, 8, 30))


def test_adding_zero_gives_the_start_when_open_else_the_next_opening(clock):
    assert clock.add(paris(2025, 3, 3, 10), 0) == utc(paris(2025, 3, 3, 10))
    assert clock.add(paris(2025, 3, 8, 11), 0) == utc(paris(2025, 3, 10, 8, 30))


def test_adding_negative_seconds_is_refused(clock):
    with pytest.raises(ValueError):
        clock.add(paris(2025, 3, 3, 10), -1)


def test_business_seconds_between_counts_only_opening_time(clock):
    assert clock.business_seconds_between(paris(2025, 3, 3), paris(2025, 3, 10)) == 5 * 9 * HOUR
    friday_late, monday_early = paris(2025, 3, 7, 17), paris(2025, 3, 10, 9)
    assert clock.business_seconds_between(friday_late, monday_early) == 1800 + 1800
    assert clock.business_seconds_between(paris(2025, 3, 10), paris(2025, 3, 3)) == 0
    assert clock.business_seconds_between(paris(2025, 3, 3, 9), paris(2025, 3, 3, 9)) == 0


def test_a_window_on_a_dst_day_lasts_nine_hours_of_real_time():
    clock = OpeningHoursClock(EveryDay())
    for sunday in (date(2025, 3, 30), date(2025, 10, 26)):
        start, end = (
            paris(sunday.year, sunday.month, sunday.day),
            paris(sunday.year, sunday.month, sunday.day + 1),
        )
        assert clock.business_seconds_between(start, end) == 9 * HOUR
        opening = paris(sunday.year, sunday.month, sunday.day, 8, 30)
        assert clock.add(opening, 9 * HOUR) == utc(
            paris(sunday.year, sunday.month, sunday.day, 17, 30)
        )
    # Saturday 12:00 +01 → Monday 12:00 +02: 5.5 h + 9 h + 3.5 h.
    assert clock.business_seconds_between(paris(2025, 3, 29, 12), paris(2025, 3, 31, 12)) == (
        18 * HOUR
    )


def test_custom_hours_are_honoured():
    clock = OpeningHoursClock(WorkingCalendar(), opens=time(9), closes=time(12))
    assert clock.add(paris(2025, 3, 3, 11), 2 * HOUR) == utc(paris(2025, 3, 4, 10))


def test_opening_must_precede_closing():
    with pytest.raises(ValueError):
        OpeningHoursClock(WorkingCalendar(), opens=time(17), closes=time(9))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(datetime(2025, 3, 3, 10), 60),
        lambda c: c.is_open(datetime(2025, 3, 3, 10)),
        lambda c: c.next_opening(datetime(2025, 3, 3, 10)),
        lambda c: c.business_seconds_between(datetime(2025, 3, 3, 10), paris(2025, 3, 4)),
        lambda c: c.business_seconds_between(paris(2025, 3, 3), datetime(2025, 3, 4)),
        lambda c: response_due_at(datetime(2025, 3, 3, 10), c),
    ],
)
def test_naive_datetimes_are_refused(clock, call):
    with pytest.raises(ValueError):
        call(clock)


# ------------------------------------------------- days that never count (2024–2029)


def _dst_switch_days() -> list[date]:
    days = []
    d = date(2024, 1, 1)
    while d <= date(2029, 12, 31):
        if (
            paris(d.year, d.month, d.day).utcoffset()
            != paris(d.year, d.month, d.day, 23, 59).utcoffset()
        ):
            days.append(d)
        d += timedelta(days=1)
    return days


DST_SWITCH_DAYS = _dst_switch_days()
PUBLIC_HOLIDAYS = sorted(holidays.country_holidays("FR", years=range(2024, 2030)).keys())


def test_the_dst_and_holiday_lists_are_complete():
    assert len(DST_SWITCH_DAYS) == 12
    assert all(d.weekday() == 6 for d in DST_SWITCH_DAYS)
    assert len(PUBLIC_HOLIDAYS) == 11 * 6
    assert date(2025, 12, 26) not in PUBLIC_HOLIDAYS  # Alsace-Moselle only
    assert date(2025, 4, 18) not in PUBLIC_HOLIDAYS  # Good Friday, Alsace-Moselle only


def _assert_never_open(clock: OpeningHoursClock, d: date) -> None:
    start = datetime.combine(d, time(0), tzinfo=PARIS)
    end = datetime.combine(d + timedelta(days=1), time(0), tzinfo=PARIS)
    assert clock.business_seconds_between(start, end) == 0
    assert not clock.is_open(datetime.combine(d, time(10), tzinfo=PARIS))
    assert clock.next_opening(start) >= utc(end)


@pytest.mark.parametrize("day", DST_SWITCH_DAYS, ids=str)
def test_dst_switch_days_are_never_opening_time(clock, day):
    _assert_never_open(clock, day)


@pytest.mark.parametrize("day", PUBLIC_HOLIDAYS, ids=str)
def test_public_holidays_are_never_opening_time(clock, day):
    _assert_never_open(clock, day)


# ------------------------------------------------------------------ properties

CLOSURES = (
    Closure(date(2024, 12, 21), date(2025, 1, 5), "winter 2024"),
    Closure(date(2025, 12, 20), date(2026, 1, 4), "winter 2025"),
    Closure(date(2026, 7, 25), date(2026, 8, 23), "summer 2026"),
    Closure(date(2027, 5, 7), date(2027, 5, 7), "bridge day"),
    Closure(date(2028, 12, 23), date(2029, 1, 2), "winter 2028"),
)
PROPERTY_CLOCK = OpeningHoursClock(WorkingCalendar(CLOSURES))

instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2029, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(
        [UTC, PARIS, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]
    ),
)
budgets = st.integers(min_value=1, max_value=200_000)
PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(start=instants, seconds=budgets)
def test_adding_opening_seconds_then_counting_them_gives_them_back(start, seconds):
    end = PROPERTY_CLOCK.add(start, seconds)
    assert end.tzinfo is UTC
    assert end > start
    assert PROPERTY_CLOCK.business_seconds_between(start, end) == seconds
    # The result is the earliest such instant (a closing time, never the next opening).
    assert PROPERTY_CLOCK.business_seconds_between(start, end - timedelta(microseconds=1)) == (
        seconds - 1
    )


@PROPERTY_SETTINGS
@given(start=instants, a=budgets, b=budgets)
def test_adding_more_opening_time_never_ends_earlier(start, a, b):
    low, high = sorted((a, b))
    assert PROPERTY_CLOCK.add(start, low) <= PROPERTY_CLOCK.add(start, high)


@PROPERTY_SETTINGS
@given(first=instants, second=instants, seconds=budgets)
def test_a_later_start_never_ends_earlier(first, second, seconds):
    early, late = sorted((first, second), key=utc)
    assert PROPERTY_CLOCK.add(early, seconds) <= PROPERTY_CLOCK.add(late, seconds)


@PROPERTY_SETTINGS
@given(start=instants)
def test_next_opening_is_open_and_nothing_is_open_before_it(start):
    opening = PROPERTY_CLOCK.next_opening(start)
    assert opening >= start
    assert PROPERTY_CLOCK.is_open(opening)
    assert PROPERTY_CLOCK.business_seconds_between(start, opening) == 0
