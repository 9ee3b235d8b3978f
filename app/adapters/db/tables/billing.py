"""Tables of billing: statements and payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class StatementRow(SQLModel, table=True):
    """A yearly billing statement version (R-BIL-1, R-BIL-2, R-BIL-3); issued content is frozen."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("academic_year", "version"),
        CheckConstraint("status IN ('draft', 'issued', 'superseded')", name="status_known"),
        CheckConstraint("total_amount_cents >= 0", name="total_non_negative"),
    )

    id: str = Field(primary_key=True, max_length=36)
    number: str = Field(max_length=32, unique=True)
    academic_year: int
    version: int
    status: str = Field(max_length=16)
    census_on: date
    rate_per_student_cents: int
    total_students: int
    total_amount_cents: int = Field(sa_type=BigInteger)
    content: dict[str, Any] = Field(sa_type=JSON)
    content_sha256: str | None = Field(default=None, max_length=64)
    generated_at: datetime = Field(sa_type=UTCDateTime)
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    supersedes_id: str | None = Field(default=None, max_length=36)
    superseded_by_id: str | None = Field(default=None, max_length=36)
    revision_reason: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        UniqueConstraint("statement_id", "reference"),
    )

    id: str = Field(primary_key=True, max_length=36)
    statement_id: str = Field(foreign_key="statements.id", index=True, max_length=36)
    received_on: date
    amount_cents: int = Field(sa_type=BigInteger)
    reference: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime)
