"""Storage reminders: while a school (or the pool) is critical (R-STO-2), and before the
access end so that schools retrieve their content (R-STO-4).

- While critical, one reminder every 7 days (``REMINDER_DAYS``) of *measured time*
  counted from the ``measured_at`` of the snapshot that raised critical. "7 days" are
  Paris calendar days (same wall-clock time 7 days later, R-TIME-1), not 7 × 86,400 s. A
  reminder instant is due once both the evaluation time (``now``) and the latest
  ``measured_at`` have reached it: if the plugin stops measuring, reminders stop too (no
  measured time elapses), and a job replayed at a past ``now`` never sends a reminder
  from its future. Reminders carry the critical threshold.
- Retrieval reminders (R-STO-4): 90 and 30 calendar days before the access end date
  (``RETRIEVAL_REMINDER_DAYS``, read by ``parse_reminder_days``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from app.domain.calendar import PARIS, utc_instant
from app.domain.errors import InvalidInput
from app.domain.storage import AlertEvent, AlertKind, Level, LevelState

REMINDER_DAYS = 7
"""R-STO-2: reminder period while critical, in Paris calendar days of measured time."""


REMINDER_INTERVAL = timedelta(days=REMINDER_DAYS)


RETRIEVAL_REMINDER_DAYS = (90, 30)
"""R-STO-4: days before the access end on which schools are reminded to retrieve content."""


def _check_days(days: int, field: str) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput(f"{field} is a whole number of days ≥ 1", code="invalid-setting",
                           field=field)


def _reminder_instant(raised_at: datetime, k: int, interval_days: int) -> datetime:
    """raised_at + k × interval_days Paris calendar days, same Paris wall-clock time
    (R-TIME-1)."""
    local = raised_at.astimezone(PARIS)
    wall = local.replace(tzinfo=None) + timedelta(days=k * interval_days)
    return wall.replace(tzinfo=PARIS).astimezone(UTC)


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
    now = utc_instant(now, "now")
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
