"""Wire models of the periodic jobs and their recorded runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class JobRunOut(BaseModel):
    id: int
    job: str
    scheduled_for: datetime = Field(description="The schedule slot (or `--at` instant) run")
    started_at: datetime
    finished_at: datetime | None
    outcome: Literal["running", "succeeded", "failed"]
    counts: dict[str, int] = Field(description="What the run did, e.g. `sent`, `retried`")
    error: str | None


class JobOut(BaseModel):
    name: str
    description: str
    schedule: str
    last_run: JobRunOut | None
    last_success_at: datetime | None = Field(description="`finished_at` of the last success")


class JobList(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class JobRunList(BaseModel):
    items: list[JobRunOut]
    next_cursor: str | None
