"""The clock port: the current instant, and today in Paris from it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from app.domain.calendar import paris_date


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, UTC."""
        ...


def today_in_paris(clock: Clock) -> date:
    return paris_date(clock.now())
