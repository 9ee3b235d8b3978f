"""Wire models of support requests, their deadline calculator and statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.accounts import Email
from app.schemas.common import Input, Instant, SchoolCode

MessageId = Annotated[
    str, StringConstraints(min_length=1, max_length=998, pattern=r"^[^\s\x00-\x1f\x7f]+$")
]
Subject = Annotated[str, StringConstraints(max_length=998, pattern=r"^[^\x00\r\n]*$")]
Status = Literal["open", "answered", "closed"]
SlaStateName = Literal["on_track", "at_risk", "breached", "met"]
Reading = Literal["two_opening_days", "literal_48_hours"]


class SupportDeadlineOut(BaseModel):
    response_due_at: datetime = Field(description="UTC instant (R-SUP-1)")
    reading: Reading = Field(description="How '48 hours' is read (setting)")
    budget_seconds: int = Field(description="Opening seconds allowed for the answer")


class SupportRequestCreate(Input):
    message_id: MessageId = Field(description="The e-mail's Message-ID (unique)")
    received_at: Instant = Field(description="When DAIP received it (offset required)")
    from_email: Email
    subject: Subject
    school_code: SchoolCode | None = Field(
        None, description="Default: the sender's account's school, when it has one"
    )


class FirstResponseIn(Input):
    responded_at: Instant


class ClosureIn(Input):
    closed_at: Instant


class SupportRequestOut(BaseModel):
    id: str
    message_id: str
    received_at: datetime
    from_email: str
    subject: str
    school_code: str | None
    status: Status
    response_due_at: datetime
    sla_state: SlaStateName | None = Field(
        description="Now: on_track, at_risk (open, under the at-risk share of the budget "
        "left), breached (open past the deadline, or answered late), met; null when "
        "closed unanswered"
    )
    sla_outcome: Literal["met", "breached"] | None = Field(
        description="Of the first response; null while unanswered"
    )
    responded_at: datetime | None
    closed_at: datetime | None
    closure: Literal["manual", "automatic"] | None = Field(
        description="How a closed request was closed: through the API, or automatically "
        "after 30 Paris days without a message once answered (R-SUP-3); null while not closed"
    )
    last_message_at: datetime = Field(
        description="The latest message recorded on it: reception, first response, "
        "follow-up mail (R-SUP-3)"
    )
    business_seconds_to_response: int | None


class SupportRequestList(BaseModel):
    items: list[SupportRequestOut]
    next_cursor: str | None


class SlaFiguresOut(BaseModel):
    received: int
    answered: int
    met: int
    breached: int
    open_breached: int
    compliance_ratio: float | None = Field(
        description="met / (met + breached + open_breached); null when that is 0"
    )
    median_business_minutes: float | None = Field(
        description="Nearest-rank median of opening minutes to the first response"
    )
    p90_business_minutes: float | None = Field(
        description="Nearest-rank 90th percentile of opening minutes to the first response"
    )


class SchoolFiguresOut(SlaFiguresOut):
    school_code: str | None


class MonthFiguresOut(SlaFiguresOut):
    month: str = Field(description="YYYY-MM, Europe/Paris month of received_at")


class SupportStatsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    period_from: datetime | None = Field(alias="from")
    period_to: datetime | None = Field(alias="to")
    school_code: str | None
    overall: SlaFiguresOut
    by_school: list[SchoolFiguresOut]
    by_month: list[MonthFiguresOut]
