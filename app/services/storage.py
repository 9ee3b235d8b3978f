"""Storage use cases (R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1, R-TIME-1, R-TIME-5).

* `ingest_snapshots`: one transaction per batch. Items are checked (school, R-TIME-5,
  age), inserted in one statement (the unique key on `snapshot_id` decides, in this
  transaction: a resent snapshot is a `duplicate`, the same id with other content a
  `snapshot-conflict`), then the levels move for the latest accepted snapshot of each
  school only, and for the pool. A late snapshot (measured before the latest one
  applied) is stored but changes neither usage nor alerts (R-STO-3). Each rise queues
  one French mail to the school's current referents (UT in copy); a fall is recorded as
  `cleared`, without mail.
* Jobs: `send_critical_reminders` (R-STO-2: every 7 days of measured time while
  critical, each reminder once), `send_retrieval_reminders` (R-STO-4: 90 and 30 days
  before the convention's access end) and `fold_old_snapshots` (raw snapshots of Paris
  days more than 400 days old become daily figures). The warning percent and the days are
  the settings' (`StoragePolicy`), the numbers here their defaults.
* Reads: `usage`, `history` (Paris days or weeks + the forecast) and `list_alerts`.

The rules themselves (levels, hysteresis, reminders, buckets, forecast) are the pure
functions of `app.domain.storage`; nothing here re-implements them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.domain.auth import Principal
from app.domain.calendar import is_ahead_of_clock, paris_date, paris_day_bounds
from app.domain.convention import ConventionClock
from app.domain.errors import InvalidInput
from app.domain.formatting import french_date, french_datetime, french_number, french_size
from app.domain.reference import convention_size_figures
from app.domain.schedules import DailyAt, Every
from app.domain.schools import BeneficiaryPeriod, is_beneficiary_for
from app.domain.storage import (
    HYSTERESIS_BYTES,
    WARNING_PERCENT,
    AlertEvent,
    AlertKind,
    Level,
    Snapshot,
    apply_snapshot,
    is_late_snapshot,
    pool_level_after,
    pool_threshold,
    reevaluate_level,
    warning_threshold,
)
from app.domain.storage_history import (
    Forecast,
    Point,
    Window,
    aggregate_points,
    bucket_start,
    forecast,
    paris_week_bounds,
)
from app.domain.storage_reminders import (
    REMINDER_DAYS,
    RETRIEVAL_REMINDER_DAYS,
    record_reminders,
    retrieval_reminder_dates,
)
from app.domain.units import GB
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.storage import POOL_KEY, StorageAlert, StoredLevel, school_key
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.convention import load_clock
from app.services.jobs import Job, JobContext, JobFunction
from app.services.mail import queue_mail
from app.services.schools import beneficiary_periods
from app.services.visibility import confined, school_filter, school_or_404, sees

MAX_BATCH_ITEMS = 1000
SNAPSHOT_MAX_AGE = timedelta(days=35)
FOLD_AFTER_DAYS = 400
FOLD_CHUNK = 5000
HISTORY_MAX_DAYS = 1830  # the convention's five years
FORECAST_DAYS = 30

REMINDERS_JOB = "storage-reminders"
RETRIEVAL_JOB = "storage-retrieval-reminders"
FOLD_JOB = "storage-fold"


@dataclass(frozen=True)
class StoragePolicy:
    """The settings the storage use cases need (built from `Settings` by the entrypoint)."""

    clock_skew: timedelta = timedelta(seconds=300)
    max_age: timedelta = SNAPSHOT_MAX_AGE
    hysteresis_bytes: int = HYSTERESIS_BYTES
    alert_cc: tuple[str, ...] = ()
    """UT's address(es) in copy of every school alert (R-STO-2)."""
    pool_recipients: tuple[str, ...] = ()
    """Who receives the pool alerts (R-STO-1): UT (DAIP)."""
    pool_alerts: bool = True
    fold_after_days: int = FOLD_AFTER_DAYS
    moodle_url: str = ""
    warning_percent: int = WARNING_PERCENT
    """R-STO-2 (and the pool, R-STO-1): warning from this percent of the threshold."""
    reminder_days: int = REMINDER_DAYS
    """R-STO-2: days of measured time between two reminders while critical."""
    retrieval_days: tuple[int, ...] = RETRIEVAL_REMINDER_DAYS
    """R-STO-4: days before the access end on which schools are reminded."""
    size_unit: int = GB
    """R-UNIT-1: the reading of "Go" in force, for the sizes mails show."""


# ------------------------------------------------------------------------ ingestion


@dataclass(frozen=True)
class ItemError:
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class Candidate:
    """One item of a batch as parsed by the HTTP edge: a snapshot, or why it is not one."""

    snapshot_id: str | None
    snapshot: Snapshot | None
    errors: tuple[ItemError, ...] = ()


ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass(frozen=True)
class ItemResult:
    snapshot_id: str | None
    status: str
    errors: tuple[ItemError, ...] = ()


@dataclass(frozen=True)
class IngestReport:
    results: list[ItemResult]
    alerts: list[StorageAlert] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


_CONFLICT = ItemError(
    "snapshot_id", "snapshot-conflict",
    "this snapshot_id is already stored with other content",
)


def _item_errors(
    snapshot: Snapshot, codes: set[str], now: datetime, policy: StoragePolicy,
    periods: dict[str, BeneficiaryPeriod],
) -> tuple[ItemError, ...]:
    errors: list[ItemError] = []
    if snapshot.school_code not in codes:
        errors.append(ItemError("school_code", "unknown-school", "no such school"))
    elif not is_beneficiary_for(periods.get(snapshot.school_code, BeneficiaryPeriod()),
                                event_on=paris_date(snapshot.measured_at),
                                call_on=paris_date(now)):
        errors.append(ItemError(
            "school_code", "school-not-beneficiary",
            "the school is not a beneficiary of the convention on this date (R-CONV-2a)",
        ))
    if is_ahead_of_clock(snapshot.measured_at, now, policy.clock_skew):
        errors.append(ItemError(
            "measured_at", "instant-in-future",
            "measured_at is in the future (beyond the allowed clock skew, R-TIME-5)",
        ))
    elif snapshot.measured_at < now - policy.max_age:
        errors.append(ItemError(
            "measured_at", "snapshot-too-old",
            f"measured_at is more than {policy.max_age.days} days old",
        ))
    return tuple(errors)


async def ingest_snapshots(
    uow: UnitOfWork, clock: Clock, policy: StoragePolicy, candidates: Sequence[Candidate],
    principal: Principal,
) -> IngestReport:
    """Store a batch (≤ 1,000 items, checked by the caller) and move the levels; one
    result per item, in order. An item of a school the caller is not confined to is
    rejected as an unknown school's."""
    if len(candidates) > MAX_BATCH_ITEMS:
        raise InvalidInput(f"a batch holds at most {MAX_BATCH_ITEMS} items", field="items")
    now = clock.now()
    results: list[ItemResult | None] = [None] * len(candidates)
    async with uow:
        codes = {c for c in await uow.schools.codes() if sees(principal, c)}
        periods = await beneficiary_periods(uow)
        first: dict[str, Snapshot] = {}
        valid: list[tuple[int, Snapshot]] = []
        for i, candidate in enumerate(candidates):
            snapshot = candidate.snapshot
            if snapshot is None:
                results[i] = ItemResult(candidate.snapshot_id, REJECTED, candidate.errors)
                continue
            if snapshot.measured_at.tzinfo is not UTC:
                snapshot = replace(snapshot, measured_at=snapshot.measured_at.astimezone(UTC))
            errors = _item_errors(snapshot, codes, now, policy, periods)
            if errors:
                results[i] = ItemResult(snapshot.snapshot_id, REJECTED, errors)
                continue
            first.setdefault(snapshot.snapshot_id, snapshot)
            valid.append((i, snapshot))

        inserted = await uow.storage.insert_snapshots(list(first.values()), received_at=now)
        reference = dict(first) | await uow.storage.snapshots(
            [sid for sid in first if sid not in inserted]
        )
        accepted: list[Snapshot] = []
        for i, snapshot in valid:
            sid = snapshot.snapshot_id
            if sid in inserted and first[sid] is snapshot:
                results[i] = ItemResult(sid, ACCEPTED)
                accepted.append(snapshot)
            elif reference[sid].same_content(snapshot):
                results[i] = ItemResult(sid, DUPLICATE)
            else:
                results[i] = ItemResult(sid, REJECTED, (_CONFLICT,))

        alerts = await _apply_levels(uow, now, policy, accepted) if accepted else []
        await uow.commit()
    return IngestReport([r for r in results if r is not None], alerts)


async def _apply_levels(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy, accepted: Sequence[Snapshot]
) -> list[StorageAlert]:
    latest: dict[str, Snapshot] = {}
    for s in accepted:
        current = latest.get(s.school_code)
        if current is None or (s.measured_at, s.snapshot_id) > (
            current.measured_at, current.snapshot_id
        ):
            latest[s.school_code] = s
    convention = await load_clock(uow)
    levels = await uow.storage.lock_levels([POOL_KEY, *(school_key(c) for c in latest)])

    changed: list[StoredLevel] = []
    raised: list[tuple[str | None, AlertEvent, StoredLevel]] = []
    for code in sorted(latest):
        snapshot, row = latest[code], levels[school_key(code)]
        if is_late_snapshot(row.state.measured_at, snapshot.measured_at):
            continue  # R-STO-3: a late snapshot changes neither usage nor alerts
        threshold = _terms(convention, snapshot.measured_at).school_alert_threshold_bytes
        state, events = apply_snapshot(
            row.state, snapshot.measured_at, snapshot.bytes_used, threshold,
            policy.hysteresis_bytes, policy.warning_percent,
        )
        level = StoredLevel(row.scope_key, state, snapshot.bytes_used, threshold)
        changed.append(level)
        raised += [(code, e, level) for e in events]
    if not changed:
        return []

    pool = levels[POOL_KEY]
    at = max(lv.state.measured_at for lv in changed if lv.state.measured_at is not None)
    if pool.state.measured_at is not None:
        at = max(at, pool.state.measured_at)
    capacity = _terms(convention, at).storage_capacity_bytes
    # Every school row that changes is locked with the pool row: the sum is exact.
    total = (
        await uow.storage.school_total()
        - sum(levels[lv.scope_key].bytes_used for lv in changed)
        + sum(lv.bytes_used for lv in changed)
    )
    pool_state, pool_events = pool_level_after(
        pool.state, at, total, capacity, policy.hysteresis_bytes, policy.warning_percent,
    )
    pool_level = StoredLevel(POOL_KEY, pool_state, total, capacity)
    await uow.storage.save_levels([*changed, pool_level])
    if policy.pool_alerts:
        raised += [(None, e, pool_level) for e in pool_events]
    return await _record(uow, now, policy, convention, raised)


def _terms(convention: ConventionClock, instant: datetime) -> Any:
    """Terms in force on the Paris day of `instant` (R-CONV-2)."""
    return convention.terms_on(paris_date(instant))


async def _record(
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


def _addressees(to: list[str], cc: Sequence[str]) -> tuple[list[str], list[str]]:
    """To the given people, UT in copy; to UT alone when nobody else is known."""
    if not to:
        return list(cc), []
    return to, [a for a in cc if a not in to]


# ------------------------------------------------------------------------ start-up


async def apply_size_reading(
    uow: UnitOfWork, clock: Clock, actor: Actor, policy: StoragePolicy
) -> list[StorageAlert]:
    """R-UNIT-1a, run at every start: the convention's own figures (500 Go, 41 Go) are
    read with the `SIZE_UNIT` reading in force (`policy.size_unit`) on any database;
    amendments state bytes and stay as they are. Then every level is re-evaluated once
    from its latest snapshot (`reevaluate_level`) against the threshold, warning percent
    and hysteresis in force: a rise is mailed as any rise, a clearing recorded without a
    mail, an unchanged level left alone. Nothing to do before the seed."""
    now = clock.now()
    async with uow:
        ref = await uow.convention.get()
        if ref is None:
            return []
        figures = convention_size_figures(policy.size_unit)
        stored = (ref.storage_capacity_bytes, ref.school_alert_threshold_bytes)
        if stored != figures:
            await uow.convention.set_size_figures(*figures)
            # The clock must be read back in this transaction, not from the cache.
            uow.lifecycle.clock_changed = True
            await audit.record(
                uow, actor, now=now, action="convention.size-reading-applied",
                resource_type="convention", resource_id=ref.reference,
                old={"storage_capacity_bytes": stored[0],
                     "school_alert_threshold_bytes": stored[1]},
                new={"storage_capacity_bytes": figures[0],
                     "school_alert_threshold_bytes": figures[1]},
            )
        alerts = await _reevaluate_levels(uow, now, policy)
        await uow.commit()
    return alerts


async def _reevaluate_levels(
    uow: UnitOfWork, now: datetime, policy: StoragePolicy
) -> list[StorageAlert]:
    """Each measured level against the threshold, warning percent and hysteresis in
    force now: idempotent (a level that holds stays, with its reminders), so only a
    start that changed one of them changes a level."""
    convention = await load_clock(uow)

    def threshold_of(key: str, row: StoredLevel) -> int:
        assert row.state.measured_at is not None
        terms = _terms(convention, row.state.measured_at)
        if key == POOL_KEY:
            return pool_threshold(terms.storage_capacity_bytes)
        return terms.school_alert_threshold_bytes

    def reevaluated(key: str, row: StoredLevel) -> tuple[StoredLevel, list[AlertEvent]]:
        threshold = threshold_of(key, row)
        state, events = reevaluate_level(row.state, row.bytes_used, threshold,
                                         policy.hysteresis_bytes, policy.warning_percent)
        return StoredLevel(key, state, row.bytes_used, threshold), events

    stale = [
        key for key, row in (await uow.storage.levels()).items()
        if row.state.measured_at is not None and reevaluated(key, row)[0] != row
    ]
    if not stale:
        return []
    changed: list[StoredLevel] = []
    events: list[tuple[str | None, AlertEvent, StoredLevel]] = []
    for key, row in (await uow.storage.lock_levels(stale)).items():
        level, raised = reevaluated(key, row)
        if level == row:
            continue  # another process starting with the same readings got there first
        changed.append(level)
        if key == POOL_KEY:
            if policy.pool_alerts:
                events += [(None, e, level) for e in raised]
        else:
            events += [(key.removeprefix("school:"), e, level) for e in raised]
    await uow.storage.save_levels(changed)
    return await _record(uow, now, policy, convention, events,
                         mail_key=f":start-{now.isoformat()}")


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
    to, cc = _addressees(referents, policy.alert_cc)
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


# ------------------------------------------------------------------------ jobs


async def send_critical_reminders(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy
) -> dict[str, int]:
    """R-STO-2 (and R-STO-1 for the pool): while critical, one reminder every 7 days
    (`policy.reminder_days`) of measured time from the snapshot that raised it. Each is
    recorded (and mailed) once: the level row keeps the last one, the mail's dedupe key is
    the reminder's instant."""
    now = clock.now()
    counts = {"reminders": 0}
    uow = uow_factory()
    async with uow:
        keys = await uow.storage.critical_keys()
        if not policy.pool_alerts:
            keys = [k for k in keys if k != POOL_KEY]
        if not keys:
            return counts
        convention = await load_clock(uow)
        levels = await uow.storage.lock_levels(keys)
        changed: list[StoredLevel] = []
        events: list[tuple[str | None, AlertEvent, StoredLevel]] = []
        for key, row in levels.items():
            state, due = record_reminders(row.state, now, row.bytes_used, row.threshold_bytes,
                                          policy.reminder_days)
            if not due:
                continue
            level = replace(row, state=state)
            changed.append(level)
            code = None if key == POOL_KEY else key.removeprefix("school:")
            events += [(code, e, level) for e in due]
        await uow.storage.save_levels(changed)
        await _record(uow, now, policy, convention, events)
        await uow.commit()
    counts["reminders"] = len(events)
    return counts


async def send_retrieval_reminders(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy
) -> dict[str, int]:
    """R-STO-4: remind every school's referents (UT in copy) to retrieve their content
    90 and 30 days (`policy.retrieval_days`) before the convention's access end. Run
    daily; a day missed is caught up by the next run (the latest reminder date reached is
    sent, once per school: the dedupe key names the access end and the reminder)."""
    now = clock.now()
    today = paris_date(now)
    uow = uow_factory()
    mailed = 0
    async with uow:
        convention = await load_clock(uow)
        status = convention.status_on(today)
        access_end = status.prospective_access_end_on
        reached = [
            (days, on)
            for days, on in zip(policy.retrieval_days,
                                retrieval_reminder_dates(access_end, policy.retrieval_days),
                                strict=True)
            if on <= today
        ]
        if not reached or today > access_end:
            return {"mailed": 0}
        days, _ = max(reached, key=lambda r: r[1])
        for school in await uow.schools.list(codes=None, after=None, limit=10_000):
            referents = await current_referents(uow, convention, school.code, now)
            to, cc = _addressees(referents, policy.alert_cc)
            if not to:
                continue
            added = await queue_mail(
                uow, now=now, template="storage-retrieval", to=to, cc=cc,
                dedupe_key=f"storage-retrieval:{access_end.isoformat()}:{days}:{school.code}",
                context={
                    "school_name": school.name,
                    "access_end": french_date(access_end),
                    "days": (access_end - today).days,
                    "moodle_url": policy.moodle_url,
                },
            )
            mailed += int(added)
        await uow.commit()
    return {"mailed": mailed}


def fold_cutoff(now: datetime, after_days: int) -> datetime:
    """Start (UTC) of the first Paris day not yet folded: days more than `after_days`
    days before today are folded whole."""
    start, _ = paris_day_bounds(paris_date(now) - timedelta(days=after_days))
    return start


async def fold_old_snapshots(
    uow_factory: UnitOfWorkFactory, clock: Clock, policy: StoragePolicy,
    chunk: int = FOLD_CHUNK,
) -> dict[str, int]:
    """Fold raw snapshots of Paris days more than 400 days old into daily figures
    (max, last, count), a chunk per transaction; history reads both."""
    cutoff = fold_cutoff(clock.now(), policy.fold_after_days)
    folded = 0
    while True:
        uow = uow_factory()
        async with uow:
            count = await uow.storage.fold_before(cutoff, limit=chunk)
            await uow.commit()
        folded += count
        if count < chunk:
            return {"folded": folded}


def _job_function(use_case: Any, policy: StoragePolicy) -> JobFunction:
    async def run(context: JobContext) -> dict[str, int]:
        return await use_case(context.uow_factory, context.clock, policy)

    return run


def _days_text(days: Sequence[int]) -> str:
    """(90, 30) → "90 and 30"."""
    *rest, last = (str(d) for d in days)
    return f"{', '.join(rest)} and {last}" if rest else last


def storage_jobs(policy: StoragePolicy) -> list[Job]:
    """The storage jobs, replayable with `convention-api jobs run NAME --at INSTANT`."""
    return [
        Job(
            name=REMINDERS_JOB,
            schedule=Every(timedelta(hours=1)),
            run=_job_function(send_critical_reminders, policy),
            description=f"Storage reminders every {policy.reminder_days} days of measured "
            "time while critical (R-STO-2, R-STO-1).",
        ),
        Job(
            name=RETRIEVAL_JOB,
            schedule=DailyAt(time(8, 0)),
            run=_job_function(send_retrieval_reminders, policy),
            description="Remind schools to retrieve their content "
            f"{_days_text(policy.retrieval_days)} days before the convention's access end "
            "(R-STO-4).",
        ),
        Job(
            name=FOLD_JOB,
            schedule=DailyAt(time(3, 30)),
            run=_job_function(fold_old_snapshots, policy),
            description="Fold raw storage snapshots older than 400 days into daily figures.",
        ),
    ]


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
