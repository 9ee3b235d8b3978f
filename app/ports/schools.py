"""The schools of the partnership."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.domain.schools import School


class SchoolRepository(Protocol):
    async def get(self, code: str) -> School | None: ...
    async def list(
        self, *, codes: Sequence[str] | None, after: str | None, limit: int
    ) -> list[School]: ...
    async def add(self, school: School) -> bool:
        """False when the code is already taken (nothing added)."""
        ...

    async def update(self, school: School, *, expected_version: int) -> bool: ...
    async def codes(self) -> set[str]: ...
