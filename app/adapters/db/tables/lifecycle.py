"""Tables of the convention's lifecycle: amendments, termination notices, suspensions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class AmendmentRow(SQLModel, table=True):
    """An avenant (R-CONV-2); `id` is the recording order."""

    __tablename__ = "amendments"
    __table_args__ = (
        CheckConstraint(
            "storage_capacity_bytes IS NULL OR storage_capacity_bytes > 0", name="capacity_ok"
        ),
        CheckConstraint(
            "school_alert_threshold_bytes IS NULL OR school_alert_threshold_bytes > 0",
            name="threshold_ok",
        ),
        CheckConstraint(
            "rate_per_student_cents IS NULL OR rate_per_student_cents >= 0", name="rate_ok"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=128, unique=True)
    signed_on: date
    effective_on: date
    ends_on: date | None = None
    storage_capacity_bytes: int | None = Field(default=None, sa_type=BigInteger)
    school_alert_threshold_bytes: int | None = Field(default=None, sa_type=BigInteger)
    rate_per_student_cents: int | None = None
    schools_added: str | None = Field(default=None, max_length=2000)
    removes_school_codes: list[str] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)


class TerminationNoticeRow(SQLModel, table=True):
    """A résiliation notice (R-CONV-3)."""

    __tablename__ = "termination_notices"

    id: str = Field(primary_key=True, max_length=36)
    notifying_party: str = Field(max_length=16)
    defaulting_party: str = Field(max_length=16)
    grounds: str = Field(max_length=4000)
    letter_ref: str = Field(max_length=128, unique=True)
    received_on: date
    cured_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class SuspensionRow(SQLModel, table=True):
    """A suspension under art. 6.1 (messaging) or 6.2 (R-SUS-1, R-SUS-2)."""

    __tablename__ = "suspensions"
    __table_args__ = (
        Index("ix_suspensions_school", "school_code", "starts_at"),
        CheckConstraint(
            "status IN ('active', 'restoration_requested', 'lifted')", name="status_known"
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    ground: str = Field(max_length=32)
    scope: str = Field(max_length=16)
    kinds: list[str] | None = Field(default=None, sa_type=JSON)
    account_uids: list[str] | None = Field(default=None, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    notice_ref: str | None = Field(default=None, max_length=128)
    details: str = Field(max_length=4000)
    status: str = Field(max_length=24)
    restoration_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    corrective_actions: str | None = Field(default=None, max_length=4000)
    lifted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lifting_ref: str | None = Field(default=None, max_length=128)
    # R-SUS-2b: the last written refusal of a restoration request.
    restoration_refused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    restoration_refusal_ref: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime)
