"""The storage repository's tables, PostgreSQL statements and row mappers
(app/adapters/db/storage_repo.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    bindparam,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app.adapters.db.raw import select_list
from app.adapters.db.tables import (
    StorageAlertRow,
    StorageDailyRow,
    StorageLevelRow,
    StorageSnapshotRow,
)
from app.domain.calendar import paris_day_bounds
from app.domain.storage import AlertEvent, AlertKind, Level, LevelState, Snapshot
from app.domain.storage_history import Fold, Point, fold
from app.ports.storage import DailyFigure, StorageAlert, StoredLevel

SNAPSHOTS = StorageSnapshotRow.__table__  # type: ignore[attr-defined]


DAILY = StorageDailyRow.__table__  # type: ignore[attr-defined]


LEVELS = StorageLevelRow.__table__  # type: ignore[attr-defined]


ALERTS = StorageAlertRow.__table__  # type: ignore[attr-defined]


# A batch in one statement: one array parameter per column joined with unnest; a
# duplicate snapshot_id is left to the unique index (ON CONFLICT), the ids returned are
# the ones stored now.
PG_INSERT_SNAPSHOTS = (
    "INSERT INTO storage_snapshots (snapshot_id, school_code, measured_at, bytes_used, "
    "files_count, bytes_backup, received_at) "
    "SELECT s.snapshot_id, s.school_code, s.measured_at, s.bytes_used, s.files_count, "
    "s.bytes_backup, $7::timestamptz "
    "FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::bigint[], "
    "$6::bigint[]) AS s(snapshot_id, school_code, measured_at, bytes_used, files_count, "
    "bytes_backup) "
    "ORDER BY s.snapshot_id ON CONFLICT (snapshot_id) DO NOTHING RETURNING snapshot_id"
)


# Missing level rows created (ok), existing ones "updated" to themselves: locked in key
# order until the end of the transaction.
PG_LOCK_LEVELS = (
    "INSERT INTO storage_levels (scope_key, level, bytes_used, threshold_bytes) "
    "SELECT k, $2, 0, 0 FROM unnest($1::text[]) AS k ORDER BY k "
    "ON CONFLICT (scope_key) DO UPDATE SET level = storage_levels.level "
    f"RETURNING {select_list(LEVELS)}"
)


PG_SELECT_SNAPSHOTS = text(
    """
    SELECT s.snapshot_id, s.school_code, s.measured_at, s.bytes_used, s.files_count,
           s.bytes_backup
    FROM unnest(CAST(:ids AS text[])) AS wanted(snapshot_id)
    JOIN storage_snapshots AS s ON s.snapshot_id = wanted.snapshot_id
    """
).bindparams(bindparam("ids", type_=ARRAY(String))).columns(
    SNAPSHOTS.c.snapshot_id, SNAPSHOTS.c.school_code, SNAPSHOTS.c.measured_at,
    SNAPSHOTS.c.bytes_used, SNAPSHOTS.c.files_count, SNAPSHOTS.c.bytes_backup,
)


# SQL twin of the domain's `fold` on Paris days (tests/integration/test_storage_repo.py
# compares it with `aggregate` on the same samples).
PG_DAILY = text(
    """
    SELECT (measured_at AT TIME ZONE 'Europe/Paris')::date AS day,
           max(bytes_used) AS bytes_max,
           (array_agg(bytes_used ORDER BY measured_at DESC, id DESC))[1] AS bytes_last,
           max(measured_at) AS last_at, count(*) AS samples
    FROM storage_snapshots
    WHERE school_code = :school AND measured_at >= :start AND measured_at < :end
    GROUP BY 1
    ORDER BY 1
    """
).bindparams(
    bindparam("start", type_=DateTime(timezone=True)),
    bindparam("end", type_=DateTime(timezone=True)),
)


def snapshot_from_row(row: Any) -> Snapshot:
    return Snapshot(
        snapshot_id=row.snapshot_id,
        school_code=row.school_code,
        measured_at=row.measured_at,
        bytes_used=row.bytes_used,
        files_count=row.files_count,
        bytes_backup=row.bytes_backup,
    )


def level_from_row(row: Any) -> StoredLevel:
    return StoredLevel(
        scope_key=row.scope_key,
        state=LevelState(
            level=Level(row.level),
            raised_at=row.raised_at,
            last_reminder_at=row.last_reminder_at,
            measured_at=row.measured_at,
        ),
        bytes_used=row.bytes_used,
        threshold_bytes=row.threshold_bytes,
    )


def alert_from_row(row: Any) -> StorageAlert:
    return StorageAlert(
        id=row.id,
        scope=row.scope,
        school_code=row.school_code,
        recipients_count=row.recipients_count,
        event=AlertEvent(
            kind=AlertKind(row.kind),
            level_from=Level(row.level_from),
            level_to=Level(row.level_to),
            bytes_used=row.bytes_used,
            threshold_bytes=row.threshold_bytes,
            occurred_at=row.occurred_at,
        ),
    )


def day_point(day: date, bytes_max: int, bytes_last: int) -> Point:
    start, end = paris_day_bounds(day)
    return Point(start, end, bytes_max, bytes_last)


def merged_daily_figure(old: DailyFigure | None, new: DailyFigure) -> DailyFigure:
    """Two daily figures of the same school and day as one, by the domain's `fold`."""
    if old is None:
        return new
    merged = fold(
        Fold(old.bytes_max, old.bytes_last, old.last_measured_at, old.samples),
        Fold(new.bytes_max, new.bytes_last, new.last_measured_at, new.samples),
    )
    return DailyFigure(new.school_code, new.day, merged.bytes_max, merged.bytes_last,
                       merged.last_at, merged.samples)
