"""Storage rules: R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1, R-TIME-1 (app/domain/storage.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.calendar import paris_day_bounds
from app.domain.errors import InvalidInput
from app.domain.storage import (
    AlertEvent,
    AlertKind,
    Level,
    LevelState,
    apply_snapshot,
    is_late_snapshot,
    level_rank,
    next_level,
    pool_level_after,
    pool_threshold,
    raw_level,
    warning_threshold,
)
from app.domain.storage_history import (
    Forecast,
    Point,
    aggregate,
    aggregate_points,
    bucket_start,
    forecast,
    paris_week_bounds,
)
from app.domain.storage_reminders import due_reminders, record_reminders, retrieval_reminder_dates
from app.domain.units import GB

T41 = 41 * GB
OK, WARNING, CRITICAL = Level.OK, Level.WARNING, Level.CRITICAL


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- units


def test_a_gigabyte_is_read_as_an_si_gigabyte():
    assert GB == 1_000_000_000
    assert T41 == 41_000_000_000


def test_levels_are_ordered_by_rank_not_by_name():
    assert [level_rank(x) for x in (OK, WARNING, CRITICAL)] == [0, 1, 2]
    assert CRITICAL.rank > WARNING.rank > OK.rank


def test_the_warning_threshold_is_ninety_percent_floored():
    assert warning_threshold(T41) == 36_900_000_000
    assert warning_threshold(11) == 9


# --------------------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("bytes_used", "expected"),
    [
        (0, OK),
        (36_899_999_999, OK),
        (36_900_000_000, WARNING),
        (40_999_999_999, WARNING),
        (41_000_000_000, CRITICAL),
        (500 * GB, CRITICAL),
    ],
)
def test_raw_level_uses_ninety_and_hundred_percent_of_the_threshold(bytes_used, expected):
    assert raw_level(bytes_used, T41) is expected


@pytest.mark.parametrize(
    ("case", "previous", "bytes_used", "expected"),
    [
        ("ok stays ok just below 36.9 GB", OK, 36_899_999_999, OK),
        ("ok rises to warning at 36.9 GB", OK, 36_900_000_000, WARNING),
        ("ok rises straight to critical at 41 GB", OK, 41_000_000_000, CRITICAL),
        ("warning rises to critical at 41 GB", WARNING, 41_000_000_000, CRITICAL),
        ("critical stays critical within the 1 GB margin", CRITICAL, 40_500_000_000, CRITICAL),
        ("critical stays critical at exactly 40 GB", CRITICAL, 40_000_000_000, CRITICAL),
        ("critical falls to warning just below 40 GB", CRITICAL, 39_999_999_999, WARNING),
        ("critical falls to warning held by its own margin", CRITICAL, 36_000_000_000, WARNING),
        ("critical falls straight to ok", CRITICAL, 1, OK),
        ("critical falls to ok just below 35.9 GB", CRITICAL, 35_899_999_999, OK),
        ("warning stays warning at exactly 35.9 GB", WARNING, 35_900_000_000, WARNING),
        ("warning clears just below 35.9 GB", WARNING, 35_899_999_999, OK),
        ("warning stays warning within its margin", WARNING, 36_000_000_000, WARNING),
    ],
)
def test_next_level_rises_at_once_and_clears_only_past_the_hysteresis(
    case, previous, bytes_used, expected
):
    assert next_level(previous, bytes_used, T41) is expected, case


def test_the_pool_uses_capacity_as_its_critical_threshold():
    capacity = pool_threshold(500 * GB)
    assert capacity == 500 * GB
    assert raw_level(449_999_999_999, capacity) is OK
    assert raw_level(450 * GB, capacity) is WARNING
    assert raw_level(500 * GB, capacity) is CRITICAL
    assert next_level(CRITICAL, 499 * GB, capacity) is CRITICAL
    assert next_level(CRITICAL, 499 * GB - 1, capacity) is WARNING


@pytest.mark.parametrize(
    ("bytes_used", "threshold"),
    [(-1, T41), (1.5, T41), (True, T41), (10, 0), (10, -5)],
)
def test_bad_numbers_are_refused(bytes_used, threshold):
    with pytest.raises(InvalidInput):
        raw_level(bytes_used, threshold)


# --------------------------------------------------------------------------- snapshots


def test_a_rise_to_warning_gives_one_raised_event_with_the_warning_threshold():
    at = utc(2025, 1, 6, 8)
    state, events = apply_snapshot(LevelState(), at, 37 * GB, T41)
    assert state == LevelState(level=WARNING, measured_at=at)
    assert events == [AlertEvent(AlertKind.RAISED, OK, WARNING, 37 * GB, 36_900_000_000, at)]
    assert events[0].sends_mail


def test_a_rise_from_ok_to_critical_gives_a_single_raised_event_and_starts_reminders():
    at = utc(2025, 1, 6, 8)
    state, events = apply_snapshot(LevelState(), at, 42 * GB, T41)
    assert state == LevelState(level=CRITICAL, raised_at=at, measured_at=at)
    assert events == [AlertEvent(AlertKind.RAISED, OK, CRITICAL, 42 * GB, T41, at)]


def test_critical_then_just_below_forty_gb_gives_one_cleared_event_without_mail():
    t0, t1 = utc(2025, 1, 6, 8), utc(2025, 1, 6, 14)
    state, _ = apply_snapshot(LevelState(), t0, 42 * GB, T41)
    state, events = apply_snapshot(state, t1, 39_999_999_999, T41)
    assert state == LevelState(level=WARNING, measured_at=t1)
    assert events == [AlertEvent(AlertKind.CLEARED, CRITICAL, WARNING, 39_999_999_999, T41, t1)]
    assert not events[0].sends_mail


def test_warning_clearing_to_ok_cites_the_warning_threshold():
    t0, t1 = utc(2025, 1, 6, 8), utc(2025, 1, 6, 14)
    state, _ = apply_snapshot(LevelState(), t0, 37 * GB, T41)
    state, events = apply_snapshot(state, t1, 35_899_999_999, T41)
    assert state.level is OK
    assert [(e.kind, e.threshold_bytes) for e in events] == [(AlertKind.CLEARED, 36_900_000_000)]


def test_critical_within_the_margin_gives_no_event():
    t0, t1 = utc(2025, 1, 6, 8), utc(2025, 1, 6, 14)
    state, _ = apply_snapshot(LevelState(), t0, 42 * GB, T41)
    after, events = apply_snapshot(state, t1, 40_500_000_000, T41)
    assert events == []
    assert after == LevelState(level=CRITICAL, raised_at=t0, measured_at=t1)


@pytest.mark.parametrize("late_by", [timedelta(0), timedelta(hours=1), timedelta(days=3)])
def test_a_late_older_snapshot_changes_nothing(late_by):
    t0 = utc(2025, 1, 6, 8)
    state, _ = apply_snapshot(LevelState(), t0, 42 * GB, T41)
    after, events = apply_snapshot(state, t0 - late_by, 1, T41)
    assert after is state
    assert events == []


def test_a_raised_threshold_is_re_evaluated_at_the_next_snapshot_and_clears_the_level():
    t0, t1 = utc(2025, 1, 6, 8), utc(2025, 1, 7, 8)
    state, _ = apply_snapshot(LevelState(), t0, 41_500_000_000, T41)
    assert state.level is CRITICAL
    state, events = apply_snapshot(state, t1, 41_500_000_000, 50 * GB)
    assert state == LevelState(level=OK, measured_at=t1)
    assert events == [AlertEvent(AlertKind.CLEARED, CRITICAL, OK, 41_500_000_000, 50 * GB, t1)]


def test_a_lowered_threshold_raises_the_level_at_the_next_snapshot():
    t0, t1 = utc(2025, 1, 6, 8), utc(2025, 1, 7, 8)
    state, _ = apply_snapshot(LevelState(), t0, 30 * GB, T41)
    state, events = apply_snapshot(state, t1, 30 * GB, 30 * GB)
    assert state.level is CRITICAL
    assert [e.kind for e in events] == [AlertKind.RAISED]


def test_a_snapshot_without_offset_is_refused():
    with pytest.raises(InvalidInput):
        apply_snapshot(LevelState(), datetime(2025, 1, 6, 8), 1, T41)


# --------------------------------------------------------------------------- reminders


def test_six_hourly_snapshots_for_fifty_days_above_41_gb_give_one_raise_and_seven_reminders():
    t0 = utc(2025, 1, 6, 0)
    samples = [t0 + timedelta(hours=6 * i) for i in range(50 * 4)]
    state, events = LevelState(), []
    next_job = t0.replace(hour=2) + timedelta(days=1)
    for at in samples:
        while next_job <= at:  # the daily job runs between snapshots
            state, reminders = record_reminders(state, next_job, 42 * GB, T41)
            events += reminders
            next_job += timedelta(days=1)
        state, new = apply_snapshot(state, at, 42 * GB + 1000, T41)
        events += new
    for _ in range(10):  # the job keeps running after the last snapshot
        state, reminders = record_reminders(state, next_job, 42 * GB, T41)
        events += reminders
        next_job += timedelta(days=1)

    assert [e.kind for e in events].count(AlertKind.RAISED) == 1
    reminders = [e for e in events if e.kind is AlertKind.REMINDER]
    assert [e.occurred_at for e in reminders] == [t0 + timedelta(days=7 * k) for k in range(1, 8)]
    assert all(e.threshold_bytes == T41 and e.level_to is CRITICAL for e in reminders)


def test_reminders_are_counted_in_paris_calendar_days_across_a_dst_change():
    raised = utc(2025, 10, 20, 10)  # 12:00 CEST
    state = LevelState(CRITICAL, raised_at=raised, measured_at=utc(2025, 11, 30))
    due = due_reminders(state, utc(2025, 11, 4))
    assert due == [utc(2025, 10, 27, 11), utc(2025, 11, 3, 11)]  # 12:00 CET


def test_a_reminder_waits_for_measured_time_to_reach_it():
    raised = utc(2025, 1, 6, 8)
    state = LevelState(CRITICAL, raised_at=raised, measured_at=utc(2025, 1, 13, 7))
    assert due_reminders(state, utc(2025, 2, 1)) == []
    state = LevelState(CRITICAL, raised_at=raised, measured_at=utc(2025, 1, 13, 8))
    assert due_reminders(state, utc(2025, 2, 1)) == [utc(2025, 1, 13, 8)]


def test_a_job_replayed_before_the_reminder_instant_sends_nothing():
    raised = utc(2025, 1, 6, 8)
    state = LevelState(CRITICAL, raised_at=raised, measured_at=utc(2025, 2, 1))
    assert due_reminders(state, utc(2025, 1, 13, 7, 59)) == []


def test_missed_reminders_are_each_returned_once():
    raised = utc(2025, 1, 6, 8)
    state = LevelState(CRITICAL, raised_at=raised, measured_at=utc(2025, 2, 1))
    state, events = record_reminders(state, utc(2025, 1, 21), 42 * GB, T41)
    assert [e.occurred_at for e in events] == [utc(2025, 1, 13, 8), utc(2025, 1, 20, 8)]
    assert state.last_reminder_at == utc(2025, 1, 20, 8)
    assert record_reminders(state, utc(2025, 1, 26), 42 * GB, T41) == (state, [])


def test_no_reminder_outside_critical():
    state = LevelState(WARNING, measured_at=utc(2025, 3, 1))
    assert due_reminders(state, utc(2025, 3, 1)) == []


def test_a_new_critical_episode_restarts_the_reminder_count():
    t0 = utc(2025, 1, 6, 8)
    state, _ = apply_snapshot(LevelState(), t0, 42 * GB, T41)
    state, _ = apply_snapshot(state, t0 + timedelta(days=8), 42 * GB, T41)
    state, _ = record_reminders(state, t0 + timedelta(days=8), 42 * GB, T41)
    state, _ = apply_snapshot(state, t0 + timedelta(days=9), 30 * GB, T41)
    assert state.last_reminder_at is None and state.raised_at is None
    t1 = t0 + timedelta(days=10)
    state, _ = apply_snapshot(state, t1, 42 * GB, T41)
    assert state.raised_at == t1 and state.last_reminder_at is None
    state, _ = apply_snapshot(state, t1 + timedelta(days=7), 42 * GB, T41)
    assert due_reminders(state, t1 + timedelta(days=7)) == [t1 + timedelta(days=7)]


# --------------------------------------------------------------------------- history


@pytest.mark.parametrize(
    ("day", "start", "end", "hours"),
    [
        (date(2025, 3, 30), utc(2025, 3, 29, 23), utc(2025, 3, 30, 22), 23),
        (date(2025, 10, 26), utc(2025, 10, 25, 22), utc(2025, 10, 26, 23), 25),
        (date(2025, 1, 15), utc(2025, 1, 14, 23), utc(2025, 1, 15, 23), 24),
        (date(2025, 7, 15), utc(2025, 7, 14, 22), utc(2025, 7, 15, 22), 24),
    ],
)
def test_a_paris_day_spans_23_24_or_25_hours(day, start, end, hours):
    assert paris_day_bounds(day) == (start, end)
    assert end - start == timedelta(hours=hours)


def test_a_snapshot_at_half_past_midnight_paris_lands_in_that_paris_day():
    at = utc(2025, 10, 30, 23, 30)
    assert bucket_start(at, "day") == date(2025, 10, 31)
    [point] = aggregate([(at, 5)], "day")
    assert (point.period_start, point.period_end) == (utc(2025, 10, 30, 23), utc(2025, 10, 31, 23))


def test_a_week_bucket_starts_monday_midnight_paris_across_the_dst_change():
    start, end = paris_week_bounds(date(2025, 10, 26))  # a Sunday
    assert (start, end) == (utc(2025, 10, 19, 22), utc(2025, 10, 26, 23))
    assert end - start == timedelta(days=7, hours=1)
    assert bucket_start(utc(2025, 10, 26, 22, 59), "week") == date(2025, 10, 20)
    assert bucket_start(utc(2025, 10, 26, 23, 0), "week") == date(2025, 10, 27)


def test_aggregate_keeps_the_max_and_the_bytes_of_the_latest_measured_instant():
    samples = [
        (utc(2025, 10, 31, 12), 30),
        (utc(2025, 10, 30, 23, 30), 10),
        (utc(2025, 10, 31, 20), 20),  # latest of 31 Oct
        (utc(2025, 10, 31, 23, 30), 7),  # 1 Nov in Paris
    ]
    assert aggregate(samples, "day") == [
        Point(utc(2025, 10, 30, 23), utc(2025, 10, 31, 23), 30, 20),
        Point(utc(2025, 10, 31, 23), utc(2025, 11, 1, 23), 7, 7),
    ]
    assert aggregate(samples, "week") == [
        Point(utc(2025, 10, 26, 23), utc(2025, 11, 2, 23), 30, 7),
    ]


def test_daily_points_regroup_into_weeks_like_raw_samples():
    samples = [(utc(2025, 10, 20, 10) + timedelta(hours=7 * i), i * 3 % 11) for i in range(60)]
    assert aggregate_points(aggregate(samples, "day"), "week") == aggregate(samples, "week")


def test_an_unknown_window_is_refused():
    with pytest.raises(InvalidInput):
        aggregate([], "month")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- forecast

LATEST = date(2025, 5, 31)


def series(n: int, start: int, per_day: int) -> list[tuple[date, int]]:
    """n daily points ending on LATEST, growing by per_day bytes a day."""
    return [(LATEST - timedelta(days=n - 1 - i), start + per_day * i) for i in range(n)]


def test_forecast_on_a_linear_series_gives_the_day_the_threshold_is_reached():
    # 30 GB on 2 May, +0.1 GB a day: 32.9 GB on 31 May, 41 GB 81 days later.
    result = forecast(series(30, 30 * GB, GB // 10), LATEST, T41, WARNING)
    assert result == Forecast(
        slope_bytes_per_day=1e8, critical_on=date(2025, 8, 20), points_used=30
    )


def test_forecast_reaches_the_threshold_exactly_on_a_fitted_day():
    result = forecast(series(7, 34 * GB, GB), LATEST, T41, OK)  # 40 GB on LATEST
    assert result.critical_on == LATEST + timedelta(days=1)


def test_forecast_is_at_least_tomorrow_when_the_fit_is_already_above():
    points = [*series(7, 30 * GB, GB)[:-1], (LATEST, 40 * GB)]
    result = forecast(points, LATEST, 20 * GB, WARNING)
    assert result.critical_on == LATEST + timedelta(days=1)


def test_forecast_ignores_days_outside_the_thirty_day_window():
    old = [(LATEST - timedelta(days=30 + i), 50 * GB) for i in range(10)]
    result = forecast(old + series(10, 30 * GB, GB // 10), LATEST, T41, OK)
    assert result.points_used == 10
    assert result.slope_bytes_per_day == pytest.approx(1e8)


@pytest.mark.parametrize(
    ("case", "points", "level", "slope"),
    [
        ("only six daily points", series(6, 30 * GB, GB), OK, None),
        ("a flat series", series(10, 30 * GB, 0), OK, 0.0),
        ("a shrinking series", series(10, 30 * GB, -GB // 10), WARNING, -1e8),
        ("a school already critical", series(10, 30 * GB, GB), CRITICAL, 1e9),
    ],
)
def test_forecast_has_no_date_when(case, points, level, slope):
    result = forecast(points, LATEST, T41, level)
    assert result.critical_on is None, case
    assert result.slope_bytes_per_day == slope, case


def test_forecast_with_a_negligible_slope_past_the_calendar_has_no_date():
    points = [*series(9, 0, 0), (LATEST, 1)]
    result = forecast(points, LATEST, 10**30, OK)
    assert result.slope_bytes_per_day > 0
    assert result.critical_on is None


# --------------------------------------------------------------------------- R-STO-4


def test_schools_are_reminded_90_and_30_days_before_the_access_end():
    assert retrieval_reminder_dates(date(2029, 8, 31)) == (date(2029, 6, 2), date(2029, 8, 1))


# --- R-STO-3 in one place -------------------------------------------------------------


def test_r_sto_3_a_snapshot_measured_at_or_before_the_latest_is_late():
    latest = datetime(2025, 10, 26, 0, 59, 59, tzinfo=UTC)  # 02:59:59 CEST, DST night
    assert is_late_snapshot(None, latest) is False
    assert is_late_snapshot(latest, latest) is True
    assert is_late_snapshot(latest, latest - timedelta(microseconds=1)) is True
    assert is_late_snapshot(latest, latest + timedelta(microseconds=1)) is False


def test_r_sto_1_the_pool_follows_every_new_total_whatever_the_order_of_measurement():
    later = datetime(2025, 3, 3, 10, tzinfo=UTC)
    state = LevelState(Level.OK, measured_at=later)
    earlier = later - timedelta(hours=1)
    new, events = pool_level_after(state, earlier, 450 * GB, 500 * GB)
    assert new.level is Level.WARNING and [e.kind.value for e in events] == ["raised"]
