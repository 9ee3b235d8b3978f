"""Snapshot ingestion (R-STO-1, R-STO-2, R-STO-3, R-TIME-5, R-CONV-2a): one transaction
per batch. Items are checked (school, R-TIME-5, age), inserted in one statement (the
unique key on `snapshot_id` decides, in this transaction: a resent snapshot is a
`duplicate`, the same id with other content a `snapshot-conflict`), then the levels
move for the latest accepted snapshot of each school only, and for the pool. A late
snapshot (measured before the latest one applied) is stored but changes neither usage
nor alerts (R-STO-3). Each rise queues one French mail (`alerts`); a fall is recorded
as `cleared`, without mail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from app.domain.auth import Principal
from app.domain.calendar import is_ahead_of_clock, paris_date
from app.domain.errors import InvalidInput
from app.domain.schools import BeneficiaryPeriod, is_beneficiary_for
from app.domain.storage import (
    AlertEvent,
    Snapshot,
    apply_snapshot,
    is_late_snapshot,
    pool_level_after,
)
from app.ports.clock import Clock
from app.ports.storage import POOL_KEY, StorageAlert, StoredLevel, school_key
from app.ports.unit_of_work import UnitOfWork
from app.services.convention import load_clock
from app.services.schools import beneficiary_periods
from app.services.storage.alerts import (
    record_alerts,
    terms_at,
)
from app.services.storage.policy import (
    MAX_BATCH_ITEMS,
    StoragePolicy,
)
from app.services.visibility import sees

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
        threshold = terms_at(convention, snapshot.measured_at).school_alert_threshold_bytes
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
    capacity = terms_at(convention, at).storage_capacity_bytes
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
    return await record_alerts(uow, now, policy, convention, raised)
