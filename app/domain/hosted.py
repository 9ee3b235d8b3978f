"""Hosted accounts: creation requests, trainings and June campaigns (R-ACC-2, R-ACC-3, R-ACC-4,
R-ACC-5, R-REF-1, R-REF-2).

Records are plain dataclasses; the rules that decide are pure functions of them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.accounts import RoleKind
from app.domain.calendar import AcademicYear, WorkingCalendar, paris_date
from app.domain.errors import Conflict

ACCOUNT_DEADLINE_DAYS = 15  # R-ACC-4
TRAINING_DEADLINE_DAYS = 15  # R-REF-2


class RequestStatus(StrEnum):
    RECEIVED = "received"
    FULFILLED = "fulfilled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    email: str


@dataclass(frozen=True)
class Account:
    uid: str
    given_name: str
    family_name: str
    email: str
    created_at: datetime
    erased_at: datetime | None = None
    student_number: str | None = None


@dataclass(frozen=True)
class StoredRole:
    id: str
    uid: str
    kind: RoleKind
    school_code: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class AccountRequest:
    id: str
    ticket_ref: str
    content_sha256: str
    school_code: str
    kind: RoleKind
    given_name: str
    family_name: str
    email: str
    received_at: datetime
    existing_uid: str | None
    replaces_uid: str | None
    daip_notified_on: date | None
    academic_year: int
    due_on: date
    status: RequestStatus
    uid: str | None
    fulfilled_at: datetime | None
    rejection_reason: str | None
    closed_at: datetime | None
    created_at: datetime

    @property
    def received_on(self) -> date:
        return paris_date(self.received_at)

    @property
    def updated_at(self) -> datetime:
        """When the service last changed it: its creation, or its fulfilment, rejection or
        cancellation (recorded at the server's instant, whatever `fulfilled_at` says)."""
        return self.closed_at or self.created_at

    @property
    def on_time(self) -> bool | None:
        """Fulfilled on or before its due day (Paris); None while not fulfilled."""
        if self.fulfilled_at is None:
            return None
        return paris_date(self.fulfilled_at) <= self.due_on

    def overdue_on(self, today: date) -> bool:
        """R-ACC-4: a flag, not a state — still received after its due day."""
        return self.status is RequestStatus.RECEIVED and today > self.due_on


def request_fingerprint(
    *,
    school_code: str,
    kind: str,
    given_name: str,
    family_name: str,
    email: str,
    received_at: datetime,
    existing_uid: str | None,
    replaces_uid: str | None,
    daip_notified_on: date | None,
) -> str:
    """What makes two posts of one ticket "the same content" (a retry, not a change)."""
    content = {
        "school_code": school_code,
        "kind": kind,
        "given_name": given_name,
        "family_name": family_name,
        "email": email.lower(),
        "received_at": received_at.timestamp(),
        "existing_uid": existing_uid,
        "replaces_uid": replaces_uid,
        "daip_notified_on": daip_notified_on.isoformat() if daip_notified_on else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def account_due_on(calendar: WorkingCalendar, received_on: date) -> date:
    return calendar.deadline(received_on, ACCOUNT_DEADLINE_DAYS)


def training_due_on(calendar: WorkingCalendar, notified_on: date) -> date:
    return calendar.deadline(notified_on, TRAINING_DEADLINE_DAYS)


def ensure_transition(current: RequestStatus, target: RequestStatus) -> bool:
    """True when the request must move; False when it is already there (a retry).

    Only `received` moves; anything else is a 409 `invalid-transition`."""
    if current is target:
        return False
    if current is not RequestStatus.RECEIVED:
        raise Conflict(
            f"a {current.value} request cannot become {target.value}", code="invalid-transition"
        )
    return True


# ---------------------------------------------------------------- trainings (R-REF-2)


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


# ---------------------------------------------------------------- June campaigns (R-ACC-5)


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(StrEnum):
    RENEW = "renew"
    REMOVE = "remove"


@dataclass(frozen=True)
class Campaign:
    academic_year: int  # N of N/N+1
    status: CampaignStatus
    referent_deadline: date
    trainer_deadline: date
    opened_at: datetime
    closed_at: datetime | None

    @property
    def label(self) -> str:
        return AcademicYear(self.academic_year).label

    def deadline_for(self, kind: RoleKind) -> date:
        return self.referent_deadline if kind is RoleKind.REFERENT else self.trainer_deadline


def campaign_window(
    year: int, *, opens: tuple[int, int] = (6, 1), last_open: tuple[int, int] = (6, 25)
) -> tuple[date, date]:
    """A campaign for N/N+1 is opened between 1 and 25 June N (R-ACC-5)."""
    return date(year, *opens), date(year, *last_open)


def campaign_deadlines(
    year: int, *, referents: tuple[int, int] = (6, 30), trainers: tuple[int, int] = (6, 25)
) -> tuple[date, date]:
    return date(year, *referents), date(year, *trainers)
