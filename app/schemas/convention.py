"""Wire models of the convention and its reference data."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from app.schemas.accounts import Email
from app.schemas.common import Input, IsoDate

PartyCode = Literal["region", "ut", "gcs"]


class Party(BaseModel):
    code: str
    name: str
    siret: str | None
    address: str | None = None
    signed_on: date | None = Field(
        default=None, description="R-CONV-6: the date this party signed (null until recorded).")
    obligations_contact: str | None = Field(
        default=None, description="The e-mail the weekly obligations digest writes to for this "
        "party (managed by UT; null: the digest skips the party).")


class Deliberation(BaseModel):
    reference: str
    held_on: date
    members: int
    present_or_represented: int
    votes_for: int
    votes_against: int
    abstentions: int


class SignatureIn(Input):
    party: PartyCode
    signed_on: IsoDate


class ObligationsContactIn(Input):
    party: PartyCode
    email: Email | None = Field(description="null removes the contact")


class PartyRecordOut(BaseModel):
    party: str
    signed_on: date | None
    obligations_contact: str | None


class TermsOut(BaseModel):
    ends_on: date
    storage_capacity_bytes: int
    school_alert_threshold_bytes: int
    rate_per_student_cents: int
    rate_per_student: str
    currency: str


class Payee(BaseModel):
    name: str
    iban: str
    bic: str


class DpoContact(BaseModel):
    party: str
    phone: str
    email: str


class Plugin(BaseModel):
    name: str
    type: str


class Platform(BaseModel):
    moodle_version: str
    plugins: list[Plugin]


class ConventionOut(BaseModel):
    reference: str
    title: str
    at: date
    parties: list[Party]
    effective_from: date
    ends_on: date
    state: str
    access_end_on: date
    prospective_access_end_on: date
    accepts_new_accounts: bool
    terms: TermsOut
    payee: Payee
    dpo_contacts: list[DpoContact]
    platform: Platform
    deliberation: Deliberation = Field(
        description="R-CONV-6: the deliberation that approved the convention.")
