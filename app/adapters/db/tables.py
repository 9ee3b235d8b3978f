"""SQLModel tables (`<X>Row`). Alembic owns the schema; `alembic check` keeps the two equal.

Constraint names come from the MetaData naming convention, so migrations stay stable."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, UniqueConstraint, text
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


# ---------------------------------------------------------------- hosted accounts


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


# ---------------------------------------------------------------- students


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


# ---------------------------------------------------------------- storage


class StorageSnapshotRow(SQLModel, table=True):
    """An absolute measurement posted by the Moodle plugin (R-STO-3)."""

    __tablename__ = "storage_snapshots"
    __table_args__ = (
        Index("ix_storage_snapshots_school_measured", "school_code", "measured_at"),
        CheckConstraint("bytes_used >= 0", name="bytes_non_negative"),
        CheckConstraint("files_count IS NULL OR files_count >= 0", name="files_non_negative"),
        CheckConstraint("bytes_backup IS NULL OR bytes_backup >= 0", name="backup_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    snapshot_id: str = Field(max_length=64, unique=True)
    school_code: str = Field(foreign_key="schools.code", max_length=64)
    measured_at: datetime = Field(sa_type=UTCDateTime)
    bytes_used: int = Field(sa_type=BigInteger)
    files_count: int | None = Field(default=None, sa_type=BigInteger)
    bytes_backup: int | None = Field(default=None, sa_type=BigInteger)
    received_at: datetime = Field(sa_type=UTCDateTime)


class StorageDailyRow(SQLModel, table=True):
    """Raw snapshots older than 400 days folded into one row per school and Paris day."""

    __tablename__ = "storage_daily"
    __table_args__ = (CheckConstraint("bytes_max >= 0 AND bytes_last >= 0", name="bytes_ok"),)

    school_code: str = Field(primary_key=True, foreign_key="schools.code", max_length=64)
    day: date = Field(primary_key=True)
    bytes_max: int = Field(sa_type=BigInteger)
    bytes_last: int = Field(sa_type=BigInteger)
    last_measured_at: datetime = Field(sa_type=UTCDateTime)
    samples: int


class StorageLevelRow(SQLModel, table=True):
    """Current alert level of a school (`school:<code>`) or of the pool (`pool`)."""

    __tablename__ = "storage_levels"

    scope_key: str = Field(primary_key=True, max_length=80)
    level: str = Field(max_length=16)
    raised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_reminder_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    measured_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bytes_used: int = Field(default=0, sa_type=BigInteger)
    threshold_bytes: int = Field(default=0, sa_type=BigInteger)


class StorageAlertRow(SQLModel, table=True):
    __tablename__ = "storage_alerts"
    __table_args__ = (Index("ix_storage_alerts_school", "school_code", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    scope: str = Field(max_length=16)
    school_code: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)
    level_from: str = Field(max_length=16)
    level_to: str = Field(max_length=16)
    bytes_used: int = Field(sa_type=BigInteger)
    threshold_bytes: int = Field(sa_type=BigInteger)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    recipients_count: int = 0


# ---------------------------------------------------------------- support


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


# ---------------------------------------------------------------- lifecycle


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


# ---------------------------------------------------------------- billing


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
