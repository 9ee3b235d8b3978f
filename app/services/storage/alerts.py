"""Alert events and their French mails (R-STO-1, R-STO-2, R-UNIT-1): one mail per rise
or reminder to the school's current referents (UT in copy), to UT for the pool; a
clearing is recorded without mail."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from app.domain.calendar import paris_date, paris_day_bounds
from app.domain.convention import ConventionClock
from app.domain.formatting import french_date, french_datetime, french_number, french_size
from app.domain.storage import AlertEvent, AlertKind, Level, warning_threshold
from app.domain.storage_history import Forecast, forecast
from app.ports.storage import StorageAlert, StoredLevel
from app.ports.unit_of_work import UnitOfWork
from app.services.mail import queue_mail
from app.services.storage.policy import FORECAST_DAYS, StoragePolicy


def terms_at(convention: ConventionClock, instant: datetime) -> Any:
    """Terms in force on the Paris day of `instant` (R-CONV-2)."""
    return convention.terms_on(paris_date(instant))


async def record_alerts(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy, convention: ConventionClock,
    events: Sequence[tuple[str | None, AlertEvent, StoredLevel]], *, mail_key: str = "",
) -> list[StorageAlert]:
    """Record alert events and queue one mail per rise or reminder (never for a clear).
    `level` is the scope's level row after the event; `mail_key` tells apart the mails
    of a re-evaluation from those of the snapshot (same instant) it started from."""
    alerts: list[StorageAlert] = []
    for code, event, level in events:
        count = 0
        if event.sends_mail:
            if code is None:
                count = await _mail_pool(uow, now, policy, event, level, mail_key)
            else:
                count = await _mail_school(uow, now, policy, convention, code, event, level,
                                           mail_key)
        alerts.append(StorageAlert(
            scope="pool" if code is None else "school", school_code=code, event=event,
            recipients_count=count,
        ))
    await uow.storage.add_alerts(alerts)
    return alerts


async def current_referents(
    uow: UnitOfWork, convention: ConventionClock, school_code: str, now: datetime
) -> list[str]:
    """Addresses of the school's referents valid today; none after the access end."""
    today = paris_date(now)
    if today > convention.access_end_on(today):
        return []
    return await uow.accounts.referent_emails(school_code, today)


def addressees(to: list[str], cc: Sequence[str]) -> tuple[list[str], list[str]]:
    """To the given people, UT in copy; to UT alone when nobody else is known."""
    if not to:
        return list(cc), []
    return to, [a for a in cc if a not in to]



# ------------------------------------------------------------------------ mails


def _percent(value: int, of: int) -> str:
    return f"{math.floor(100 * value / of)} %" if of else "–"


_LEVEL_FR = {Level.OK: "normal", Level.WARNING: "alerte", Level.CRITICAL: "critique"}


def _trend_text(result: Forecast, size_unit: int) -> str:
    slope = result.slope_bytes_per_day
    if slope is None:
        return "non calculée (moins de 7 jours de mesures sur les 30 derniers jours)"
    sign = "+" if slope > 0 else "−" if slope < 0 else ""
    return f"{sign}{french_size(round(abs(slope)), size_unit)} par jour (30 derniers jours)"


def _forecast_text(result: Forecast, level: Level) -> str:
    if result.critical_on is not None:
        return f"seuil atteint vers le {french_date(result.critical_on)} au rythme actuel"
    if level is Level.CRITICAL:
        return "seuil déjà atteint"
    if result.slope_bytes_per_day is None:
        return "non calculée (historique insuffisant)"
    return "pas de dépassement prévu au rythme actuel"


async def school_forecast(
    uow: UnitOfWork, school_code: str, measured_at: datetime, threshold: int, level: Level
) -> Forecast:
    """The forecast of the 30 Paris days ending on the day of `measured_at`."""
    day = paris_date(measured_at)
    start, _ = paris_day_bounds(day - timedelta(days=FORECAST_DAYS - 1))
    _, end = paris_day_bounds(day)
    points = await uow.storage.daily_points(school_code, start, end)
    return forecast(
        [(paris_date(p.period_start), p.bytes_last) for p in points], day, threshold, level
    )


async def _mail_school(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy, convention: ConventionClock,
    code: str, event: AlertEvent, level: StoredLevel, mail_key: str = "",
) -> int:
    referents = await current_referents(uow, convention, code, now)
    to, cc = addressees(referents, policy.alert_cc)
    if not to:
        return 0
    school = await uow.schools.get(code)
    state, threshold = level.state, level.threshold_bytes
    measured_at = state.measured_at or event.occurred_at
    trend = await school_forecast(uow, code, measured_at, threshold, event.level_to)
    reminder = event.kind is AlertKind.REMINDER
    await queue_mail(
        uow, now=now, template="storage-alert", to=to, cc=cc,
        dedupe_key=(
            f"storage-{event.kind.value}:{code}:{event.level_to.value}:"
            f"{event.occurred_at.isoformat()}{mail_key}"
        ),
        context={
            "school_name": school.name if school else code,
            "reminder": reminder,
            "level": _LEVEL_FR[event.level_to],
            "critical": event.level_to is Level.CRITICAL,
            "bytes_used": french_size(event.bytes_used, policy.size_unit),
            "bytes_used_exact": french_number(event.bytes_used),
            "threshold": french_size(threshold, policy.size_unit),
            "warning_threshold": french_size(
                warning_threshold(threshold, policy.warning_percent), policy.size_unit
            ),
            "warning_percent": policy.warning_percent,
            "reminder_days": policy.reminder_days,
            "clear_below": french_size(
                max(0, threshold - policy.hysteresis_bytes), policy.size_unit
            ),
            "ratio": _percent(event.bytes_used, threshold),
            "measured_at": french_datetime(measured_at),
            "raised_on": french_date(state.raised_at) if state.raised_at else "",
            "trend": _trend_text(trend, policy.size_unit),
            "forecast": _forecast_text(trend, event.level_to),
            "moodle_url": policy.moodle_url,
        },
    )
    return len(referents)


async def _mail_pool(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy, event: AlertEvent,
    level: StoredLevel, mail_key: str = "",
) -> int:
    if not policy.pool_recipients:
        return 0
    capacity = level.threshold_bytes
    await queue_mail(
        uow, now=now, template="storage-pool-alert", to=list(policy.pool_recipients),
        dedupe_key=(
            f"storage-pool-{event.kind.value}:{event.level_to.value}:"
            f"{event.occurred_at.isoformat()}{mail_key}"
        ),
        context={
            "reminder": event.kind is AlertKind.REMINDER,
            "level": _LEVEL_FR[event.level_to],
            "critical": event.level_to is Level.CRITICAL,
            "total": french_size(event.bytes_used, policy.size_unit),
            "capacity": french_size(capacity, policy.size_unit),
            "warning_threshold": french_size(
                warning_threshold(capacity, policy.warning_percent), policy.size_unit
            ),
            "warning_percent": policy.warning_percent,
            "ratio": _percent(event.bytes_used, capacity),
            "occurred_at": french_datetime(event.occurred_at),
            "raised_on": french_date(level.state.raised_at) if level.state.raised_at else "",
        },
    )
    return len(policy.pool_recipients)
