"""Trainings owed to new referents and trainers (R-REF-2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from app.domain.trainings import Training, TrainingStatus


class TrainingRepository(Protocol):
    async def get(self, training_id: str, *, for_update: bool = False) -> Training | None: ...
    async def add(self, training: Training) -> None: ...
    async def update(self, training: Training) -> None: ...
    async def without_proposal(self) -> list[Training]: ...
    async def list(
        self,
        *,
        status: TrainingStatus | None,
        school_codes: Sequence[str] | None,
        overdue_on: date | None,
        not_overdue_on: date | None,
        after_id: str | None,
        limit: int,
    ) -> list[Training]: ...
