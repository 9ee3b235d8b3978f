"""Wire models of account requests, accounts, locks and the access check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import Input, Instant, IsoDate, SchoolCode

Uid = Annotated[str, StringConstraints(min_length=1, max_length=8)]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TicketRef = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
HostedKind = Literal["referent", "trainer"]
Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


class AccountRequestFields(BaseModel):
    """Fields of a creation request shared by input and output."""

    ticket_ref: TicketRef
    school_code: SchoolCode
    kind: HostedKind
    given_name: PersonName
    family_name: PersonName
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]


class AccountRequestCreate(AccountRequestFields, Input):
    email: Email  # type: ignore[assignment]
    received_at: Instant | None = None
    existing_uid: Uid | None = None
    replaces_uid: Uid | None = None
    daip_notified_on: IsoDate | None = None


class AccountRequestOut(AccountRequestFields):
    id: str
    received_at: datetime
    existing_uid: str | None
    replaces_uid: str | None
    daip_notified_on: date | None
    status: str
    due_on: date
    overdue: bool
    academic_year: str
    uid: str | None
    fulfilled_at: datetime | None
    on_time: bool | None
    rejection_reason: str | None
    updated_at: datetime = Field(
        description="Last change by the service: creation, or fulfilment, rejection or "
                    "cancellation (what `updated_since` filters on)")


class AccountRequestList(BaseModel):
    items: list[AccountRequestOut]
    next_cursor: str | None


class FulfilmentIn(Input):
    uid: Uid | None = None
    fulfilled_at: Instant | None = None


class RejectionIn(Input):
    reason: Reason


class CancellationIn(Input):
    reason: Reason | None = None


class RoleOut(BaseModel):
    kind: str
    school_code: str
    valid_from: date
    valid_until: date
    grace_until: date | None = None


class AccountOut(BaseModel):
    uid: str
    given_name: str
    family_name: str
    email: str
    roles: list[RoleOut]
    status: str
    access_until: date | None
    messaging_allowed: bool = Field(
        description="R-ACC-8a: one flag per person; false when the status is not active or "
        "grace, or when a messaging suspension covers a role valid or in grace"
    )
    messaging_suspension_id: str | None = Field(
        default=None, description="R-ACC-8a: the messaging suspension that closes messaging "
        "(earliest starts_at, then id)"
    )
    locked: bool = Field(description="R-ACC-8a: a lock is open now, whatever the status")
    locked_since: datetime | None = Field(default=None, description="start of that lock")


class AccountList(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class LockIn(Input):
    reason: Reason
    locked_at: Instant | None = None


class UnlockIn(Input):
    unlocked_at: Instant | None = None


class AccessReason(BaseModel):
    code: str
    message: str


class AccessOut(BaseModel):
    """The access check: no names or e-mails."""

    uid: str
    at: datetime
    allowed: bool
    status: str
    reason: AccessReason
    access_until: date | None
    messaging_allowed: bool
    messaging_suspension_id: str | None = None
    locked: bool = False
    locked_since: datetime | None = None
