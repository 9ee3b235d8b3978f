"""SQL repository of the working calendar's closures. It never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import is_postgres, lock_table
from app.adapters.db.raw import transaction_connection
from app.adapters.db.tables import (
    ClosureRow,
)
from app.domain.calendar import Closure

# The hot path's raw statement on PostgreSQL (app/adapters/db/raw.py).
_PG_CLOSURES = "SELECT id, starts_on, ends_on, label FROM closures ORDER BY starts_on"


class SqlClosureRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def lock_for_change(self) -> None:
        # Two concurrent changes must not both pass the overlap check. SQLite already
        # holds the write lock (BEGIN IMMEDIATE); PostgreSQL locks out other writers.
        await lock_table(self.session, "closures", "SHARE ROW EXCLUSIVE")

    async def list(self) -> list[tuple[str, Closure]]:
        if is_postgres(self.session):  # every deadline computed on a hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetch(_PG_CLOSURES)
            return [(r["id"], Closure(r["starts_on"], r["ends_on"], r["label"])) for r in found]
        rows = (
            await self.session.execute(select(ClosureRow).order_by(ClosureRow.starts_on))
        ).scalars()
        return [(r.id, Closure(r.starts_on, r.ends_on, r.label)) for r in rows]

    async def add(self, closure_id: str, closure: Closure, *, now: datetime) -> None:
        await self.session.execute(
            insert(ClosureRow).values(
                id=closure_id,
                starts_on=closure.starts_on,
                ends_on=closure.ends_on,
                label=closure.label,
                created_at=now,
            )
        )

    async def delete(self, closure_id: str) -> Closure | None:
        row = await self.session.get(ClosureRow, closure_id)
        if row is None:
            return None
        closure = Closure(row.starts_on, row.ends_on, row.label)
        await self.session.execute(delete(ClosureRow).where(ClosureRow.id == closure_id))
        return closure
