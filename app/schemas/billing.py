"""Wire models of billing (R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1).

The statement document is served exactly as stored (`app.domain.billing.served_document`):
`StatementOut` describes it for the OpenAPI contract and the tests; money is integer cents
plus a two-decimal string and the currency, never a float."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import Input, IsoDate, PositiveInt, text

YearText = text(16)
ReasonText = text(2000)
PaymentReference = text(128)
Amount = Field(pattern=r"^-?\d+\.\d{2}$", description="decimal string, two decimals (R-MONEY-1)")


class StatementCreate(Input):
    academic_year: YearText = Field(
        description='"2024-2025" (malformed → 422; outside the convention → 409)'
    )


class RevisionIn(Input):
    reason: ReasonText = Field(description="why the issued version is corrected (R-BIL-3)")


class PaymentIn(Input):
    received_on: IsoDate = Field(
        description="Paris date the transfer was received (not after today)"
    )
    amount_cents: PositiveInt
    reference: PaymentReference = Field(
        description="the transfer's reference; the same reference again with the same "
        "figures is a resend (200), with others → 409 `payment-conflict`"
    )


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatementLineOut(_Document):
    school_code: str
    school_name: str
    students: int = Field(ge=0)
    amount_cents: int = Field(ge=0)
    amount: str = Amount


class PayeeOut(_Document):
    name: str
    iban: str
    bic: str


class PartyOut(_Document):
    code: str | None
    name: str | None
    siret: str | None
    address: str | None


class PaymentOut(_Document):
    received_on: date
    amount_cents: int = Field(gt=0)
    amount: str = Amount
    currency: Literal["EUR"]
    reference: str
    statement_number: str = Field(description="the version the payment was recorded against")


class StatementOut(_Document):
    """A statement version. Frozen at issuing (R-BIL-3) but for `status`, `superseded_by`,
    `payments` and `payment_status`; `content_sha256` = SHA-256 (hex) of the RFC 8785
    canonical JSON of this document without those four members and without itself."""

    id: str
    number: str = Field(description='"2024-2025-v1"')
    academic_year: str = Field(description='"2024-2025"')
    version: int = Field(ge=1)
    status: Literal["draft", "issued", "superseded"]
    census_on: date = Field(description="close of the main enrolment campaign (R-BIL-1)")
    rate_per_student_cents: int = Field(ge=0)
    rate_per_student: str = Amount
    currency: Literal["EUR"]
    lines: list[StatementLineOut] = Field(
        description="one per beneficiary school on the census date, also with 0 students, "
        "ordered by school code; their sum is the total"
    )
    total_students: int = Field(ge=0)
    total_amount_cents: int = Field(ge=0)
    total_amount: str = Amount
    due_on: date = Field(description="15 July N+1 (R-BIL-2)")
    payee: PayeeOut
    parties: list[PartyOut]
    convention_reference: str
    generated_at: datetime
    issued_at: datetime | None
    late: bool | None = Field(description="issued after `due_on` (Paris date); null for a draft")
    supersedes: str | None = Field(description="id of the version this one revises")
    superseded_by: str | None = Field(description="id of the version that revised this one")
    revision_reason: str | None
    content_sha256: str | None = Field(description="null for a draft")
    payments: list[PaymentOut] = Field(
        description="received against this version and the versions it supersedes"
    )
    payment_status: Literal["unpaid", "partially_paid", "paid", "overpaid"]


class StatementList(BaseModel):
    items: list[StatementOut]
    next_cursor: str | None
