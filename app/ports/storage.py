"""Storage levels, alerts and the snapshots' history as stored (R-STO-1, R-STO-2, R-STO-3,
R-STO-4). Implemented by `app/adapters/db/storage_repo.SqlStorageRepository` (`uow.storage`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from app.domain.storage import AlertEvent, LevelState, Snapshot
from app.domain.storage_history import Point

POOL_KEY = "pool"


def school_key(school_code: str) -> str:
    """The `storage_levels.scope_key` of a school."""
    return f"school:{school_code}"


@dataclass(frozen=True)
class StoredLevel:
    """A `storage_levels` row: the alerting state plus the usage it was computed from."""

    scope_key: str
    state: LevelState
    bytes_used: int
    threshold_bytes: int


@dataclass(frozen=True)
class StorageAlert:
    """A recorded alert event (`storage_alerts`)."""

    scope: str  # school | pool
    school_code: str | None
    event: AlertEvent
    recipients_count: int
    id: int | None = None


@dataclass(frozen=True)
class DailyFigure:
    """Raw snapshots of one school and Paris day folded into one row (`storage_daily`)."""

    school_code: str
    day: date
    bytes_max: int
    bytes_last: int
    last_measured_at: datetime
    samples: int


class StorageRepository(Protocol):
    async def insert_snapshots(
        self, snapshots: Sequence[Snapshot], *, received_at: datetime
    ) -> set[str]:
        """Insert in one statement, skipping ids already stored (the unique key decides,
        in the caller's transaction); the ids actually inserted."""
        ...

    async def snapshots(self, snapshot_ids: Sequence[str]) -> dict[str, Snapshot]:
        """Stored snapshots by id."""
        ...

    async def lock_levels(self, scope_keys: Sequence[str]) -> dict[str, StoredLevel]:
        """Create missing level rows (ok), then lock and return them, in scope-key order
        (one order for every writer: no deadlock)."""
        ...

    async def levels(self, scope_keys: Sequence[str] | None = None) -> dict[str, StoredLevel]:
        """Level rows, unlocked (None: all of them)."""
        ...

    async def critical_keys(self) -> list[str]:
        """Scope keys whose level is critical."""
        ...

    async def save_levels(self, levels: Sequence[StoredLevel]) -> None: ...

    async def school_total(self) -> int:
        """Sum of the current usage of every school (R-STO-1)."""
        ...

    async def add_alerts(self, alerts: Sequence[StorageAlert]) -> None: ...

    async def list_alerts(
        self,
        *,
        school_codes: Sequence[str] | None,
        include_pool: bool,
        since: datetime | None,
        after_id: int | None,
        limit: int,
    ) -> list[StorageAlert]: ...

    async def daily_points(self, school_code: str, start: datetime, end: datetime) -> list[Point]:
        """Paris-day points of the school's snapshots measured in [start, end), raw
        snapshots and folded daily rows together, in day order."""
        ...

    async def fold_before(self, cutoff: datetime, *, limit: int) -> int:
        """Fold up to `limit` raw snapshots measured before `cutoff` (a Paris midnight)
        into daily rows and delete them; the number folded."""
        ...
