"""Storage reads: current usage (R-STO-3), history on Paris days or weeks with the
forecast, and the alert events, as the caller's confinement lets it see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.auth import Principal
from app.domain.calendar import paris_date, paris_day_bounds
from app.domain.errors import InvalidInput
from app.domain.storage import Level
from app.domain.storage_history import (
    Forecast,
    Point,
    Window,
    aggregate_points,
    bucket_start,
    paris_week_bounds,
)
from app.ports.clock import Clock
from app.ports.storage import POOL_KEY, StorageAlert, school_key
from app.ports.unit_of_work import UnitOfWork
from app.services.convention import load_clock
from app.services.storage.alerts import (
    school_forecast,
)
from app.services.storage.policy import (
    HISTORY_MAX_DAYS,
)
from app.services.visibility import confined, school_filter, school_or_404, sees

# ------------------------------------------------------------------------ reads


@dataclass(frozen=True)
class SchoolUsage:
    school_code: str
    bytes_used: int
    measured_at: datetime | None
    threshold_bytes: int
    level: Level

    @property
    def ratio(self) -> float:
        return self.bytes_used / self.threshold_bytes


@dataclass(frozen=True)
class Usage:
    capacity_bytes: int
    total_bytes: int
    pool_level: Level
    schools: list[SchoolUsage]

    @property
    def total_ratio(self) -> float:
        return self.total_bytes / self.capacity_bytes


async def usage(uow: UnitOfWork, clock: Clock, principal: Principal) -> Usage:
    """Current usage (latest `measured_at` per school, R-STO-3) of the schools the caller
    sees; the pool figures are the whole pool's (shared by all schools, R-STO-1)."""
    today = paris_date(clock.now())
    async with uow:
        terms = (await load_clock(uow)).terms_on(today)
        codes = sorted(await uow.schools.codes())
        levels = await uow.storage.levels()
    schools = []
    for code in codes:
        if not sees(principal, code):
            continue
        row = levels.get(school_key(code))
        if row is None or row.state.measured_at is None:
            schools.append(SchoolUsage(code, 0, None, terms.school_alert_threshold_bytes,
                                       Level.OK))
        else:
            schools.append(SchoolUsage(code, row.bytes_used, row.state.measured_at,
                                       row.threshold_bytes, Level(row.state.level)))
    total = sum(lv.bytes_used for key, lv in levels.items() if key != POOL_KEY)
    pool = levels.get(POOL_KEY)
    return Usage(
        capacity_bytes=terms.storage_capacity_bytes,
        total_bytes=total,
        pool_level=Level(pool.state.level) if pool else Level.OK,
        schools=schools,
    )


@dataclass(frozen=True)
class History:
    school_code: str
    window: str
    start: datetime
    end: datetime
    points: list[Point]
    forecast: Forecast
    latest_measured_at: datetime | None
    threshold_bytes: int | None
    level: Level


def _window_bounds(day: date, window: Window) -> tuple[datetime, datetime]:
    return paris_day_bounds(day) if window == "day" else paris_week_bounds(day)


async def history(
    uow: UnitOfWork, clock: Clock, principal: Principal, school_code: str, *,
    start: datetime | None, end: datetime | None, window: str,
) -> History:
    """Points on whole Paris days (or Monday-to-Monday weeks) covering [start, end]
    (default: the 30 days up to now), from raw snapshots and folded daily rows, and the
    forecast from the 30 days ending at the latest measurement."""
    if window not in ("day", "week"):
        raise InvalidInput("window is 'day' or 'week'", field="window")
    end = end or clock.now()
    try:
        start = start or end - timedelta(days=30 if window == "day" else 182)
    except OverflowError:  # `to` in the first months of year 1
        raise InvalidInput("to is out of range", code="invalid-range", field="to") from None
    if start >= end:
        raise InvalidInput("from must be before to", code="invalid-range", field="from")
    if end - start > timedelta(days=HISTORY_MAX_DAYS):
        raise InvalidInput(
            f"a history spans at most {HISTORY_MAX_DAYS} days", code="invalid-range",
            field="from",
        )
    try:
        span_start, _ = _window_bounds(bucket_start(start, window), window)  # type: ignore[arg-type]
        _, span_end = _window_bounds(
            bucket_start(end - timedelta(microseconds=1), window), window  # type: ignore[arg-type]
        )
    except OverflowError:  # whole Paris days or weeks past year 1 or 9999
        raise InvalidInput(
            "the range reaches past the dates that can be represented", code="invalid-range",
            field="from",
        ) from None
    async with uow:
        school_or_404(principal, await uow.schools.get(school_code))
        days = await uow.storage.daily_points(school_code, span_start, span_end)
        row = (await uow.storage.levels([school_key(school_code)])).get(school_key(school_code))
        if row is None or row.state.measured_at is None:
            latest, threshold, level = None, None, Level.OK
            result = Forecast(None, None, 0)
        else:
            latest, threshold = row.state.measured_at, row.threshold_bytes
            level = Level(row.state.level)
            result = await school_forecast(uow, school_code, latest, threshold, level)
    points = days if window == "day" else aggregate_points(days, "week")
    return History(school_code, window, span_start, span_end, points, result, latest,
                   threshold, level)


async def list_alerts(
    uow: UnitOfWork, principal: Principal, *, school_code: str | None,
    since: datetime | None, after_id: int | None, limit: int,
) -> list[StorageAlert]:
    """Alert events, oldest first. A referent sees its schools' events only (no pool
    events); a school it does not see gives an empty list, as an unknown one does."""
    codes = school_filter(principal, school_code)
    include_pool = school_code is None and not confined(principal)
    async with uow:
        return await uow.storage.list_alerts(
            school_codes=codes, include_pool=include_pool, since=since, after_id=after_id,
            limit=limit,
        )
