"""The convention record's party entries (implemented in
app/adapters/db/convention_record_repo)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from app.domain.convention import Party
from app.domain.convention_record import PartyRecord


class PartyRecordRepository(Protocol):
    async def all(self) -> list[PartyRecord]: ...
    async def get(self, party: Party, *, for_update: bool = False) -> PartyRecord: ...
    async def set_signed_on(self, party: Party, signed_on: date, *, now: datetime) -> None: ...
    async def set_obligations_contact(
        self, party: Party, email: str | None, *, now: datetime
    ) -> None: ...
