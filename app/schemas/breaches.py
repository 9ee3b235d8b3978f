"""Wire models of the personal-data breach records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.common import Input, Instant, LongText, Reference, text

PartyName = Literal["region", "ut", "gcs"]
Note = text(2000)


class BreachIn(Input):
    reference: Reference = Field(description="The breach file's reference (unique).")
    discovered_by: PartyName
    discovered_at: Instant
    description: LongText


class DpoNotificationIn(Input):
    party: PartyName = Field(description="The party whose DPO was informed.")
    informed_at: Instant
    reference: Reference | None = Field(default=None, description="The message or letter.")
    note: Note | None = None


class DpoNotificationOut(BaseModel):
    party: str
    informed_at: datetime
    reference: str | None
    note: str | None
    recorded_at: datetime


class BreachOut(BaseModel):
    id: str
    reference: str
    discovered_by: str
    discovered_at: datetime
    description: str
    recorded_at: datetime
    parties_to_inform: list[str]
    dpo_notifications: list[DpoNotificationOut]


class BreachList(BaseModel):
    items: list[BreachOut]
    next_cursor: str | None
