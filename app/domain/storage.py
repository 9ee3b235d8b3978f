"""Storage rules (R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1, R-TIME-1): quota levels with
hysteresis, alert
events, reminders in measured time, history buckets on Paris days and the forecast.

Pure Python: sizes are integer bytes, time is an argument, nothing here does I/O.

Decisions (each documented in the README as a setting or a reading):

- Units (R-UNIT-1): sizes are bytes; "Go" and its display live in ``app.domain.units``.
- Levels (R-STO-2): ``warning`` when ``100 × bytes ≥ percent × threshold`` (percent:
  ``WARNING_RATIO_PERCENT``, default 90, i.e. ``10 × bytes ≥ 9 × threshold``),
  ``critical`` when ``bytes ≥ threshold``; integer arithmetic only, never floats.
- Hysteresis: a level *rises* as soon as the raw level is higher; it *clears* only when
  usage falls below that level's own threshold minus 1 GB (critical: ``bytes <
  threshold − 1 GB``; warning: ``100 × (bytes + 1 GB) < percent × threshold``). After a clear
  the new level is the highest level whose hold condition still holds, so critical may
  fall to warning or straight to ok, with a single ``cleared`` event.
- The pool (R-STO-1) uses the very same functions with ``threshold = capacity``
  (``pool_threshold``): warning at 90 % (the same percent), critical at 100 %, same
  hysteresis and reminders.
- Late snapshots (R-STO-3, ``is_late_snapshot``): a snapshot whose ``measured_at`` is on
  or before the latest one already applied changes nothing (neither level nor events).
  The pool follows the total of the schools' latest snapshots (``pool_level_after``).
- Reminders: while critical, one every 7 days (``CRITICAL_REMINDER_DAYS``) of *measured
  time* counted from the ``measured_at`` of the snapshot that raised critical. "7 days" are
  Paris calendar days (same wall-clock time 7 days later, R-TIME-1), not 7 × 86,400 s. A
  reminder instant is
  due once both the evaluation time (``now``) and the latest ``measured_at`` have reached
  it: if the plugin stops measuring, reminders stop too (no measured time elapses), and a
  job replayed at a past ``now`` never sends a reminder from its future.
- ``AlertEvent.threshold_bytes`` is the threshold of the higher level of the transition:
  the school threshold (or capacity) when critical is involved, its 90 % (integer floor;
  the warning percent) for a warning ↔ ok transition. Reminders carry the critical threshold.
- History: buckets are Paris days (23 h or 25 h on DST days) or Paris weeks starting
  Monday 00:00; only buckets holding samples are returned.
- Forecast: least-squares fit of daily ``bytes_last`` over the 30 Paris days ending on
  the latest measured day (inclusive); ``slope_bytes_per_day`` is given as soon as 7 daily
  points exist; ``critical_on`` is the first Paris day *after* the latest measured day on
  which the fitted line reaches the threshold — null when fewer than 7 points, slope ≤ 0,
  already critical, or beyond the representable calendar.
- Retrieval reminders (R-STO-4): 90 and 30 calendar days before the access end date
  (``RETRIEVAL_REMINDER_DAYS``, read by ``parse_reminder_days``).

Each default is a module constant and the default of the function's parameter; the
service passes the values of the settings (``StoragePolicy``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from app.domain.calendar import paris_day_bounds, paris_day_start
from app.domain.errors import InvalidInput
from app.domain.units import GB

__all__ = [
    "GB",
    "HYSTERESIS_BYTES",
    "REMINDER_DAYS",
    "REMINDER_INTERVAL",
    "RETRIEVAL_REMINDER_DAYS",
    "WARNING_PERCENT",
    "AlertEvent",
    "AlertKind",
    "Fold",
    "Forecast",
    "Level",
    "LevelState",
    "Point",
    "Window",
    "aggregate",
    "aggregate_points",
    "apply_snapshot",
    "bucket_start",
    "due_reminders",
    "fold",
    "forecast",
    "is_late_snapshot",
    "level_rank",
    "level_threshold",
    "next_level",
    "paris_day_bounds",
    "paris_week_bounds",
    "parse_reminder_days",
    "points_of",
    "pool_level_after",
    "pool_threshold",
    "raw_level",
    "record_reminders",
    "reevaluate_level",
    "retrieval_reminder_dates",
    "warning_threshold",
]

_PARIS = ZoneInfo("Europe/Paris")

HYSTERESIS_BYTES = GB
"""R-STO-2: a level clears only below its threshold minus this margin (10^9 bytes
whatever the `SIZE_UNIT` reading, R-UNIT-1a)."""

WARNING_PERCENT = 90
"""R-STO-2: the warning level starts at this percent of the threshold."""

REMINDER_DAYS = 7
"""R-STO-2: reminder period while critical, in Paris calendar days of measured time."""

REMINDER_INTERVAL = timedelta(days=REMINDER_DAYS)

RETRIEVAL_REMINDER_DAYS = (90, 30)
"""R-STO-4: days before the access end on which schools are reminded to retrieve content."""

FORECAST_WINDOW_DAYS = 30
FORECAST_MIN_POINTS = 7

Window = Literal["day", "week"]


# --------------------------------------------------------------------------- levels


class Level(StrEnum):
    """Alert level of a school (or of the pool). Ordered by ``rank``, not by string."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK: dict[Level, int] = {Level.OK: 0, Level.WARNING: 1, Level.CRITICAL: 2}


def level_rank(level: Level) -> int:
    """0 for ok, 1 for warning, 2 for critical."""
    return _RANK[Level(level)]


def _check_bytes(bytes_used: int, threshold: int) -> None:
    if isinstance(bytes_used, bool) or not isinstance(bytes_used, int) or bytes_used < 0:
        raise InvalidInput("bytes_used must be an integer ≥ 0", field="bytes_used")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold <= 0:
        raise InvalidInput("threshold must be an integer > 0", field="threshold_bytes")


def pool_threshold(capacity_bytes: int) -> int:
    """R-STO-1: the pool's critical threshold is the total capacity itself (warning at
    90 % of it, same hysteresis and reminders as a school)."""
    return capacity_bytes


def _check_percent(percent: int) -> None:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 < percent < 100:
        raise InvalidInput("the warning percent is an integer from 1 to 99",
                           code="invalid-setting", field="warning_ratio_percent")


def warning_threshold(threshold: int, percent: int = WARNING_PERCENT) -> int:
    """``percent`` % of ``threshold``, integer floor (36,900,000,000 for 90 % of 41 GB)."""
    _check_percent(percent)
    return percent * threshold // 100


def level_threshold(
    level: Level, threshold: int, warning_percent: int = WARNING_PERCENT
) -> int | None:
    """The threshold that defines ``level``: ``threshold`` for critical, its warning
    percent (90 %) for warning, None for ok."""
    if level is Level.CRITICAL:
        return threshold
    if level is Level.WARNING:
        return warning_threshold(threshold, warning_percent)
    return None


def raw_level(bytes_used: int, threshold: int, warning_percent: int = WARNING_PERCENT) -> Level:
    """The level without memory: critical when ``bytes ≥ threshold``, warning when
    ``100 × bytes ≥ warning_percent × threshold`` (90: ``10 × bytes ≥ 9 × threshold``),
    else ok."""
    _check_bytes(bytes_used, threshold)
    _check_percent(warning_percent)
    if bytes_used >= threshold:
        return Level.CRITICAL
    if 100 * bytes_used >= warning_percent * threshold:
        return Level.WARNING
    return Level.OK


def _holds(
    level: Level, bytes_used: int, threshold: int, hysteresis: int, warning_percent: int
) -> bool:
    """Whether an already-reached ``level`` is kept at ``bytes_used`` (hysteresis)."""
    if level is Level.CRITICAL:
        return bytes_used + hysteresis >= threshold
    if level is Level.WARNING:
        return 100 * (bytes_used + hysteresis) >= warning_percent * threshold
    return True


def next_level(
    previous: Level,
    bytes_used: int,
    threshold: int,
    hysteresis: int = HYSTERESIS_BYTES,
    warning_percent: int = WARNING_PERCENT,
) -> Level:
    """The level after a snapshot of ``bytes_used``, given the ``previous`` level.

    Rises at once to the raw level when it is higher. Otherwise keeps the highest level
    not above ``previous`` whose hold condition is met (critical holds while ``bytes ≥
    threshold − hysteresis``; warning while ``100 × (bytes + hysteresis) ≥
    warning_percent × threshold``).
    """
    previous = Level(previous)
    raw = raw_level(bytes_used, threshold, warning_percent)
    if raw.rank >= previous.rank:
        return raw
    for candidate in (Level.CRITICAL, Level.WARNING):
        if raw.rank < candidate.rank <= previous.rank and _holds(
            candidate, bytes_used, threshold, hysteresis, warning_percent
        ):
            return candidate
    return raw


# --------------------------------------------------------------------------- events


class AlertKind(StrEnum):
    RAISED = "raised"  # a rise of level: mail-worthy
    REMINDER = "reminder"  # still critical 7, 14, … days of measured time later: mail
    CLEARED = "cleared"  # a fall of level: recorded, no mail


@dataclass(frozen=True)
class AlertEvent:
    kind: AlertKind
    level_from: Level
    level_to: Level
    bytes_used: int
    threshold_bytes: int
    """The threshold crossed: of the higher level of the transition (see module doc)."""
    occurred_at: datetime
    """UTC: the snapshot's measured_at; for a reminder, its due instant."""

    @property
    def sends_mail(self) -> bool:
        return self.kind is not AlertKind.CLEARED


@dataclass(frozen=True)
class LevelState:
    """What the alerting remembers for one school (or the pool)."""

    level: Level = Level.OK
    raised_at: datetime | None = None
    """measured_at of the snapshot that raised the current critical level (else None)."""
    last_reminder_at: datetime | None = None
    """Due instant of the last reminder recorded for the current critical episode."""
    measured_at: datetime | None = None
    """measured_at of the latest snapshot applied (R-STO-3)."""


@dataclass(frozen=True)
class Snapshot:
    """An absolute measurement of one school's content, as posted by the Moodle plugin."""

    snapshot_id: str
    school_code: str
    measured_at: datetime  # UTC
    bytes_used: int
    files_count: int | None = None
    bytes_backup: int | None = None

    def same_content(self, other: Snapshot) -> bool:
        """Same measurement (a resent snapshot), whatever the offset it was written with."""
        return (
            self.school_code == other.school_code
            and self.measured_at == other.measured_at
            and self.bytes_used == other.bytes_used
            and self.files_count == other.files_count
            and self.bytes_backup == other.bytes_backup
        )


def _utc(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(f"{name} must carry a UTC offset", field=name)
    return instant.astimezone(UTC)


def apply_snapshot(
    state: LevelState,
    measured_at: datetime,
    bytes_used: int,
    threshold: int,
    hysteresis: int = HYSTERESIS_BYTES,
    warning_percent: int = WARNING_PERCENT,
) -> tuple[LevelState, list[AlertEvent]]:
    """Apply one snapshot, measured at ``measured_at``, against the ``threshold`` in
    force at that instant (a changed threshold is thus re-evaluated at the next snapshot).

    A late snapshot (``measured_at ≤ state.measured_at``) returns ``state`` unchanged and
    no event. A rise gives one ``raised`` event (ok → critical is one event, not two); a
    fall gives one ``cleared`` event. Rising to critical starts a new reminder episode
    (``raised_at = measured_at``, no reminder sent yet); leaving critical ends it.
    """
    measured_at = _utc(measured_at, "measured_at")
    _check_bytes(bytes_used, threshold)
    if is_late_snapshot(state.measured_at, measured_at):
        return state, []
    return _evaluate(state, measured_at, bytes_used, threshold, hysteresis, warning_percent)


def is_late_snapshot(latest_measured_at: datetime | None, measured_at: datetime) -> bool:
    """R-STO-3: a scope's usage is its latest snapshot by ``measured_at``, not by
    arrival: a snapshot measured at or before the latest one applied is late and
    changes neither usage nor level nor alerts."""
    return latest_measured_at is not None and measured_at <= latest_measured_at


def pool_level_after(
    state: LevelState,
    at: datetime,
    total_bytes: int,
    capacity_bytes: int,
    hysteresis: int = HYSTERESIS_BYTES,
    warning_percent: int = WARNING_PERCENT,
) -> tuple[LevelState, list[AlertEvent]]:
    """The pool's level (threshold: `pool_threshold`) after a change of the schools'
    total. The total is the sum of each school's latest snapshot (`is_late_snapshot`
    already chose them), so every new
    total is evaluated, whatever order the schools were measured in; ``at`` is the
    latest measurement it includes."""
    _check_bytes(total_bytes, capacity_bytes)
    return _evaluate(state, _utc(at, "at"), total_bytes, pool_threshold(capacity_bytes),
                     hysteresis, warning_percent)


def _evaluate(
    state: LevelState, measured_at: datetime, bytes_used: int, threshold: int,
    hysteresis: int, warning_percent: int,
) -> tuple[LevelState, list[AlertEvent]]:
    """The level after `bytes_used` measured at `measured_at` (R-STO-2 hysteresis), and
    its event; whether the measurement counts is the caller's rule."""
    previous = Level(state.level)
    level = next_level(previous, bytes_used, threshold, hysteresis, warning_percent)
    if level is previous:
        return replace(state, measured_at=measured_at), []

    if level.rank > previous.rank:
        kind, top = AlertKind.RAISED, level
    else:
        kind, top = AlertKind.CLEARED, previous
    event = AlertEvent(
        kind=kind,
        level_from=previous,
        level_to=level,
        bytes_used=bytes_used,
        threshold_bytes=(
            threshold if top is Level.CRITICAL else warning_threshold(threshold, warning_percent)
        ),
        occurred_at=measured_at,
    )
    if level is Level.CRITICAL:
        new_state = LevelState(level, raised_at=measured_at, measured_at=measured_at)
    else:
        new_state = LevelState(level, measured_at=measured_at)
    return new_state, [event]


def reevaluate_level(
    state: LevelState,
    bytes_used: int,
    threshold: int,
    hysteresis: int = HYSTERESIS_BYTES,
    warning_percent: int = WARNING_PERCENT,
) -> tuple[LevelState, list[AlertEvent]]:
    """When a start changes the threshold in force (another `SIZE_UNIT` reading of the
    convention's 41 Go / 500 Go, `reference.convention_size_figures`), the level is re-evaluated
    once from the
    latest snapshot (`bytes_used`, measured at `state.measured_at`) against the new
    `threshold`, with the same hysteresis (10^9 bytes whatever the unit): a rise is an
    ordinary `raised` event (mailed), a fall a `cleared` one (recorded, not mailed).
    A scope never measured stays as it is."""
    if state.measured_at is None:
        return state, []
    _check_bytes(bytes_used, threshold)
    return _evaluate(state, state.measured_at, bytes_used, threshold, hysteresis,
                     warning_percent)


def _check_days(days: int, field: str) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput(f"{field} is a whole number of days ≥ 1", code="invalid-setting",
                           field=field)


def _reminder_instant(raised_at: datetime, k: int, interval_days: int) -> datetime:
    """raised_at + k × interval_days Paris calendar days, same Paris wall-clock time
    (R-TIME-1)."""
    local = raised_at.astimezone(_PARIS)
    wall = local.replace(tzinfo=None) + timedelta(days=k * interval_days)
    return wall.replace(tzinfo=_PARIS).astimezone(UTC)


def due_reminders(
    state: LevelState, now: datetime, interval_days: int = REMINDER_DAYS
) -> list[datetime]:
    """Reminder instants due for a critical state at ``now``, oldest first.

    Reminder k (k ≥ 1) falls at ``raised_at`` + k × ``interval_days`` (7) Paris days. It is
    due when it is after
    the last reminder recorded (or after ``raised_at``) and on or before the horizon
    ``min(now, state.measured_at)``: measured time, not wall time. Each instant is
    returned once if the caller records the last one (``record_reminders``).
    """
    now = _utc(now, "now")
    _check_days(interval_days, "critical_reminder_days")
    if state.level is not Level.CRITICAL or state.raised_at is None:
        return []
    horizon = now if state.measured_at is None else min(now, state.measured_at)
    after = state.last_reminder_at or state.raised_at
    due: list[datetime] = []
    k = 1
    while True:
        instant = _reminder_instant(state.raised_at, k, interval_days)
        if instant > horizon:
            return due
        if instant > after:
            due.append(instant)
        k += 1


def record_reminders(
    state: LevelState, now: datetime, bytes_used: int, threshold: int,
    interval_days: int = REMINDER_DAYS,
) -> tuple[LevelState, list[AlertEvent]]:
    """``due_reminders`` turned into ``reminder`` events (critical → critical, at the
    current ``bytes_used``) and the state with the last one recorded."""
    due = due_reminders(state, now, interval_days)
    if not due:
        return state, []
    events = [
        AlertEvent(
            kind=AlertKind.REMINDER,
            level_from=Level.CRITICAL,
            level_to=Level.CRITICAL,
            bytes_used=bytes_used,
            threshold_bytes=threshold,
            occurred_at=instant,
        )
        for instant in due
    ]
    return replace(state, last_reminder_at=due[-1]), events


# --------------------------------------------------------------------------- history


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
    paris_day = _utc(measured_at, "measured_at").astimezone(_PARIS).date()
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
        at = _utc(measured_at, "measured_at")
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


# --------------------------------------------------------------------------- forecast


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


# --------------------------------------------------------------------------- R-STO-4


def parse_reminder_days(text: str, name: str = "RETRIEVAL_REMINDER_DAYS") -> tuple[int, ...]:
    """A setting like ``"90,30"``: comma-separated whole numbers of days ≥ 1 (spaces
    allowed), at least one, each once; returned from the earliest reminder (the most days
    before) to the latest. Anything else → InvalidInput ``invalid-setting`` naming it."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise InvalidInput(
            f"{name} is a comma-separated list of whole numbers of days ≥ 1 (e.g. 90,30); "
            f"got {text!r}", code="invalid-setting", field=name.lower(),
        )
    days = [int(part) for part in parts]
    if min(days) < 1 or len(set(days)) != len(days):
        raise InvalidInput(
            f"{name} lists whole numbers of days ≥ 1, each once (e.g. 90,30); got {text!r}",
            code="invalid-setting", field=name.lower(),
        )
    return tuple(sorted(days, reverse=True))


def retrieval_reminder_dates(
    access_end_on: date, days_before: Sequence[int] = RETRIEVAL_REMINDER_DAYS
) -> tuple[date, ...]:
    """R-STO-4: the days schools are reminded to retrieve their content, one per entry of
    ``days_before`` in its order (90 and 30 days before the convention's access end)."""
    for days in days_before:
        _check_days(days, "retrieval_reminder_days")
    return tuple(access_end_on - timedelta(days=days) for days in days_before)
