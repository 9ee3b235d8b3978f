"""Tables of the obligations register: only what people record (evidence, waivers);
observed obligations are computed from the other tables when asked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class ObligationEvidenceRow(SQLModel, table=True):
    """The evidence that met an evidence-kind obligation: one per obligation (its id is
    derived from the rule and subject, RULES.md Obligations register)."""

    __tablename__ = "obligation_evidence"
    __table_args__ = (
        CheckConstraint(
            "(occurred_on IS NULL) <> (occurred_at IS NULL)", name="one_occurrence"
        ),
    )

    obligation_id: str = Field(primary_key=True, max_length=200)
    occurred_on: date | None = None
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    document_ref: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=300)


class ObligationWaiverRow(SQLModel, table=True):
    """UT's waiver of an obligation, with its reason: one per obligation."""

    __tablename__ = "obligation_waivers"

    obligation_id: str = Field(primary_key=True, max_length=200)
    reason: str = Field(max_length=2000)
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    recorded_by: str = Field(max_length=300)
