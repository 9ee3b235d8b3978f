"""Wire models of a person's data export and erasure (R-GDPR-2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.accounts import AccountOut, AccountRequestOut, Reason
from app.schemas.audit import AuditEventOut
from app.schemas.common import Input
from app.schemas.enrolments import EnrolmentOut
from app.schemas.trainings import TrainingOut


class PersonalAccountOut(AccountOut):
    """The account as `GET /accounts/{uid}` shows it, with what that view leaves out."""

    student_number: str | None
    created_at: datetime
    erased_at: datetime | None


class HostedRoleOut(BaseModel):
    """A stored referent or trainer role, as stored (not capped by the access end)."""

    id: str
    kind: str
    school_code: str
    valid_from: date
    valid_until: date


class RenewalDecisionOut(BaseModel):
    academic_year: str
    school_code: str
    kind: str
    decision: str
    decided_at: datetime


class LockOut(BaseModel):
    id: str
    reason: str
    locked_at: datetime
    unlocked_at: datetime | None


class SupportRequestHeldOut(BaseModel):
    id: str
    message_id: str
    received_at: datetime
    from_email: str
    subject: str
    school_code: str | None
    status: str
    responded_at: datetime | None
    closed_at: datetime | None
    erased_at: datetime | None


class MailSentOut(BaseModel):
    """A mail sent (or queued) to the person: metadata only, never the bodies."""

    message_id: str
    template: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class PersonalDataOut(BaseModel):
    generated_at: datetime
    account: PersonalAccountOut
    hosted_roles: list[HostedRoleOut]
    enrolments: list[EnrolmentOut]
    trainings: list[TrainingOut]
    renewal_decisions: list[RenewalDecisionOut]
    locks: list[LockOut]
    account_requests: list[AccountRequestOut] = Field(
        description="Requests naming the uid or sent with one of the person's addresses"
    )
    support_requests: list[SupportRequestHeldOut] = Field(
        description="Support requests sent from one of the person's addresses"
    )
    audit_events: list[AuditEventOut] = Field(
        description="Events about the account and the records above, oldest first"
    )
    mails: list[MailSentOut] = Field(description="Mails to or in copy of the person")


class ErasureIn(Input):
    reason: Reason


class ErasureOut(BaseModel):
    uid: str
    status: Literal["erased"]
    erased_at: datetime
