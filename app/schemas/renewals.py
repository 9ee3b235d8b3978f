"""Wire models of the June renewal campaigns (R-ACC-5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import AcademicYearText, Input

HostedKindText = Literal["referent", "trainer"]
DecisionText = Literal["renew", "remove"]
UidText = Annotated[str, StringConstraints(min_length=1, max_length=8)]


class CampaignCreate(Input):
    academic_year: AcademicYearText


class CampaignOut(BaseModel):
    academic_year: str
    status: Literal["open", "closed"]
    opened_at: datetime
    closed_at: datetime | None
    referent_deadline: date
    trainer_deadline: date
    renew_decisions: int
    remove_decisions: int
    schools_without_referent: list[str] | None = Field(
        None,
        description="In the answer of a closing (R-REF-1b): the schools with no referent "
        "role valid on some day of the academic year after closing (pending requests not "
        "counted); null elsewhere",
    )


class DecisionEntry(BaseModel):
    uid: UidText
    kind: HostedKindText
    decision: DecisionText


class DecisionEntryIn(DecisionEntry, Input):
    pass


class DecisionsIn(Input):
    """The school's whole answer: entries of a kind whose deadline has passed must
    repeat the stored ones."""

    decisions: Annotated[list[DecisionEntryIn], Field(max_length=1000)]


class ListedPersonOut(BaseModel):
    uid: str
    given_name: str
    family_name: str
    kind: HostedKindText
    valid_until: date
    decision: DecisionText | None


class SchoolCampaignOut(BaseModel):
    academic_year: str
    school_code: str
    status: Literal["open", "closed"]
    referent_deadline: date
    trainer_deadline: date
    open_kinds: list[HostedKindText]
    people: list[ListedPersonOut]
    decisions: list[DecisionEntry]
