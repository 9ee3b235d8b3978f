"""Tables of hosted accounts: accounts, roles, requests, locks, trainings, June campaigns."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import UTCDateTime


class AccountRow(SQLModel, table=True):
    """A person's UT account (R-ACC-1, R-ACC-2). The uid is never reused, even after erasure."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("length(uid) = 8", name="uid_length"),
        Index("ix_accounts_email", "email"),
    )

    uid: str = Field(primary_key=True, max_length=8)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    student_number: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)


class RoleRow(SQLModel, table=True):
    """A hosted role (referent or trainer) with its stored validity (R-ACC-3).

    The convention's access end is applied when evaluated, never stored (R-CONV-5)."""

    __tablename__ = "roles"
    __table_args__ = (
        CheckConstraint("valid_until >= valid_from", name="validity_ordered"),
        CheckConstraint("kind IN ('referent', 'trainer')", name="kind_hosted"),
        Index("ix_roles_school_kind", "school_code", "kind", "valid_until"),
        # A fulfilled request made one role (and at most one account): the last guard
        # behind the request's row lock.
        Index("uq_roles_request_id", "request_id", unique=True,
              postgresql_where=text("request_id IS NOT NULL"),
              sqlite_where=text("request_id IS NOT NULL")),
    )

    id: str = Field(primary_key=True, max_length=36)
    uid: str = Field(foreign_key="accounts.uid", index=True, max_length=8)
    kind: str = Field(max_length=16)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    valid_from: date
    valid_until: date
    request_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AccountRequestRow(SQLModel, table=True):
    """A creation request from UT's ticketing tool (R-ACC-4, R-REF-1)."""

    __tablename__ = "account_requests"
    __table_args__ = (
        Index("ix_account_requests_status_due", "status", "due_on", "id"),
        Index("ix_account_requests_school", "school_code", "id"),
        CheckConstraint(
            "status IN ('received', 'fulfilled', 'rejected', 'cancelled')", name="status_known"
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    ticket_ref: str = Field(max_length=64, unique=True)
    content_sha256: str = Field(max_length=64)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    kind: str = Field(max_length=16)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    received_at: datetime = Field(sa_type=UTCDateTime)
    existing_uid: str | None = Field(default=None, max_length=8)
    replaces_uid: str | None = Field(default=None, max_length=8)
    daip_notified_on: date | None = None
    academic_year: int
    due_on: date
    status: str = Field(max_length=16)
    uid: str | None = Field(default=None, max_length=8)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejection_reason: str | None = Field(default=None, max_length=2000)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class AccountLockRow(SQLModel, table=True):
    """A lock is an interval [locked_at, unlocked_at) (R-ACC-8)."""

    __tablename__ = "account_locks"
    __table_args__ = (
        Index("ix_account_locks_uid", "uid", "locked_at"),
        # At most one open lock per account: the last guard behind the account's row lock.
        Index("uq_account_locks_open", "uid", unique=True,
              postgresql_where=text("unlocked_at IS NULL"),
              sqlite_where=text("unlocked_at IS NULL")),
    )

    id: str = Field(primary_key=True, max_length=36)
    uid: str = Field(foreign_key="accounts.uid", max_length=8)
    reason: str = Field(max_length=2000)
    locked_at: datetime = Field(sa_type=UTCDateTime)
    unlocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TrainingRow(SQLModel, table=True):
    """The training a new referent must be offered (R-REF-2)."""

    __tablename__ = "trainings"
    __table_args__ = (
        Index("ix_trainings_status_due", "status", "due_on", "id"),
        CheckConstraint("status IN ('due', 'proposed', 'completed')", name="status_known"),
    )

    id: str = Field(primary_key=True, max_length=36)
    uid: str = Field(foreign_key="accounts.uid", max_length=8)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    role_id: str = Field(foreign_key="roles.id", max_length=36, unique=True)
    daip_notified_on: date
    due_on: date
    status: str = Field(max_length=16)
    proposed_on: date | None = None
    session_on: date | None = None
    completed_on: date | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)


class RenewalCampaignRow(SQLModel, table=True):
    """The June campaign for academic year N/N+1 (R-ACC-5)."""

    __tablename__ = "renewal_campaigns"

    academic_year: int = Field(primary_key=True)
    status: str = Field(max_length=16)
    referent_deadline: date
    trainer_deadline: date
    opened_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RenewalDecisionRow(SQLModel, table=True):
    __tablename__ = "renewal_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('renew', 'remove')", name="decision_known"),
    )

    academic_year: int = Field(
        primary_key=True, foreign_key="renewal_campaigns.academic_year"
    )
    school_code: str = Field(primary_key=True, foreign_key="schools.code", max_length=64)
    uid: str = Field(primary_key=True, foreign_key="accounts.uid", max_length=8)
    kind: str = Field(primary_key=True, max_length=16)
    decision: str = Field(max_length=8)
    decided_at: datetime = Field(sa_type=UTCDateTime)
