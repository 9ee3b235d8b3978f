"""Wire models of the working-day calendar (R-TIME-3, R-TIME-4)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from app.schemas.common import Input, ShortText


class ClosureFields(BaseModel):
    starts_on: date
    ends_on: date
    label: ShortText


class ClosureCreate(ClosureFields, Input):
    """A UT closure period, both ends inclusive."""


class ClosureOut(ClosureFields):
    id: str


class ClosureList(BaseModel):
    items: list[ClosureOut]


class DeadlineOut(BaseModel):
    due_on: date
