"""Wire models of the obligations register (RULES.md, Obligations register)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.schemas.common import Input, Instant, IsoDate, ShortText, text

ObligationStateName = Literal[
    "upcoming", "due_soon", "overdue", "open", "met", "met_late", "waived", "void"
]
PartyText = Annotated[
    str,
    StringConstraints(
        min_length=2, max_length=71,
        pattern=r"^(?:ut|region|gcs|school:[a-z0-9]+(?:-[a-z0-9]+)*)$",
    ),
]
RuleText = Annotated[str, StringConstraints(pattern=r"^R-OBL-(?:[1-9]|1[0-8])$")]
ObligationId = Annotated[
    str, StringConstraints(min_length=8, max_length=200, pattern=r"^R-OBL-[0-9]+:[!-~]+$")
]
DueValue = datetime | date


class Subject(BaseModel):
    kind: str = Field(description="What the obligation is about: account-request, "
                      "training, support-request, suspension, renewal-campaign, school, "
                      "storage-alert, statement, academic-year")
    id: str
    link: str | None = Field(description="The API resource it is about, when it has one")


class EvidenceOut(BaseModel):
    """What met the obligation: the observed record (`link`) or the recorded evidence."""

    link: str | None = None
    occurred: DueValue | None = Field(
        default=None, description="Date or instant it was met (Paris dates)")
    document_ref: str | None = None
    note: str | None = None
    recorded_at: datetime | None = None


class WaiverOut(BaseModel):
    reason: str
    recorded_at: datetime


class ObligationOut(BaseModel):
    id: str = Field(description="Stable: the rule and what it is about")
    rule: str
    article: str = Field(description="Article of the convention")
    party: str = Field(description="`ut`, `region`, `gcs` or `school:<code>`")
    school_code: str | None
    subject: Subject
    title: str = Field(description="One line, in French")
    due: DueValue | None = Field(
        description="A date (due at the end of that Paris day) or an instant "
        "(opening-hours and elapsed-time deadlines); null: no due (shown with its age)")
    opened: DueValue | None = None
    state: ObligationStateName
    met_at: DueValue | None
    evidence: EvidenceOut | None
    waiver: WaiverOut | None


class ObligationList(BaseModel):
    items: list[ObligationOut]
    next_cursor: str | None


class ObligationSummary(BaseModel):
    at: datetime
    total: int
    parties: dict[str, dict[str, int]] = Field(
        description="Counts per party, then per state")
    rules: dict[str, dict[str, int]] = Field(description="Counts per rule, then per state")


class EvidenceIn(Input):
    """Exactly one of `occurred_on` (a date) and `occurred_at` (an instant)."""

    occurred_on: IsoDate | None = None
    occurred_at: Instant | None = None
    document_ref: ShortText
    note: text(2000) | None = None

    @model_validator(mode="after")
    def _one_occurrence(self) -> EvidenceIn:
        if (self.occurred_on is None) == (self.occurred_at is None):
            raise ValueError("give exactly one of occurred_on and occurred_at")
        return self

    @property
    def occurred(self) -> date | datetime:
        return self.occurred_at if self.occurred_at is not None else self.occurred_on  # type: ignore[return-value]


class WaiverIn(Input):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
