"""Tables of the records the obligations register reads: personal-data breaches and the
informing of the other parties' DPOs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import BigIntPK, UTCDateTime


class BreachRow(SQLModel, table=True):
    """A personal-data breach record (art. 12): who discovered it and when."""

    __tablename__ = "breaches"
    __table_args__ = (
        CheckConstraint("discovered_by IN ('region', 'ut', 'gcs')", name="party_known"),
    )

    id: str = Field(primary_key=True, max_length=36)
    reference: str = Field(max_length=128, unique=True)
    discovered_by: str = Field(max_length=16)
    discovered_at: datetime = Field(sa_type=UTCDateTime)
    description: str = Field(max_length=4000)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class BreachNotificationRow(SQLModel, table=True):
    """The instant a party's DPO was informed of a breach: one per breach and party."""

    __tablename__ = "breach_notifications"
    __table_args__ = (
        UniqueConstraint("breach_id", "party"),
        CheckConstraint("party IN ('region', 'ut', 'gcs')", name="party_known"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    breach_id: str = Field(foreign_key="breaches.id", max_length=36)
    party: str = Field(max_length=16)
    informed_at: datetime = Field(sa_type=UTCDateTime)
    reference: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=2000)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class PartyRecordRow(SQLModel, table=True):
    """The convention record's entry of one party (R-CONV-6): signature date and
    obligations contact. One row per party, made by the migration."""

    __tablename__ = "party_records"
    __table_args__ = (
        CheckConstraint("party IN ('region', 'ut', 'gcs')", name="party_known"),
    )

    party: str = Field(primary_key=True, max_length=16)
    signed_on: date | None = None
    obligations_contact: str | None = Field(default=None, max_length=320)
    updated_at: datetime = Field(sa_type=UTCDateTime)
