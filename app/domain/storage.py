"""Storage rules (R-STO-1, R-STO-2, R-STO-3, R-UNIT-1): quota levels with hysteresis and
alert events, from the snapshots the Moodle plugin posts. Reminders are in
`storage_reminders`, history and forecast in `storage_history`.

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
- ``AlertEvent.threshold_bytes`` is the threshold of the higher level of the transition:
  the school threshold (or capacity) when critical is involved, its 90 % (integer floor;
  the warning percent) for a warning ↔ ok transition.

Each default is a module constant and the default of the function's parameter; the
service passes the values of the settings (``StoragePolicy``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from app.domain.calendar import utc_instant
from app.domain.errors import InvalidInput
from app.domain.units import GB

HYSTERESIS_BYTES = GB
"""R-STO-2: a level clears only below its threshold minus this margin (10^9 bytes
whatever the `SIZE_UNIT` reading, R-UNIT-1a)."""

WARNING_PERCENT = 90
"""R-STO-2: the warning level starts at this percent of the threshold."""


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
    measured_at = utc_instant(measured_at, "measured_at")
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
    return _evaluate(state, utc_instant(at, "at"), total_bytes, pool_threshold(capacity_bytes),
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
