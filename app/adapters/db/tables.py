"""SQLModel tables (`<X>Row`). Alembic owns the schema; `alembic check` keeps the two equal.

Constraint names come from the MetaData naming convention, so migrations stay stable."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.adapters.db.types import BigIntPK, UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# ---------------------------------------------------------------- reference data


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


# ---------------------------------------------------------------- shared services


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_resource", "resource_type", "resource_id", "id"),
        Index("ix_audit_events_actor", "actor", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=300)
    client_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=100)
    resource_type: str = Field(max_length=64)
    resource_id: str = Field(max_length=128)
    request_id: str | None = Field(default=None, max_length=64)
    changes: dict[str, Any] = Field(sa_type=JSON)


class IdempotencyKeyRow(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("client_key", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    client_key: str = Field(max_length=300)
    idempotency_key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    body_sha256: str = Field(max_length=64)
    state: str = Field(max_length=16)  # in_progress | completed
    status_code: int | None = None
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    response_body: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OutboxMessageRow(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    dedupe_key: str = Field(max_length=300, unique=True)
    message_id: str = Field(max_length=300, unique=True)
    template: str = Field(max_length=100)
    recipients: list[str] = Field(sa_type=JSON)
    cc: list[str] = Field(default_factory=list, sa_type=JSON)
    subject: str = Field(max_length=500)
    body_text: str
    body_html: str
    status: str = Field(max_length=16)  # pending | retrying | sent | dead
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=1000)


class OutboxAttemptRow(SQLModel, table=True):
    __tablename__ = "outbox_attempts"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    message_id: int = Field(
        foreign_key="outbox_messages.id", index=True, sa_type=BigIntPK, ondelete="CASCADE"
    )
    attempted_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # sent | retry | dead
    detail: str | None = Field(default=None, max_length=1000)


class JobRunRow(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    job: str = Field(max_length=100)
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # running | succeeded | failed | skipped
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    error: str | None = Field(default=None, max_length=1000)


class ClosureRow(SQLModel, table=True):
    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="range_ordered"),)

    id: str = Field(primary_key=True, max_length=36)
    starts_on: date = Field(index=True)
    ends_on: date
    label: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
