"""Tables of the reference data: the convention, the schools, the machine clients."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class ConventionRow(SQLModel, table=True):
    __tablename__ = "convention"
    __table_args__ = (
        CheckConstraint("storage_capacity_bytes > 0", name="capacity_positive"),
        CheckConstraint("school_alert_threshold_bytes > 0", name="threshold_positive"),
        CheckConstraint("rate_per_student_cents >= 0", name="rate_non_negative"),
    )

    id: int = Field(primary_key=True)
    reference: str = Field(max_length=128, unique=True)
    title: str = Field(max_length=512)
    effective_from: date
    ends_on: date
    storage_capacity_bytes: int = Field(sa_type=BigInteger)
    school_alert_threshold_bytes: int = Field(sa_type=BigInteger)
    rate_per_student_cents: int
    currency: str = Field(max_length=3)
    parties: list[dict[str, Any]] = Field(sa_type=JSON)
    payee: dict[str, Any] = Field(sa_type=JSON)
    dpo_contacts: list[dict[str, Any]] = Field(sa_type=JSON)
    platform: dict[str, Any] = Field(sa_type=JSON)


class SchoolRow(SQLModel, table=True):
    __tablename__ = "schools"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    group_name: str | None = Field(default=None, max_length=100)
    sites: list[str] = Field(sa_type=JSON)
    amendment_reference: str = Field(max_length=128)
    version: int = Field(default=1)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class ApiClientRow(SQLModel, table=True):
    __tablename__ = "api_clients"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=255)
    scopes: str = Field(max_length=2000)
    schools: list[str] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
