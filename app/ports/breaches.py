"""Personal-data breach records (implemented in app/adapters/db/breaches_repo)."""

from __future__ import annotations

from typing import Protocol

from app.domain.breaches import Breach, DpoNotification


class BreachRepository(Protocol):
    async def lock_for_filing(self) -> None:
        """Serialize breach filings until the end of the transaction (one per reference)."""
        ...

    async def by_reference(self, reference: str) -> Breach | None: ...
    async def get(self, breach_id: str, *, for_update: bool = False) -> Breach | None: ...
    async def add(self, breach: Breach) -> None: ...
    async def add_notification(self, breach_id: str, notification: DpoNotification) -> None: ...
    async def list(
        self, *, after_id: str | None = None, limit: int | None = None,
    ) -> list[Breach]:
        """In recording order (ids grow with time), after `after_id`."""
        ...
