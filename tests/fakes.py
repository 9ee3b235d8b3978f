"""Fakes behind the ports, for unit tests of services (never of our own database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A clock that tests move explicitly (never by sleeping)."""

    def __init__(self, now: datetime | str = "2025-03-03T09:00:00+00:00"):
        self._now = datetime.fromisoformat(now) if isinstance(now, str) else now
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware instant")
        self._now = self._now.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime | str) -> None:
        value = datetime.fromisoformat(now) if isinstance(now, str) else now
        self._now = value.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
