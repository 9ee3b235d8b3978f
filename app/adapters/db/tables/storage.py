"""Tables of storage: snapshots, daily figures, levels and alerts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index
from sqlmodel import Field, SQLModel

import app.adapters.db.tables.naming  # noqa: F401  (the constraint names, before any table)
from app.adapters.db.types import BigIntPK, UTCDateTime


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
