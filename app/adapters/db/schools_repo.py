"""SQL repository of the schools. It never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import insert_ignoring_conflicts, is_postgres
from app.adapters.db.raw import as_row, select_list, transaction_connection
from app.adapters.db.tables import (
    SchoolRow,
)
from app.domain.schools import School

# Raw statements of the hot paths on PostgreSQL (app/adapters/db/raw.py).
_SCHOOLS = SchoolRow.__table__  # type: ignore[attr-defined]


_PG_SCHOOL = f"SELECT {select_list(_SCHOOLS)} FROM schools WHERE code = $1"


def school_from_row(row: SchoolRow) -> School:
    return School(
        code=row.code,
        name=row.name,
        group=row.group_name,
        sites=tuple(row.sites),
        amendment_reference=row.amendment_reference,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlSchoolRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, code: str) -> School | None:
        if is_postgres(self.session):  # on the account-request hot path (raw.py)
            statements = await transaction_connection(self.session)
            found = await statements.fetchrow(_PG_SCHOOL, code)
            return school_from_row(as_row(_SCHOOLS, found)) if found else None  # type: ignore[arg-type]
        row = await self.session.get(SchoolRow, code)
        return school_from_row(row) if row else None

    async def list(
        self, *, codes: Sequence[str] | None, after: str | None, limit: int
    ) -> list[School]:
        query = select(SchoolRow).order_by(SchoolRow.code).limit(limit)
        if codes is not None:
            query = query.where(SchoolRow.code.in_(list(codes)))  # type: ignore[attr-defined]
        if after is not None:
            query = query.where(SchoolRow.code > after)
        rows = (await self.session.execute(query)).scalars().all()
        return [school_from_row(r) for r in rows]

    async def add(self, school: School) -> bool:
        """Insert unless the code is taken (False: a concurrent creation won)."""
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, SchoolRow).values(
                code=school.code,
                name=school.name,
                group_name=school.group,
                sites=list(school.sites),
                amendment_reference=school.amendment_reference,
                version=school.version,
                created_at=school.created_at,
                updated_at=school.updated_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def update(self, school: School, *, expected_version: int) -> bool:
        result = await self.session.execute(
            update(SchoolRow)
            .where(SchoolRow.code == school.code, SchoolRow.version == expected_version)
            .values(
                name=school.name,
                group_name=school.group,
                sites=list(school.sites),
                version=school.version,
                updated_at=school.updated_at,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def codes(self) -> set[str]:
        return set((await self.session.execute(select(SchoolRow.code))).scalars().all())
