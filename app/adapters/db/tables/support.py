"""Table of support requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class SupportRequestRow(SQLModel, table=True):
    """A support e-mail to DAIP and its answer deadline (R-SUP-1, R-SUP-2)."""

    __tablename__ = "support_requests"
    __table_args__ = (
        Index("ix_support_requests_status_due", "status", "response_due_at"),
        Index("ix_support_requests_school_received", "school_code", "received_at"),
        Index("ix_support_requests_status_last_message", "status", "last_message_at"),
        CheckConstraint("status IN ('open', 'answered', 'closed')", name="status_known"),
        CheckConstraint("closure IS NULL OR closure IN ('manual', 'automatic')",
                        name="closure_known"),
    )

    id: str = Field(primary_key=True, max_length=36)
    message_id: str = Field(max_length=998, unique=True)
    content_sha256: str = Field(max_length=64)
    received_at: datetime = Field(sa_type=UTCDateTime)
    from_email: str = Field(max_length=320)
    subject: str = Field(max_length=998)
    school_code: str | None = Field(default=None, foreign_key="schools.code", max_length=64)
    response_due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(max_length=16)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    business_seconds_to_response: int | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # R-SUP-3: the latest message recorded on it, and how it was closed.
    last_message_at: datetime = Field(sa_type=UTCDateTime)
    closure: str | None = Field(default=None, max_length=16)
