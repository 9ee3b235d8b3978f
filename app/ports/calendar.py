"""Closures of the working calendar (R-TIME-4)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from app.domain.calendar import Closure


class ClosureRepository(Protocol):
    async def list(self) -> list[tuple[str, Closure]]: ...
    async def add(self, closure_id: str, closure: Closure, *, now: datetime) -> None: ...
    async def delete(self, closure_id: str) -> Closure | None: ...
    async def lock_for_change(self) -> None:
        """Serialise changes of closures until the end of the transaction."""
        ...
