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

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import dialect_insert, is_postgres
from app.adapters.db.raw import as_row, transaction_connection
from app.adapters.db.storage_statements import (
    ALERTS,
    DAILY,
    LEVELS,
    PG_DAILY,
    PG_INSERT_SNAPSHOTS,
    PG_LOCK_LEVELS,
    PG_SELECT_SNAPSHOTS,
    SNAPSHOTS,
    alert_from_row,
    level_from_row,
    merged_daily_figure,
    snapshot_from_row,
)
from app.domain.storage import Level, Snapshot
from app.domain.storage_history import Fold, Point, bucket_start, fold, points_of
from app.ports.storage import POOL_KEY, DailyFigure, StorageAlert, StoredLevel


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
        if is_postgres(self.session):
            # On the transaction's raw asyncpg connection (raw.py): asyncpg encodes the
            # six 1,000-element arrays itself, SQLAlchemy's array processing did it in
            # Python element by element.
            statements = await transaction_connection(self.session)
            rows = await statements.fetch(
                PG_INSERT_SNAPSHOTS,
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
            dialect_insert(self.session, SNAPSHOTS)
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
        if is_postgres(self.session):
            # One array parameter joined with unnest: the plan is the unique index's
            # whatever the number of ids (a 1,000-parameter IN list may get a generic
            # plan that scans the table).
            rows = await self.session.execute(
                PG_SELECT_SNAPSHOTS, {"ids": list(snapshot_ids)}
            )
        else:
            rows = await self.session.execute(
                select(SNAPSHOTS).where(SNAPSHOTS.c.snapshot_id.in_(list(snapshot_ids)))
            )
        return {row.snapshot_id: snapshot_from_row(row) for row in rows}

    # ---------------------------------------------------------------- levels

    async def lock_levels(self, scope_keys: Sequence[str]) -> dict[str, StoredLevel]:
        keys = sorted(set(scope_keys))
        if not keys:
            return {}
        # One statement: missing rows are created (ok), existing ones "updated" to
        # themselves, which locks them in key order until the end of the transaction
        # (SQLite holds the database write lock since BEGIN IMMEDIATE anyway).
        if is_postgres(self.session):  # one array, a compiled-once statement
            statements = await transaction_connection(self.session)
            found = await statements.fetch(PG_LOCK_LEVELS, keys, Level.OK.value)
            return {row["scope_key"]: level_from_row(as_row(LEVELS, row))
                    for row in sorted(found, key=lambda r: r["scope_key"])}
        statement = dialect_insert(self.session, LEVELS).values(
            [{"scope_key": k, "level": Level.OK.value, "bytes_used": 0, "threshold_bytes": 0}
             for k in keys]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["scope_key"], set_={"level": LEVELS.c.level}
        ).returning(*LEVELS.c)
        rows = await self.session.execute(statement)
        ordered = sorted(rows, key=lambda r: r.scope_key)
        return {row.scope_key: level_from_row(row) for row in ordered}

    async def levels(self, scope_keys: Sequence[str] | None = None) -> dict[str, StoredLevel]:
        query = select(LEVELS)
        if scope_keys is not None:
            query = query.where(LEVELS.c.scope_key.in_(list(scope_keys)))
        return {row.scope_key: level_from_row(row) for row in await self.session.execute(query)}

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
        return [alert_from_row(row) for row in await self.session.execute(query)]

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
        if is_postgres(self.session):
            for r in await self.session.execute(
                PG_DAILY, {"school": school_code, "start": start, "end": end}
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
            figures[key] = merged_daily_figure(
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
                figures[key] = merged_daily_figure(
                    DailyFigure(row.school_code, row.day, row.bytes_max, row.bytes_last,
                                row.last_measured_at, row.samples),
                    figures[key],
                )
        daily = dialect_insert(self.session, DAILY)
        daily = daily.on_conflict_do_update(
            index_elements=["school_code", "day"],
            set_={c: daily.excluded[c]
                  for c in ("bytes_max", "bytes_last", "last_measured_at", "samples")},
        )
        await self.session.execute(
            daily,
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
