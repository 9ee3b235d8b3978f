"""Tables of the shared services: audit trail, idempotency keys, outbox, job runs and the
working calendar's closures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import BigIntPK, UTCDateTime


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
