"""SQL repository of the convention record's party entries. It never commits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import PartyRecordRow
from app.domain.convention import Party
from app.domain.convention_record import PartyRecord


def _record(row: PartyRecordRow) -> PartyRecord:
    return PartyRecord(party=Party(row.party), signed_on=row.signed_on,
                       obligations_contact=row.obligations_contact)


class SqlPartyRecordRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def all(self) -> list[PartyRecord]:
        rows = (await self.session.execute(select(PartyRecordRow))).scalars()
        return [_record(r) for r in rows]

    async def get(self, party: Party, *, for_update: bool = False) -> PartyRecord:
        row = await get_row(self.session, PartyRecordRow, party.value, for_update=for_update)
        return _record(row) if row is not None else PartyRecord(party)

    async def _set(self, party: Party, now: datetime, **values: object) -> None:
        await self.session.execute(
            update(PartyRecordRow).where(PartyRecordRow.party == party.value)
            .values(updated_at=now, **values))

    async def set_signed_on(self, party: Party, signed_on: date, *, now: datetime) -> None:
        await self._set(party, now, signed_on=signed_on)

    async def set_obligations_contact(
        self, party: Party, email: str | None, *, now: datetime
    ) -> None:
        await self._set(party, now, obligations_contact=email)
