"""Tables of students: enrolment windows and enrolments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class EnrolmentCampaignRow(SQLModel, table=True):
    """Enrolment windows of an academic year when changed from the defaults (R-ACC-6)."""

    __tablename__ = "enrolment_campaigns"
    __table_args__ = (
        CheckConstraint("main_closes_on >= main_opens_on", name="main_ordered"),
        CheckConstraint("s2_closes_on >= s2_opens_on", name="s2_ordered"),
    )

    academic_year: int = Field(primary_key=True)
    main_opens_on: date
    main_closes_on: date
    s2_opens_on: date
    s2_closes_on: date
    version: int = Field(default=1)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class EnrolmentRow(SQLModel, table=True):
    """One administrative enrolment of a student for an academic year (R-ACC-6, R-ACC-7)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("student_number", "academic_year"),
        Index("ix_enrolments_year_school", "academic_year", "school_code", "status"),
        Index("ix_enrolments_uid", "uid", "academic_year"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status_known"),
    )

    id: str = Field(primary_key=True, max_length=36)
    uid: str = Field(foreign_key="accounts.uid", max_length=8)
    student_number: str = Field(max_length=64)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    academic_year: int
    enrolled_on: date
    final_year: bool
    transfer: bool
    status: str = Field(max_length=16)
    cancelled_on: date | None = None
    content_sha256: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
