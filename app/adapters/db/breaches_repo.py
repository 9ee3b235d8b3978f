"""SQL repository of the personal-data breach records. It never commits."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import BreachNotificationRow, BreachRow
from app.domain.breaches import Breach, DpoNotification
from app.domain.convention import Party

# The advisory lock of breach filings ("brch" in ASCII).
_BREACH_LOCK_KEY = 0x62726368


def _notification(row: BreachNotificationRow) -> DpoNotification:
    return DpoNotification(party=Party(row.party), informed_at=row.informed_at,
                           reference=row.reference, note=row.note, recorded_at=row.recorded_at)


def _breach(row: BreachRow, notifications: list[DpoNotification]) -> Breach:
    return Breach(
        id=row.id, reference=row.reference, discovered_by=Party(row.discovered_by),
        discovered_at=row.discovered_at, description=row.description,
        recorded_at=row.recorded_at,
        notifications=tuple(sorted(notifications, key=lambda n: (n.informed_at, n.party))),
    )


class SqlBreachRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def lock_for_filing(self) -> None:
        """PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE already
        holds the database's write lock."""
        bind = self.session.bind
        if bind is not None and bind.dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BREACH_LOCK_KEY}
            )

    async def _with_notifications(self, rows: list[BreachRow]) -> list[Breach]:
        if not rows:
            return []
        found: dict[str, list[DpoNotification]] = defaultdict(list)
        query = select(BreachNotificationRow).where(
            BreachNotificationRow.breach_id.in_([r.id for r in rows]))  # type: ignore[attr-defined]
        for n in (await self.session.execute(query)).scalars():
            found[n.breach_id].append(_notification(n))
        return [_breach(r, found[r.id]) for r in rows]

    async def by_reference(self, reference: str) -> Breach | None:
        row = (await self.session.execute(
            select(BreachRow).where(BreachRow.reference == reference))).scalar_one_or_none()
        return (await self._with_notifications([row]))[0] if row else None

    async def get(self, breach_id: str, *, for_update: bool = False) -> Breach | None:
        row = await get_row(self.session, BreachRow, breach_id, for_update=for_update)
        return (await self._with_notifications([row]))[0] if row else None

    async def add(self, breach: Breach) -> None:
        await self.session.execute(insert(BreachRow).values(
            id=breach.id, reference=breach.reference, discovered_by=breach.discovered_by.value,
            discovered_at=breach.discovered_at, description=breach.description,
            recorded_at=breach.recorded_at,
        ))

    async def add_notification(self, breach_id: str, notification: DpoNotification) -> None:
        await self.session.execute(insert(BreachNotificationRow).values(
            breach_id=breach_id, party=notification.party.value,
            informed_at=notification.informed_at, reference=notification.reference,
            note=notification.note, recorded_at=notification.recorded_at,
        ))

    async def list(
        self, *, after_id: str | None = None, limit: int | None = None,
    ) -> list[Breach]:
        query = select(BreachRow).order_by(BreachRow.id)
        if after_id is not None:
            query = query.where(BreachRow.id > after_id)
        if limit is not None:
            query = query.limit(limit)
        rows = list((await self.session.execute(query)).scalars())
        return await self._with_notifications(rows)
