"""SQL repository of the trainings owed to new referents and trainers (R-REF-2). It never
commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.row_locks import get_row
from app.adapters.db.tables import (
    TrainingRow,
)
from app.domain.trainings import Training, TrainingStatus


def training_from_row(row: TrainingRow) -> Training:
    return Training(
        id=row.id,
        uid=row.uid,
        school_code=row.school_code,
        role_id=row.role_id,
        daip_notified_on=row.daip_notified_on,
        due_on=row.due_on,
        status=TrainingStatus(row.status),
        proposed_on=row.proposed_on,
        session_on=row.session_on,
        completed_on=row.completed_on,
        created_at=row.created_at,
    )


class SqlTrainingRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, training_id: str, *, for_update: bool = False) -> Training | None:
        row = await get_row(self.session, TrainingRow, training_id, for_update=for_update)
        return training_from_row(row) if row else None

    async def add(self, training: Training) -> None:
        await self.session.execute(
            insert(TrainingRow).values(
                id=training.id,
                uid=training.uid,
                school_code=training.school_code,
                role_id=training.role_id,
                daip_notified_on=training.daip_notified_on,
                due_on=training.due_on,
                status=training.status.value,
                proposed_on=training.proposed_on,
                session_on=training.session_on,
                completed_on=training.completed_on,
                created_at=training.created_at,
            )
        )

    async def update(self, training: Training) -> None:
        await self.session.execute(
            update(TrainingRow)
            .where(TrainingRow.id == training.id)
            .values(
                status=training.status.value,
                due_on=training.due_on,
                proposed_on=training.proposed_on,
                session_on=training.session_on,
                completed_on=training.completed_on,
            )
        )

    async def without_proposal(self) -> list[Training]:
        rows = (
            await self.session.execute(
                select(TrainingRow).where(TrainingRow.status == TrainingStatus.DUE.value)
            )
        ).scalars()
        return [training_from_row(r) for r in rows]

    async def list(
        self,
        *,
        status: TrainingStatus | None,
        school_codes: Sequence[str] | None,
        overdue_on: date | None,
        not_overdue_on: date | None,
        after_id: str | None,
        limit: int,
    ) -> list[Training]:
        query = select(TrainingRow).order_by(TrainingRow.id).limit(limit)
        if status is not None:
            query = query.where(TrainingRow.status == status.value)
        if school_codes is not None:
            query = query.where(TrainingRow.school_code.in_(list(school_codes)))  # type: ignore[attr-defined]
        today = overdue_on or not_overdue_on
        if today is not None:
            overdue = or_(
                and_(TrainingRow.proposed_on.is_(None), TrainingRow.due_on < today),  # type: ignore[union-attr]
                and_(
                    TrainingRow.proposed_on.is_not(None),  # type: ignore[union-attr]
                    TrainingRow.proposed_on > TrainingRow.due_on,  # type: ignore[operator]
                ),
            )
            query = query.where(overdue if overdue_on is not None else ~overdue)
        if after_id is not None:
            query = query.where(TrainingRow.id > after_id)
        return [training_from_row(r) for r in (await self.session.execute(query)).scalars()]
