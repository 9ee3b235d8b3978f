"""When a periodic job is due (DESIGN.md, Operations): pure schedule arithmetic.

A schedule cuts the timeline into slots; `latest_slot(at)` is the last slot that has
begun at `at`. A job is due at `at` when that slot is later than the slot of its last
successful run, so replaying a day (`jobs run --at …`) runs each slot at most once.
Daily slots are Europe/Paris wall-clock times (R-TIME-1), DST-aware."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from app.domain.calendar import PARIS, paris_date

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime has no place on the timeline")
    return at.astimezone(UTC)


class Schedule(Protocol):
    def latest_slot(self, at: datetime) -> datetime:
        """The start (UTC) of the last slot begun at or before `at`."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Every:
    """Every `interval`, on slots aligned to the Unix epoch (every 60 s: each minute)."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval < timedelta(seconds=1) or self.interval % timedelta(seconds=1):
            raise ValueError("an interval is a whole, positive number of seconds")

    def latest_slot(self, at: datetime) -> datetime:
        elapsed = _aware(at) - EPOCH
        return EPOCH + (elapsed // self.interval) * self.interval

    def describe(self) -> str:
        seconds = int(self.interval.total_seconds())
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0:
                count = seconds // size
                return f"every {count} {unit}{'s' if count > 1 else ''}"
        return f"every {seconds} seconds"


@dataclass(frozen=True)
class DailyAt:
    """Once a Paris day, at a Europe/Paris wall-clock time.

    A time skipped by the spring DST change runs one hour later that day (zoneinfo's
    reading of the missing hour); a repeated autumn time runs at its first occurrence."""

    at: time

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            raise ValueError("a daily time is a Paris wall-clock time, without offset")

    def _slot_on(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=PARIS).astimezone(UTC)

    def latest_slot(self, at: datetime) -> datetime:
        at = _aware(at)
        day = paris_date(at)
        slot = self._slot_on(day)
        if slot > at:
            slot = self._slot_on(day - timedelta(days=1))
        return slot

    def describe(self) -> str:
        return f"daily at {self.at.strftime('%H:%M')} Europe/Paris"


def due_slot(schedule: Schedule, at: datetime, last_done: datetime | None) -> datetime | None:
    """The slot to run at `at`, or None when the latest slot already ran.

    `last_done` is the slot (`scheduled_for`) of the job's last successful run."""
    slot = schedule.latest_slot(at)
    if last_done is not None and _aware(last_done) >= slot:
        return None
    return slot
