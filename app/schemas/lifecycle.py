"""Wire models of amendments, termination notices and suspensions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import (
    Input,
    Instant,
    IsoDate,
    PositiveInt,
    Reference,
    SchoolCode,
    Uid,
)

LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
# R-CONV-3a: any other text is answered 422 `invalid-notice` by the domain.
PartyCode = Annotated[
    str, StringConstraints(min_length=1, max_length=32),
    Field(description="a party of the convention: region, ut or gcs"),
]
Cents = Annotated[int, Field(ge=0, le=2**53 - 1, strict=True)]


class TermChangesIn(Input):
    ends_on: IsoDate | None = None
    storage_capacity_bytes: PositiveInt | None = None
    school_alert_threshold_bytes: PositiveInt | None = None
    rate_per_student_cents: Cents | None = None


class AmendmentIn(Input):
    reference: Reference
    signed_on: IsoDate
    effective_on: IsoDate
    changes: TermChangesIn = TermChangesIn()
    schools_added: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None
    removes_school_codes: list[SchoolCode] = Field(
        default_factory=list, max_length=100,
        description="R-CONV-2a: codes of the beneficiary schools this amendment removes; "
        "each is a beneficiary until the day before `effective_on`. An unknown code → 422 "
        "`unknown-school`.")


class TermChangesOut(BaseModel):
    ends_on: date | None
    storage_capacity_bytes: int | None
    school_alert_threshold_bytes: int | None
    rate_per_student_cents: int | None


class AmendmentOut(BaseModel):
    reference: str
    signed_on: date
    effective_on: date
    changes: TermChangesOut
    schools_added: str | None
    removes_school_codes: list[str]
    recorded_at: datetime


class AmendmentList(BaseModel):
    items: list[AmendmentOut]
    next_cursor: str | None = None


class NoticeIn(Input):
    notifying_party: PartyCode
    defaulting_party: PartyCode
    grounds: LongText
    letter_ref: Reference
    received_on: IsoDate


class CureIn(Input):
    cured_on: IsoDate


class NoticeOut(BaseModel):
    id: str
    notifying_party: str
    defaulting_party: str
    grounds: str
    letter_ref: str
    received_on: date
    effective_on: date
    access_end_on: date
    cured_on: date | None
    status: Literal["pending", "effective", "cured"]


class NoticeList(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None = None


Ground = Literal[
    "breach_of_obligations", "fraudulent_use", "obstruction", "security_threat", "mass_mailing"
]
Kind = Literal["student", "referent", "trainer"]


class SuspensionIn(Input):
    ground: Ground
    scope: Literal["platform", "messaging"]
    starts_at: Instant | None = None
    notified_at: Instant | None = None
    notice_ref: Reference | None = None
    details: LongText
    kinds: Annotated[list[Kind], Field(min_length=1, max_length=3)] | None = None
    account_uids: Annotated[list[Uid], Field(min_length=1, max_length=500)] | None = None


class RestorationIn(Input):
    requested_at: Instant | None = None
    corrective_actions: LongText


class LiftingIn(Input):
    notified_at: Instant
    notice_ref: Reference


class SuspensionOut(BaseModel):
    id: str
    school_code: SchoolCode
    ground: str
    scope: str
    kinds: list[str] | None
    account_uids: list[str] | None
    starts_at: datetime
    notified_at: datetime | None
    notice_ref: str | None
    details: str
    status: Literal["active", "restoration_requested", "lifted"]
    restoration_requested_at: datetime | None
    corrective_actions: str | None
    lifted_at: datetime | None
    lifting_ref: str | None
    restoration_refused_at: datetime | None = None
    restoration_refusal_ref: str | None = None


class SuspensionList(BaseModel):
    items: list[SuspensionOut]
    next_cursor: str | None
