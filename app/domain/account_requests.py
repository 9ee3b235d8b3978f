"""Account-creation requests filed by UT's ticketing tool: their content, their deadline
and the moves they may make (R-ACC-2, R-ACC-4)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.accounts import RoleKind
from app.domain.calendar import WorkingCalendar, paris_date
from app.domain.errors import Conflict

ACCOUNT_DEADLINE_DAYS = 15  # R-ACC-4


class RequestStatus(StrEnum):
    RECEIVED = "received"
    FULFILLED = "fulfilled"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


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
