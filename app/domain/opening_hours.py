"""The support service's opening-hours clock (R-SUP-1, R-TIME-1, R-TIME-3).

Opening windows are ``[opens, closes)`` in local time (Europe/Paris by default) on the
working days of an injected calendar. Each window is converted to a pair of UTC instants
through ``zoneinfo``, so durations are real elapsed time and a DST switch (which happens
at night) never shortens or lengthens a window. Days are never added as 86,400 s.

Every instant returned is aware and in UTC. Naive datetimes are rejected (ValueError).

Conventions of this module:

- A window is half-open: at 17:30 sharp the service is closed; at 08:30 sharp it is open.
- ``next_opening(t)`` is the first open instant at or after ``t``: ``t`` itself when the
  service is open at ``t``, otherwise the start of the next opening window.
- ``add(start, s)`` starts the clock at ``next_opening(start)``; a result that falls
  exactly at the end of a window is reported as that closing instant (17:30), not as the
  next opening. ``add(start, 0)`` is therefore ``next_opening(start)``: the start itself
  when open, otherwise the next opening.
- ``business_seconds_between(a, b)`` counts opening time in ``[a, b)``, floored to whole
  seconds (0 when ``b <= a``). For any ``s >= 0``:
  ``business_seconds_between(start, add(start, s)) == s``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "BUDGET_SECONDS",
    "DEFAULT_READING",
    "DeadlineReading",
    "OpeningHoursClock",
    "WorkingDays",
    "response_due_at",
]

PARIS = ZoneInfo("Europe/Paris")

# A calendar with no working day for this long is treated as an error rather than
# looped over forever (10 years of closures).
_MAX_SCAN_DAYS = 3660

_ONE_SECOND = timedelta(seconds=1)


class WorkingDays(Protocol):
    """What the clock needs from a calendar (`calendar.WorkingCalendar`)."""

    def is_working_day(self, d: date) -> bool: ...


def _to_utc(instant: datetime, name: str = "instant") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


@lru_cache(maxsize=8192)
def _window(d: date, opens: time, closes: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the local window ``[opens, closes)`` on local date ``d``."""
    start = datetime.combine(d, opens, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(d, closes, tzinfo=tz).astimezone(UTC)
    return start, end


class OpeningHoursClock:
    """Counts time only while the service is open (R-SUP-1)."""

    def __init__(
        self,
        calendar: WorkingDays,
        opens: time = time(8, 30),
        closes: time = time(17, 30),
        tz: ZoneInfo = PARIS,
    ) -> None:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening times are local wall-clock times (no tzinfo)")
        if not opens < closes:
            raise ValueError("opening time must be before closing time")
        self.calendar = calendar
        self.opens = opens
        self.closes = closes
        self.tz = tz

    def __repr__(self) -> str:
        return (
            f"OpeningHoursClock(opens={self.opens.isoformat()}, "
            f"closes={self.closes.isoformat()}, tz={self.tz.key!r})"
        )

    # -- windows ---------------------------------------------------------------------

    def _local_date(self, utc_instant: datetime) -> date:
        return utc_instant.astimezone(self.tz).date()

    def _window_on(self, d: date) -> tuple[datetime, datetime] | None:
        """The UTC window of local date ``d``, or None when ``d`` is not a working day."""
        if not self.calendar.is_working_day(d):
            return None
        return _window(d, self.opens, self.closes, self.tz)

    def _first_window_from(self, d: date) -> tuple[datetime, datetime]:
        """The window of the first working day on or after local date ``d``."""
        for offset in range(_MAX_SCAN_DAYS):
            window = self._window_on(d + timedelta(days=offset))
            if window is not None:
                return window
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {d.isoformat()}")

    # -- queries ---------------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """True when the service is open at ``instant`` (window ``[opens, closes)``)."""
        u = _to_utc(instant)
        window = self._window_on(self._local_date(u))
        return window is not None and window[0] <= u < window[1]

    def next_opening(self, instant: datetime) -> datetime:
        """The first open instant at or after ``instant`` (``instant`` itself if open), UTC."""
        u = _to_utc(instant)
        d = self._local_date(u)
        window = self._window_on(d)
        if window is not None:
            start, end = window
            if u < start:
                return start
            if u < end:
                return u
        return self._first_window_from(d + timedelta(days=1))[0]

    def add(self, start: datetime, seconds: int) -> datetime:
        """The UTC instant at which ``seconds`` of opening time have elapsed from ``start``.

        The clock starts at ``next_opening(start)``. A result that lands exactly at a
        closing time is that closing time. ``seconds == 0`` gives ``next_opening(start)``.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise TypeError("seconds must be an int")
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        cur = self.next_opening(start)
        remaining = timedelta(seconds=seconds)
        while True:
            d = self._local_date(cur)
            window = self._window_on(d)
            assert window is not None  # cur is always inside an opening window
            available = window[1] - cur
            if remaining <= available:
                return cur + remaining
            remaining -= available
            cur = self._first_window_from(d + timedelta(days=1))[0]

    def business_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole seconds of opening time in ``[a, b)``; 0 when ``b <= a``."""
        ua = _to_utc(a, "a")
        ub = _to_utc(b, "b")
        if ub <= ua:
            return 0
        total = timedelta(0)
        d = self._local_date(ua)
        last = self._local_date(ub)
        while d <= last:
            window = self._window_on(d)
            if window is not None:
                lo = max(window[0], ua)
                hi = min(window[1], ub)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total // _ONE_SECOND


class DeadlineReading(StrEnum):
    """How "48 hours" of art. 5 is read by `OpeningHoursClock` (a setting)."""

    two_opening_days = "two_opening_days"  # the project's decision: 2 x 9 h = 18 h
    literal_48_hours = "literal_48_hours"  # 48 opening hours


DEFAULT_READING = DeadlineReading.two_opening_days

BUDGET_SECONDS: dict[DeadlineReading, int] = {
    DeadlineReading.two_opening_days: 18 * 3600,
    DeadlineReading.literal_48_hours: 48 * 3600,
}


def response_due_at(
    received_at: datetime,
    clock: OpeningHoursClock,
    reading: DeadlineReading = DEFAULT_READING,
) -> datetime:
    """The response deadline (UTC) of a support request received at ``received_at``."""
    return clock.add(received_at, BUDGET_SECONDS[DeadlineReading(reading)])
