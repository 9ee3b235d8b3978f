"""Storage history and forecast: snapshots on Paris days or weeks, and when the threshold
will be reached at the current pace.

- History: buckets are Paris days (23 h or 25 h on DST days) or Paris weeks starting
  Monday 00:00; only buckets holding samples are returned.
- Forecast: least-squares fit of daily ``bytes_last`` over the 30 Paris days ending on
  the latest measured day (inclusive); ``slope_bytes_per_day`` is given as soon as 7 daily
  points exist; ``critical_on`` is the first Paris day *after* the latest measured day on
  which the fitted line reaches the threshold — null when fewer than 7 points, slope ≤ 0,
  already critical, or beyond the representable calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from app.domain.calendar import PARIS, paris_day_bounds, paris_day_start, utc_instant
from app.domain.errors import InvalidInput
from app.domain.storage import Level

FORECAST_WINDOW_DAYS = 30


FORECAST_MIN_POINTS = 7


Window = Literal["day", "week"]


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def paris_week_bounds(d: date) -> tuple[datetime, datetime]:
    """UTC [start, end) of the Paris week (Monday 00:00 to next Monday 00:00) holding ``d``."""
    monday = _monday(d)
    return paris_day_start(monday), paris_day_start(monday + timedelta(days=7))


def _check_window(window: str) -> None:
    if window not in ("day", "week"):
        raise InvalidInput("window must be 'day' or 'week'", field="window")


def bucket_start(measured_at: datetime, window: Window) -> date:
    """The Paris day (``day``) or the Monday of the Paris week (``week``) holding the instant."""
    _check_window(window)
    paris_day = utc_instant(measured_at, "measured_at").astimezone(PARIS).date()
    return paris_day if window == "day" else _monday(paris_day)


def _bounds(start: date, window: Window) -> tuple[datetime, datetime]:
    return paris_day_bounds(start) if window == "day" else paris_week_bounds(start)


@dataclass(frozen=True)
class Point:
    period_start: datetime
    period_end: datetime
    bytes_max: int
    bytes_last: int


@dataclass(frozen=True)
class Fold:
    """The running figures of one bucket: its largest size, the size of its latest
    sample and that sample's instant, and how many samples were folded."""

    bytes_max: int
    bytes_last: int
    last_at: datetime
    samples: int = 1


def fold(old: Fold | None, new: Fold) -> Fold:
    """The fold of storage samples into a bucket (a Paris day or week), in one place
    for history, re-bucketing and the daily fold of old snapshots: the max of the
    maxima, and the last size of the latest instant (`is_late_snapshot`'s "latest by
    ``measured_at``"; on a tie, the one folded last). Its SQL twin is the daily query
    of app/adapters/db/storage_repo.py (``_PG_DAILY``)."""
    if old is None:
        return new
    later = new if new.last_at >= old.last_at else old
    return Fold(max(old.bytes_max, new.bytes_max), later.bytes_last, later.last_at,
                old.samples + new.samples)


def points_of(acc: Mapping[date, Fold], window: Window) -> list[Point]:
    """The points of folded buckets keyed by their first Paris day, sorted."""
    points = []
    for key in sorted(acc):
        start, end = _bounds(key, window)
        points.append(Point(start, end, acc[key].bytes_max, acc[key].bytes_last))
    return points


def aggregate(samples: Iterable[tuple[datetime, int]], window: Window) -> list[Point]:
    """Snapshots ``(measured_at, bytes_used)`` folded (``fold``) into Paris day/week
    points, sorted. Buckets without samples are omitted."""
    _check_window(window)
    acc: dict[date, Fold] = {}
    for measured_at, bytes_used in samples:
        at = utc_instant(measured_at, "measured_at")
        key = bucket_start(at, window)
        acc[key] = fold(acc.get(key), Fold(bytes_used, bytes_used, at))
    return points_of(acc, window)


def aggregate_points(points: Iterable[Point], window: Window) -> list[Point]:
    """Re-bucket finer points (e.g. daily figures folded from old snapshots) into
    ``window`` buckets with ``fold``: max of ``bytes_max``, ``bytes_last`` of the latest
    point."""
    _check_window(window)
    acc: dict[date, Fold] = {}
    for p in points:
        key = bucket_start(p.period_start, window)
        acc[key] = fold(acc.get(key), Fold(p.bytes_max, p.bytes_last, p.period_start))
    return points_of(acc, window)


@dataclass(frozen=True)
class Forecast:
    slope_bytes_per_day: float | None
    critical_on: date | None
    points_used: int


def forecast(
    daily_points: Sequence[tuple[date, int]],
    latest_measured_on: date,
    threshold: int,
    current_level: Level,
) -> Forecast:
    """Least-squares trend of the daily ``bytes_last`` over the 30 Paris days ending on
    ``latest_measured_on`` (inclusive) and the Paris day the fitted line reaches
    ``threshold``.

    ``slope_bytes_per_day`` is None with fewer than 7 daily points in the window.
    ``critical_on`` is the first day after ``latest_measured_on`` whose fitted value is
    ≥ ``threshold``; None when fewer than 7 points, slope ≤ 0, ``current_level`` is
    critical, or the date is past the calendar's end. Exact (rational) arithmetic; a day
    given twice keeps its last value.
    """
    first = latest_measured_on - timedelta(days=FORECAST_WINDOW_DAYS - 1)
    by_day: dict[date, int] = {}
    for day, bytes_last in daily_points:
        if first <= day <= latest_measured_on:
            by_day[day] = bytes_last
    n = len(by_day)
    if n < FORECAST_MIN_POINTS:
        return Forecast(None, None, n)

    xs = [(day - latest_measured_on).days for day in by_day]  # ≤ 0, latest day is 0
    ys = list(by_day.values())
    sx, sy = sum(xs), sum(ys)
    sxx = sum(x * x for x in xs)
    sxy = sum(x * y for x, y in zip(xs, ys, strict=True))
    slope = Fraction(n * sxy - sx * sy, n * sxx - sx * sx)  # n ≥ 7 distinct days: ≠ 0
    result = Forecast(float(slope), None, n)
    if slope <= 0 or Level(current_level) is Level.CRITICAL:
        return result

    intercept = (sy - slope * sx) / n  # fitted value on the latest day
    needed = (threshold - intercept) / slope  # days after latest day, exact
    days = max(1, -((-needed.numerator) // needed.denominator))  # ceil, at least tomorrow
    try:
        critical_on = latest_measured_on + timedelta(days=days)
    except OverflowError:
        return result
    return replace(result, critical_on=critical_on)
