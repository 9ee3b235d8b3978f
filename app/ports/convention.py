"""The convention's reference (dates, figures) as stored."""

from __future__ import annotations

from typing import Protocol

from app.domain.reference import ConventionReference


class ConventionRepository(Protocol):
    async def get(self) -> ConventionReference | None: ...
    async def add(self, ref: ConventionReference) -> None: ...
    async def set_size_figures(self, capacity_bytes: int, threshold_bytes: int) -> None: ...
