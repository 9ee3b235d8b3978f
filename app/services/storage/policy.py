"""The storage settings the use cases need, and the limits they apply (R-STO-2,
R-STO-4, R-UNIT-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.domain.storage import HYSTERESIS_BYTES, WARNING_PERCENT
from app.domain.storage_reminders import REMINDER_DAYS, RETRIEVAL_REMINDER_DAYS
from app.domain.units import GB

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
