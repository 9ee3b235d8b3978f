"""Wire models of the convention and its reference data."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Party(BaseModel):
    code: str
    name: str
    siret: str | None
    address: str | None = None


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
