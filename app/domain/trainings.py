"""Trainings owed to new referents and trainers: proposed within 15 working days of DAIP's
notification (R-REF-1, R-REF-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.calendar import WorkingCalendar

TRAINING_DEADLINE_DAYS = 15  # R-REF-2


class TrainingStatus(StrEnum):
    DUE = "due"
    PROPOSED = "proposed"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Training:
    id: str
    uid: str
    school_code: str
    role_id: str
    daip_notified_on: date
    due_on: date
    status: TrainingStatus
    proposed_on: date | None
    session_on: date | None
    completed_on: date | None
    created_at: datetime

    def overdue_on(self, today: date) -> bool:
        """Overdue when no proposal was made on or before the due day."""
        if self.proposed_on is not None:
            return self.proposed_on > self.due_on
        return today > self.due_on


def training_due_on(calendar: WorkingCalendar, notified_on: date) -> date:
    return calendar.deadline(notified_on, TRAINING_DEADLINE_DAYS)
