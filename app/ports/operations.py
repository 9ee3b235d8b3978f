"""What `/metrics` reports beyond the requests, read by `app.services.operations` and
exposed by `app/adapters/operational_metrics`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.domain.storage import Level


@dataclass(frozen=True)
class OperationalState:
    outbox_backlog: int
    """Messages still to deliver: pending or retrying."""
    outbox_dead: int
    """Messages given up (5xx or attempts exhausted)."""
    job_last_success: dict[str, datetime]
    """Job name → when its latest successful run finished (absent: never succeeded)."""
    school_levels: dict[str, Level]
    """School code → current storage alert level (schools never measured are absent)."""
    pool_level: Level | None
    """The shared pool's level (R-STO-1), None before the first measurement."""
