"""SQL repository of the storage capability. It never commits.

Snapshot ingestion is a hot path (DESIGN.md, Persistence): SQLAlchemy Core on the tables,
one statement per step. On PostgreSQL the batch goes in as one `INSERT … SELECT FROM
unnest(arrays) … ON CONFLICT DO NOTHING RETURNING` (one round trip, rows in snapshot-id
order so two racing batches never deadlock on the unique index); on SQLite an
executemany `INSERT … ON CONFLICT DO NOTHING RETURNING`. History is grouped by Paris
day in SQL on PostgreSQL (`AT TIME ZONE 'Europe/Paris'`), in Python on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.raw import as_row, select_list, transaction_connection
from app.adapters.db.tables import (
    StorageAlertRow,
    StorageDailyRow,
    StorageLevelRow,
    StorageSnapshotRow,
)
from app.domain.storage import (
    AlertEvent,
    AlertKind,
    Fold,
    Level,
    LevelState,
    Point,
    Snapshot,
    bucket_start,
    fold,
    paris_day_bounds,
    points_of,
)
from app.ports.storage import POOL_KEY, DailyFigure, StorageAlert, StoredLevel

SNAPSHOTS = StorageSnapshotRow.__table__  # type: ignore[attr-defined]
DAILY = StorageDailyRow.__table__  # type: ignore[attr-defined]
LEVELS = StorageLevelRow.__table__  # type: ignore[attr-defined]
ALERTS = StorageAlertRow.__table__  # type: ignore[attr-defined]

# A batch in one statement: one array parameter per column joined with unnest; a
# duplicate snapshot_id is left to the unique index (ON CONFLICT), the ids returned are
# the ones stored now.
_PG_RAW_INSERT_SNAPSHOTS = (
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
_PG_RAW_LOCK_LEVELS = (
    "INSERT INTO storage_levels (scope_key, level, bytes_used, threshold_bytes) "
    "SELECT k, $2, 0, 0 FROM unnest($1::text[]) AS k ORDER BY k "
    "ON CONFLICT (scope_key) DO UPDATE SET level = storage_levels.level "
    f"RETURNING {select_list(LEVELS)}"
)

_PG_SELECT_SNAPSHOTS = text(
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
_PG_DAILY = text(
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


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "postgresql"


def _snapshot(row: Any) -> Snapshot:
    return Snapshot(
        snapshot_id=row.snapshot_id,
        school_code=row.school_code,
        measured_at=row.measured_at,
        bytes_used=row.bytes_used,
        files_count=row.files_count,
        bytes_backup=row.bytes_backup,
    )


def _level(row: Any) -> StoredLevel:
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


def _alert(row: Any) -> StorageAlert:
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


def _day_point(day: date, bytes_max: int, bytes_last: int) -> Point:
    start, end = paris_day_bounds(day)
    return Point(start, end, bytes_max, bytes_last)


class SqlStorageRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    # ---------------------------------------------------------------- snapshots

    async def insert_snapshots(
        self, snapshots: Sequence[Snapshot], *, received_at: datetime
    ) -> set[str]:
        if not snapshots:
            return set()
        ordered = sorted(snapshots, key=lambda s: s.snapshot_id)
        if _dialect(self.session) == "postgresql":
            # On the transaction's raw asyncpg connection (raw.py): asyncpg encodes the
            # six 1,000-element arrays itself, SQLAlchemy's array processing did it in
            # Python element by element.
            statements = await transaction_connection(self.session)
            rows = await statements.fetch(
                _PG_RAW_INSERT_SNAPSHOTS,
                [s.snapshot_id for s in ordered],
                [s.school_code for s in ordered],
                [s.measured_at for s in ordered],
                [s.bytes_used for s in ordered],
                [s.files_count for s in ordered],
                [s.bytes_backup for s in ordered],
                received_at,
            )
            return {row[0] for row in rows}
        statement = (
            sqlite_insert(SNAPSHOTS)
            .on_conflict_do_nothing(index_elements=["snapshot_id"])
            .returning(SNAPSHOTS.c.snapshot_id)
        )
        result = await self.session.execute(
            statement,
            [
                {
                    "snapshot_id": s.snapshot_id,
                    "school_code": s.school_code,
                    "measured_at": s.measured_at,
                    "bytes_used": s.bytes_used,
                    "files_count": s.files_count,
                    "bytes_backup": s.bytes_backup,
                    "received_at": received_at,
                }
                for s in ordered
            ],
        )
        return set(result.scalars())

    async def snapshots(self, snapshot_ids: Sequence[str]) -> dict[str, Snapshot]:
        if not snapshot_ids:
            return {}
        if _dialect(self.session) == "postgresql":
            # One array parameter joined with unnest: the plan is the unique index's
            # whatever the number of ids (a 1,000-parameter IN list may get a generic
            # plan that scans the table).
            rows = await self.session.execute(
                _PG_SELECT_SNAPSHOTS, {"ids": list(snapshot_ids)}
            )
        else:
            rows = await self.session.execute(
                select(SNAPSHOTS).where(SNAPSHOTS.c.snapshot_id.in_(list(snapshot_ids)))
            )
        return {row.snapshot_id: _snapshot(row) for row in rows}

    # ---------------------------------------------------------------- levels

    async def lock_levels(self, scope_keys: Sequence[str]) -> dict[str, StoredLevel]:
        keys = sorted(set(scope_keys))
        if not keys:
            return {}
        # One statement: missing rows are created (ok), existing ones "updated" to
        # themselves, which locks them in key order until the end of the transaction
        # (SQLite holds the database write lock since BEGIN IMMEDIATE anyway).
        if _dialect(self.session) == "postgresql":  # one array, a compiled-once statement
            statements = await transaction_connection(self.session)
            found = await statements.fetch(_PG_RAW_LOCK_LEVELS, keys, Level.OK.value)
            return {row["scope_key"]: _level(as_row(LEVELS, row))
                    for row in sorted(found, key=lambda r: r["scope_key"])}
        builder = pg_insert if _dialect(self.session) == "postgresql" else sqlite_insert
        statement = builder(LEVELS).values(
            [{"scope_key": k, "level": Level.OK.value, "bytes_used": 0, "threshold_bytes": 0}
             for k in keys]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["scope_key"], set_={"level": LEVELS.c.level}
        ).returning(*LEVELS.c)
        rows = await self.session.execute(statement)
        return {row.scope_key: _level(row) for row in sorted(rows, key=lambda r: r.scope_key)}

    async def levels(self, scope_keys: Sequence[str] | None = None) -> dict[str, StoredLevel]:
        query = select(LEVELS)
        if scope_keys is not None:
            query = query.where(LEVELS.c.scope_key.in_(list(scope_keys)))
        return {row.scope_key: _level(row) for row in await self.session.execute(query)}

    async def critical_keys(self) -> list[str]:
        rows = await self.session.execute(
            select(LEVELS.c.scope_key)
            .where(LEVELS.c.level == Level.CRITICAL.value)
            .order_by(LEVELS.c.scope_key)
        )
        return list(rows.scalars())

    async def save_levels(self, levels: Sequence[StoredLevel]) -> None:
        if not levels:
            return
        statement = (
            update(LEVELS)
            .where(LEVELS.c.scope_key == bindparam("key"))
            .values(
                level=bindparam("level"),
                raised_at=bindparam("raised_at"),
                last_reminder_at=bindparam("last_reminder_at"),
                measured_at=bindparam("measured_at"),
                bytes_used=bindparam("bytes_used"),
                threshold_bytes=bindparam("threshold_bytes"),
            )
        )
        await self.session.execute(
            statement,
            [
                {
                    "key": lv.scope_key,
                    "level": Level(lv.state.level).value,
                    "raised_at": lv.state.raised_at,
                    "last_reminder_at": lv.state.last_reminder_at,
                    "measured_at": lv.state.measured_at,
                    "bytes_used": lv.bytes_used,
                    "threshold_bytes": lv.threshold_bytes,
                }
                for lv in levels
            ],
        )

    async def school_total(self) -> int:
        total = await self.session.scalar(
            select(func.coalesce(func.sum(LEVELS.c.bytes_used), 0)).where(
                LEVELS.c.scope_key != POOL_KEY
            )
        )
        return int(total or 0)

    # ---------------------------------------------------------------- alerts

    async def add_alerts(self, alerts: Sequence[StorageAlert]) -> None:
        if not alerts:
            return
        await self.session.execute(
            insert(ALERTS),
            [
                {
                    "scope": a.scope,
                    "school_code": a.school_code,
                    "kind": a.event.kind.value,
                    "level_from": a.event.level_from.value,
                    "level_to": a.event.level_to.value,
                    "bytes_used": a.event.bytes_used,
                    "threshold_bytes": a.event.threshold_bytes,
                    "occurred_at": a.event.occurred_at,
                    "recipients_count": a.recipients_count,
                }
                for a in alerts
            ],
        )

    async def list_alerts(
        self, *, school_codes: Sequence[str] | None, include_pool: bool,
        since: datetime | None, after_id: int | None, limit: int,
    ) -> list[StorageAlert]:
        query = select(ALERTS).order_by(ALERTS.c.id).limit(limit)
        scopes = []
        if school_codes is None:
            scopes.append(ALERTS.c.scope == "school")
        elif school_codes:
            scopes.append(
                and_(ALERTS.c.scope == "school", ALERTS.c.school_code.in_(list(school_codes)))
            )
        if include_pool:
            scopes.append(ALERTS.c.scope == "pool")
        if not scopes:
            return []
        query = query.where(or_(*scopes))
        if since is not None:
            query = query.where(ALERTS.c.occurred_at >= since)
        if after_id is not None:
            query = query.where(ALERTS.c.id > after_id)
        return [_alert(row) for row in await self.session.execute(query)]

    # ---------------------------------------------------------------- history

    async def daily_points(
        self, school_code: str, start: datetime, end: datetime
    ) -> list[Point]:
        """Paris-day points of [start, end): the folded daily rows, then the raw
        snapshots, all through the domain's `fold` (the raw ones by the SQL twin on
        PostgreSQL)."""
        first_day = bucket_start(start, "day")
        last_day = bucket_start(end - timedelta(microseconds=1), "day")
        acc: dict[date, Fold] = {}
        for r in await self.session.execute(
            select(DAILY)
            .where(
                DAILY.c.school_code == school_code,
                DAILY.c.day >= first_day,
                DAILY.c.day <= last_day,
            )
            .order_by(DAILY.c.day)
        ):
            acc[r.day] = fold(acc.get(r.day),
                              Fold(r.bytes_max, r.bytes_last, r.last_measured_at, r.samples))
        if _dialect(self.session) == "postgresql":
            for r in await self.session.execute(
                _PG_DAILY, {"school": school_code, "start": start, "end": end}
            ):
                acc[r.day] = fold(acc.get(r.day),
                                  Fold(r.bytes_max, r.bytes_last, r.last_at, r.samples))
        else:
            for r in await self.session.execute(
                select(SNAPSHOTS.c.measured_at, SNAPSHOTS.c.bytes_used)
                .where(
                    SNAPSHOTS.c.school_code == school_code,
                    SNAPSHOTS.c.measured_at >= start,
                    SNAPSHOTS.c.measured_at < end,
                )
                .order_by(SNAPSHOTS.c.id)
            ):
                day = bucket_start(r.measured_at, "day")
                acc[day] = fold(acc.get(day),
                                Fold(r.bytes_used, r.bytes_used, r.measured_at))
        return points_of(acc, "day")

    async def fold_before(self, cutoff: datetime, *, limit: int) -> int:
        rows = (
            await self.session.execute(
                select(
                    SNAPSHOTS.c.id, SNAPSHOTS.c.school_code, SNAPSHOTS.c.measured_at,
                    SNAPSHOTS.c.bytes_used,
                )
                .where(SNAPSHOTS.c.measured_at < cutoff)
                .order_by(SNAPSHOTS.c.id)
                .limit(limit)
            )
        ).all()
        if not rows:
            return 0
        figures: dict[tuple[str, date], DailyFigure] = {}
        for row in rows:
            key = (row.school_code, bucket_start(row.measured_at, "day"))
            figures[key] = _merge(
                figures.get(key),
                DailyFigure(row.school_code, key[1], row.bytes_used, row.bytes_used,
                            row.measured_at, 1),
            )
        existing = await self.session.execute(
            select(DAILY).where(
                DAILY.c.school_code.in_({k[0] for k in figures}),
                DAILY.c.day.in_({k[1] for k in figures}),
            )
        )
        for row in existing:
            key = (row.school_code, row.day)
            if key in figures:
                figures[key] = _merge(
                    DailyFigure(row.school_code, row.day, row.bytes_max, row.bytes_last,
                                row.last_measured_at, row.samples),
                    figures[key],
                )
        builder = pg_insert if _dialect(self.session) == "postgresql" else sqlite_insert
        upsert = builder(DAILY)
        upsert = upsert.on_conflict_do_update(
            index_elements=["school_code", "day"],
            set_={c: upsert.excluded[c]
                  for c in ("bytes_max", "bytes_last", "last_measured_at", "samples")},
        )
        await self.session.execute(
            upsert,
            [
                {"school_code": f.school_code, "day": f.day, "bytes_max": f.bytes_max,
                 "bytes_last": f.bytes_last, "last_measured_at": f.last_measured_at,
                 "samples": f.samples}
                for f in figures.values()
            ],
        )
        await self.session.execute(
            delete(SNAPSHOTS).where(SNAPSHOTS.c.id.in_([r.id for r in rows]))
        )
        return len(rows)


def _merge(old: DailyFigure | None, new: DailyFigure) -> DailyFigure:
    """Two daily figures of the same school and day as one, by the domain's `fold`."""
    if old is None:
        return new
    merged = fold(
        Fold(old.bytes_max, old.bytes_last, old.last_measured_at, old.samples),
        Fold(new.bytes_max, new.bytes_last, new.last_measured_at, new.samples),
    )
    return DailyFigure(new.school_code, new.day, merged.bytes_max, merged.bytes_last,
                       merged.last_at, merged.samples)
