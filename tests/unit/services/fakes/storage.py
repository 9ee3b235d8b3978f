"""In-memory storage repository (`uow.storage`): snapshots, daily figures, levels, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from app.domain.storage import Level, LevelState, Snapshot
from app.domain.storage_history import Fold, Point, bucket_start, fold, points_of
from app.ports.storage import POOL_KEY, StorageAlert, StoredLevel
from tests.unit.services.fakes.store import FakeRepository, serves


@serves("storage")
class FakeStorageRepository(FakeRepository):
    def __init__(self) -> None:
        self.stored: dict[str, Snapshot] = {}
        self.daily: dict[tuple[str, date], Fold] = {}
        self.level_rows: dict[str, StoredLevel] = {}
        self.alerts: list[StorageAlert] = []

    async def insert_snapshots(
        self, snapshots: Sequence[Snapshot], *, received_at: datetime
    ) -> set[str]:
        inserted = set()
        for snapshot in sorted(snapshots, key=lambda s: s.snapshot_id):
            if snapshot.snapshot_id not in self.stored:
                self.stored[snapshot.snapshot_id] = snapshot
                inserted.add(snapshot.snapshot_id)
        return inserted

    async def snapshots(self, snapshot_ids: Sequence[str]) -> dict[str, Snapshot]:
        return {sid: self.stored[sid] for sid in snapshot_ids if sid in self.stored}

    async def lock_levels(self, scope_keys: Sequence[str]) -> dict[str, StoredLevel]:
        for key in scope_keys:
            self.level_rows.setdefault(key, StoredLevel(key, LevelState(), 0, 0))
        return {key: self.level_rows[key] for key in sorted(set(scope_keys))}

    async def levels(self, scope_keys: Sequence[str] | None = None) -> dict[str, StoredLevel]:
        if scope_keys is None:
            return dict(self.level_rows)
        return {k: self.level_rows[k] for k in scope_keys if k in self.level_rows}

    async def critical_keys(self) -> list[str]:
        return sorted(k for k, row in self.level_rows.items() if row.state.level is Level.CRITICAL)

    async def save_levels(self, levels: Sequence[StoredLevel]) -> None:
        for level in levels:
            self.level_rows[level.scope_key] = level

    async def school_total(self) -> int:
        return sum(row.bytes_used for k, row in self.level_rows.items() if k != POOL_KEY)

    async def add_alerts(self, alerts: Sequence[StorageAlert]) -> None:
        for alert in alerts:
            self.alerts.append(
                StorageAlert(
                    alert.scope,
                    alert.school_code,
                    alert.event,
                    alert.recipients_count,
                    id=len(self.alerts) + 1,
                )
            )

    async def list_alerts(
        self,
        *,
        school_codes: Sequence[str] | None,
        include_pool: bool,
        since: datetime | None,
        after_id: int | None,
        limit: int,
    ) -> list[StorageAlert]:
        def wanted(a: StorageAlert) -> bool:
            if a.scope == "pool":
                return include_pool
            return school_codes is None or a.school_code in school_codes

        found = [
            a
            for a in self.alerts
            if wanted(a)
            and (since is None or a.event.occurred_at >= since)
            and (after_id is None or (a.id or 0) > after_id)
        ]
        return found[:limit]

    async def daily_points(self, school_code: str, start: datetime, end: datetime) -> list[Point]:
        first = bucket_start(start, "day")
        last = bucket_start(end - timedelta(microseconds=1), "day")
        acc: dict[date, Fold] = {
            day: figure
            for (code, day), figure in self.daily.items()
            if code == school_code and first <= day <= last
        }
        for s in self.stored.values():
            if s.school_code == school_code and start <= s.measured_at < end:
                day = bucket_start(s.measured_at, "day")
                acc[day] = fold(acc.get(day), Fold(s.bytes_used, s.bytes_used, s.measured_at))
        return points_of(acc, "day")

    async def fold_before(self, cutoff: datetime, *, limit: int) -> int:
        old = sorted(
            (s for s in self.stored.values() if s.measured_at < cutoff), key=lambda s: s.snapshot_id
        )[:limit]
        for s in old:
            key = (s.school_code, bucket_start(s.measured_at, "day"))
            self.daily[key] = fold(
                self.daily.get(key), Fold(s.bytes_used, s.bytes_used, s.measured_at)
            )
            del self.stored[s.snapshot_id]
        return len(old)
