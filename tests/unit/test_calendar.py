"""R-TIME-1, R-TIME-2, R-TIME-3, R-TIME-4: academic years, Paris days, working days and deadlines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.calendar import (
    PARIS,
    AcademicYear,
    Closure,
    WorkingCalendar,
    add_months_clamped,
    end_of_paris_day,
    paris_date,
    paris_day_bounds,
    paris_day_start,
    validate_closures,
)
from app.domain.errors import InvalidInput

CHRISTMAS_CLOSURE = Closure(date(2025, 12, 20), date(2026, 1, 4), "Christmas")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ academic years


def test_academic_year_parses_and_prints_its_label():
    year = AcademicYear.parse("2024-2025")
    assert year == AcademicYear(2024)
    assert year.label == "2024-2025"
    assert str(year) == "2024-2025"


@pytest.mark.parametrize(
    "text",
    [
        "2024-2026",
        "2024/2025",
        "24-25",
        "2024-2025 ",
        "",
        " 2024-2025",
        "2025-2024",
        "2024-2025\n",
        "２０２４-２０２５",
        "0000-0001",
        "abcd-efgh",
    ],
)
def test_academic_year_rejects_malformed_text(text):
    with pytest.raises(InvalidInput) as excinfo:
        AcademicYear.parse(text)
    assert excinfo.value.code == "invalid-academic-year"


def test_academic_year_runs_from_first_september_to_thirty_first_august():
    year = AcademicYear(2024)
    assert year.starts_on == date(2024, 9, 1)
    assert year.ends_on == date(2025, 8, 31)
    assert year.contains(date(2024, 9, 1))
    assert year.contains(date(2025, 8, 31))
    assert not year.contains(date(2024, 8, 31))
    assert not year.contains(date(2025, 9, 1))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 8, 31), AcademicYear(2024)),
        (date(2025, 9, 1), AcademicYear(2025)),
        (date(2025, 1, 1), AcademicYear(2024)),
        (date(2024, 12, 31), AcademicYear(2024)),
        (date(2028, 2, 29), AcademicYear(2027)),
    ],
)
def test_academic_year_containing_a_date(day, expected):
    assert AcademicYear.containing(day) == expected
    assert expected.contains(day)


def test_academic_years_have_neighbours_and_an_order():
    year = AcademicYear(2024)
    assert year.next() == AcademicYear(2025)
    assert year.previous() == AcademicYear(2023)
    assert year.previous() < year < year.next()
    assert year.next().starts_on == year.ends_on + timedelta(days=1)


# ---------------------------------------------------------------------- Paris days


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2025, 4, 30, 21, 59), date(2025, 4, 30)),
        (utc(2025, 4, 30, 22, 0), date(2025, 5, 1)),
        (utc(2025, 1, 1, 22, 59), date(2025, 1, 1)),
        (utc(2025, 1, 1, 23, 0), date(2025, 1, 2)),
        (datetime(2025, 5, 1, 0, 30, tzinfo=PARIS), date(2025, 5, 1)),
    ],
)
def test_paris_date_of_an_instant(instant, expected):
    assert paris_date(instant) == expected


def test_paris_date_rejects_a_naive_datetime():
    with pytest.raises(ValueError):
        paris_date(datetime(2025, 5, 1, 12, 0))


@pytest.mark.parametrize(
    ("day", "start", "end", "hours"),
    [
        (date(2025, 3, 30), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23),
        (date(2025, 10, 26), utc(2025, 10, 25, 22), utc(2025, 10, 26, 23), 25),
        (date(2025, 1, 15), utc(2025, 1, 14, 23), utc(2025, 1, 15, 23), 24),
        (date(2025, 7, 15), utc(2025, 7, 14, 22), utc(2025, 7, 15, 22), 24),
    ],
)
def test_paris_day_bounds_follow_daylight_saving_time(day, start, end, hours):
    bounds = paris_day_bounds(day)
    assert bounds == (start, end)
    assert bounds[0].utcoffset() == timedelta(0)
    assert bounds[1] - bounds[0] == timedelta(hours=hours)
    assert paris_day_start(day) == start


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 15), datetime(2025, 1, 15, 22, 59, 59, 999_000, tzinfo=UTC)),
        (date(2025, 7, 15), datetime(2025, 7, 15, 21, 59, 59, 999_000, tzinfo=UTC)),
        (date(2025, 3, 30), datetime(2025, 3, 30, 21, 59, 59, 999_000, tzinfo=UTC)),
    ],
)
def test_end_of_paris_day_is_one_millisecond_before_midnight_in_winter_and_summer(day, expected):
    assert end_of_paris_day(day) == expected
    assert paris_date(end_of_paris_day(day)) == day


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2027, 2, 15), 3, date(2027, 5, 15)),
        (date(2027, 10, 31), 3, date(2028, 1, 31)),
        (date(2025, 5, 31), 1, date(2025, 6, 30)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 10), 0, date(2025, 1, 10)),
        (date(2025, 12, 31), 14, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day_of_the_month(day, months, expected):
    assert add_months_clamped(day, months) == expected


# ------------------------------------------------------------------------ closures


def test_validate_closures_accepts_disjoint_ranges_in_any_order():
    validate_closures(
        [
            Closure(date(2026, 8, 1), date(2026, 8, 15)),
            CHRISTMAS_CLOSURE,
            Closure(date(2026, 1, 5), date(2026, 1, 5)),
        ]
    )


@pytest.mark.parametrize(
    "closures",
    [
        [Closure(date(2026, 1, 5), date(2026, 1, 4))],
        [CHRISTMAS_CLOSURE, Closure(date(2026, 1, 4), date(2026, 1, 10))],
        [CHRISTMAS_CLOSURE, Closure(date(2025, 12, 1), date(2025, 12, 20))],
        [CHRISTMAS_CLOSURE, Closure(date(2025, 12, 24), date(2025, 12, 26))],
        [CHRISTMAS_CLOSURE, CHRISTMAS_CLOSURE],
    ],
    ids=["reversed", "touching-end", "touching-start", "inside", "duplicate"],
)
def test_validate_closures_rejects_reversed_or_overlapping_ranges(closures):
    with pytest.raises(InvalidInput) as excinfo:
        validate_closures(closures)
    assert excinfo.value.code == "invalid-closure"
    with pytest.raises(InvalidInput):
        WorkingCalendar(closures)


def test_validate_closures_accepts_a_closed_stretch_of_a_whole_year():
    validate_closures([Closure(date(2026, 1, 1), date(2026, 12, 31))])  # 365 days
    validate_closures([Closure(date(2027, 1, 1), date(2027, 6, 30)),
                       Closure(date(2027, 7, 8), date(2028, 6, 30))])  # a week open between


@pytest.mark.parametrize(
    "closures",
    [
        [Closure(date(155, 4, 5), date(251, 7, 16))],
        [Closure(date(2026, 1, 1), date(2027, 1, 2))],
        [Closure(date(2027, 1, 1), date(2027, 6, 30)),
         Closure(date(2027, 7, 7), date(2028, 6, 30))],  # six open days between
    ],
    ids=["a-century", "367-days", "chained-less-than-a-week-apart"],
)
def test_validate_closures_refuses_more_than_a_year_without_an_open_week(closures):
    with pytest.raises(InvalidInput) as excinfo:
        validate_closures(closures)
    assert excinfo.value.code == "invalid-closure"


# ------------------------------------------------------------------- working days

METROPOLITAN_HOLIDAYS_2026 = [
    date(2026, 1, 1),
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 1),
    date(2026, 5, 8),
    date(2026, 5, 14),  # Ascension
    date(2026, 5, 25),  # Whit Monday
    date(2026, 7, 14),
    date(2026, 8, 15),
    date(2026, 11, 1),
    date(2026, 11, 11),
    date(2026, 12, 25),
]


def test_public_holidays_are_the_eleven_metropolitan_ones():
    cal = WorkingCalendar()
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert [d for d in days if cal.is_public_holiday(d)] == METROPOLITAN_HOLIDAYS_2026


@pytest.mark.parametrize(
    "day",
    [date(2026, 4, 3), date(2024, 12, 26), date(2025, 4, 18), date(2025, 12, 26)],
    ids=["good-friday-2026", "st-stephen-2024", "good-friday-2025", "st-stephen-2025"],
)
def test_alsace_moselle_holidays_are_working_days(day):
    cal = WorkingCalendar()
    assert not cal.is_public_holiday(day)
    assert cal.is_working_day(day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 5, 16), True),  # Friday
        (date(2025, 5, 17), False),  # Saturday
        (date(2025, 5, 18), False),  # Sunday
        (date(2025, 5, 1), False),  # Labour Day
        (date(2025, 12, 22), False),  # Monday inside the closure
        (date(2026, 1, 5), True),  # Monday after the closure
        (date(2025, 12, 19), True),  # Friday before the closure
    ],
)
def test_is_working_day(day, working):
    assert WorkingCalendar([CHRISTMAS_CLOSURE]).is_working_day(day) is working


def test_closed_days_are_the_closure_range_inclusive():
    cal = WorkingCalendar([CHRISTMAS_CLOSURE])
    assert cal.closures == (CHRISTMAS_CLOSURE,)
    assert cal.is_closed(date(2025, 12, 20))
    assert cal.is_closed(date(2026, 1, 4))
    assert not cal.is_closed(date(2025, 12, 19))
    assert not cal.is_closed(date(2026, 1, 5))


def test_next_working_day_is_the_day_itself_when_it_is_working():
    cal = WorkingCalendar()
    assert cal.next_working_day(date(2025, 5, 16)) == date(2025, 5, 16)
    assert cal.next_working_day(date(2025, 5, 17)) == date(2025, 5, 19)


NO_CLOSURE: list[Closure] = []


@pytest.mark.parametrize(
    ("received_on", "closures", "expected"),
    [
        (date(2025, 5, 2), NO_CLOSURE, date(2025, 5, 19)),  # 17 May is a Saturday
        (date(2025, 5, 3), NO_CLOSURE, date(2025, 5, 19)),  # lands on Sunday 18
        (date(2025, 5, 1), NO_CLOSURE, date(2025, 5, 16)),  # plain Friday
        (date(2025, 12, 10), NO_CLOSURE, date(2025, 12, 26)),  # 25 Dec
        (date(2025, 12, 10), [CHRISTMAS_CLOSURE], date(2026, 1, 5)),
        (date(2028, 2, 14), NO_CLOSURE, date(2028, 2, 29)),  # leap day, a Tuesday
        (date(2026, 3, 22), NO_CLOSURE, date(2026, 4, 7)),  # Easter Monday
        (date(2026, 4, 29), NO_CLOSURE, date(2026, 5, 15)),  # Ascension
        (date(2026, 5, 10), NO_CLOSURE, date(2026, 5, 26)),  # Whit Monday
        (date(2026, 6, 29), NO_CLOSURE, date(2026, 7, 15)),  # 14 July
        (date(2025, 7, 31), NO_CLOSURE, date(2025, 8, 18)),  # 15 August, a Friday
        (date(2024, 10, 17), NO_CLOSURE, date(2024, 11, 4)),  # 1 Nov Friday + weekend
        (date(2025, 10, 27), NO_CLOSURE, date(2025, 11, 12)),  # 11 Nov, a Tuesday
        (date(2026, 4, 16), NO_CLOSURE, date(2026, 5, 4)),  # 1 May Friday + weekend
        (date(2026, 4, 23), NO_CLOSURE, date(2026, 5, 11)),  # 8 May Friday + weekend
        (date(2026, 12, 10), NO_CLOSURE, date(2026, 12, 28)),  # 25 Dec Fri; 26 is Sat
        (
            date(2026, 7, 20),
            [Closure(date(2026, 7, 27), date(2026, 8, 4), "summer")],
            date(2026, 8, 5),
        ),  # closure ends on the landing day
        (
            date(2026, 7, 20),
            [Closure(date(2026, 8, 5), date(2026, 8, 7))],
            date(2026, 8, 4),
        ),  # closure after the landing day changes nothing
    ],
)
def test_deadline_moves_to_the_next_working_day(received_on, closures, expected):
    assert WorkingCalendar(closures).deadline(received_on, 15) == expected


@pytest.mark.parametrize(
    ("received_on", "expected"),
    [(date(2025, 5, 16), date(2025, 5, 16)), (date(2025, 5, 17), date(2025, 5, 19))],
)
def test_a_zero_day_deadline_is_the_next_working_day_from_reception(received_on, expected):
    assert WorkingCalendar().deadline(received_on, 0) == expected


def test_deadline_landing_on_a_saturday_moves_to_monday():
    assert WorkingCalendar().deadline(date(2025, 5, 2), 15) == date(2025, 5, 19)


def test_deadline_rejects_a_negative_number_of_days():
    with pytest.raises(ValueError):
        WorkingCalendar().deadline(date(2025, 5, 2), -1)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2025, 4, 30, 22, 30), date(2025, 5, 16)),  # already 1 May in Paris
        (utc(2025, 4, 30, 21, 59), date(2025, 5, 15)),  # still 30 April in Paris
        (utc(2025, 12, 9, 23, 0), date(2025, 12, 26)),  # winter: 10 Dec 00:00 Paris
    ],
)
def test_deadline_from_an_instant_counts_from_its_paris_date(instant, expected):
    assert WorkingCalendar().deadline_from_instant(instant, 15) == expected


@given(
    received_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
)
def test_a_deadline_is_the_first_working_day_on_or_after_the_calendar_target(received_on, days):
    cal = WorkingCalendar([CHRISTMAS_CLOSURE])
    due = cal.deadline(received_on, days)
    target = received_on + timedelta(days=days)
    assert due >= target
    assert cal.is_working_day(due)
    day = target
    while day < due:
        assert not cal.is_working_day(day)
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "day",
    [date(2024, 8, 31), date(2024, 9, 1), date(2025, 5, 31), date(2025, 6, 1),
     date(2028, 2, 29), date(2026, 3, 29), date(2026, 10, 25), date(2025, 7, 14)],
)
def test_r_time_2_every_rule_takes_the_academic_year_bounds_from_academic_year(day):
    """R-TIME-2 has one home, `AcademicYear`: hosted validity (R-ACC-3), a student's
    year end (R-ACC-7), the renewal campaign's dates (R-ACC-5) and the R-REF-1 count's
    year all read their 1 Sept / 31 Aug from it, on month ends, 29 Feb, DST weekends
    and public holidays alike."""
    from app.domain.accounts import hosted_valid_until
    from app.domain.referents import years_covered
    from app.domain.renewals import ending_on, renewed_until
    from app.domain.student_roles import StudentEnrolment

    year = AcademicYear.containing(day)
    in_season = day.month in (6, 7, 8)
    assert hosted_valid_until(day) == (year.next() if in_season else year).ends_on
    enrolment = StudentEnrolment("ifsi-x", year.start_year, day, final_year=False)
    assert enrolment.year_end == year.ends_on
    assert ending_on(year.start_year) == year.previous().ends_on
    assert renewed_until(year.start_year) == year.ends_on
    assert years_covered(day, year.ends_on) == [year.start_year]
    assert years_covered(year.starts_on - timedelta(days=1), day) == [
        year.start_year - 1, year.start_year]


@pytest.mark.parametrize(
    ("now", "ahead", "refused"),
    [
        # 02:58 Paris on the spring-forward night: 5 minutes later is 04:03 Paris.
        (datetime(2026, 3, 29, 0, 58, tzinfo=UTC), timedelta(minutes=5), False),
        (datetime(2026, 3, 29, 0, 58, tzinfo=UTC), timedelta(minutes=5, microseconds=1), True),
        # The repeated hour of the autumn night, and a year's last instant.
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), timedelta(minutes=5), False),
        (datetime(2028, 2, 29, 22, 59, 59, tzinfo=UTC), timedelta(seconds=301), True),
        (datetime(2025, 12, 31, 22, 57, tzinfo=UTC), timedelta(0), False),
    ],
)
def test_r_time_5_an_event_instant_may_be_at_most_the_clock_skew_ahead(now, ahead, refused):
    """R-TIME-5 has one home (`is_ahead_of_clock`); `ensure_not_ahead` answers 422
    `instant-in-future` for a request field, the snapshot batch rejects the item."""
    from app.domain.calendar import ensure_not_ahead, is_ahead_of_clock
    from app.domain.errors import InvalidInput

    assert is_ahead_of_clock(now + ahead, now, timedelta(seconds=300)) is refused
    if refused:
        with pytest.raises(InvalidInput) as caught:
            ensure_not_ahead(now + ahead, now, 300, "received_at")
        assert (caught.value.code, caught.value.field) == ("instant-in-future", "received_at")
    else:
        ensure_not_ahead(now + ahead, now, 300, "received_at")
