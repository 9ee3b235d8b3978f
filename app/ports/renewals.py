"""June renewal campaigns and their decisions (R-ACC-5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from app.domain.accounts import RoleKind
from app.domain.renewals import Campaign, Decision


class CampaignRepository(Protocol):
    async def get(self, year: int, *, for_update: bool = False) -> Campaign | None: ...
    async def add(self, campaign: Campaign) -> bool: ...
    async def close(self, year: int, closed_at: datetime) -> None: ...
    async def open_campaigns(self) -> list[Campaign]: ...
    async def set_deadlines(
        self, year: int, referent_deadline: date, trainer_deadline: date
    ) -> None: ...
    async def decisions(
        self, year: int, school_code: str | None = None
    ) -> list[tuple[str, str, RoleKind, Decision]]: ...
    async def replace_decisions(
        self,
        year: int,
        school_code: str,
        kinds: Sequence[RoleKind],
        decisions: Sequence[tuple[str, RoleKind, Decision]],
        now: datetime,
    ) -> None: ...
