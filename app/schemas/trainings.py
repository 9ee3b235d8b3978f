"""Wire models of referent trainings (R-REF-2)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from app.schemas.common import Input, IsoDate

TrainingStatusText = Literal["due", "proposed", "completed"]


class TrainingOut(BaseModel):
    id: str
    uid: str
    school_code: str
    status: TrainingStatusText
    daip_notified_on: date
    due_on: date
    overdue: bool
    proposed_on: date | None
    session_on: date | None
    completed_on: date | None


class TrainingList(BaseModel):
    items: list[TrainingOut]
    next_cursor: str | None


class ProposalIn(Input):
    """`proposed_on` defaults to today (Paris); `session_on` is the session's first day."""

    proposed_on: IsoDate | None = None
    session_on: IsoDate


class CompletionIn(Input):
    """`completed_on` defaults to today (Paris)."""

    completed_on: IsoDate | None = None
