"""Support requests: the response deadline's outcome, live SLA state and statistics
(R-SUP-1, R-SUP-2). Pure: ``now`` and the opening-hours clock are arguments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from app.domain.calendar import paris_date, paris_day_start
from app.domain.errors import InvalidInput
from app.domain.opening_hours import OpeningHoursClock

__all__ = [
    "SILENCE_DAYS",
    "SlaOutcome",
    "SlaState",
    "SupportClosure",
    "SupportStatus",
    "automatic_closure_at",
    "compliance_ratio",
    "median",
    "nearest_rank_percentile",
    "sla_outcome",
    "sla_state",
    "validate_closure_order",
    "validate_response_order",
]


class SupportStatus(StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"


class SupportClosure(StrEnum):
    """How a closed request was closed (automatically: `automatic_closure_at`)."""

    manual = "manual"
    automatic = "automatic"


@dataclass(frozen=True)
class SupportRequest:
    """A support e-mail to DAIP, its answer deadline (`OpeningHoursClock`) and what became
    of it (`sla_outcome`)."""

    id: str
    message_id: str
    content_sha256: str
    received_at: datetime
    from_email: str
    subject: str
    school_code: str | None
    response_due_at: datetime
    status: SupportStatus
    responded_at: datetime | None
    closed_at: datetime | None
    business_seconds_to_response: int | None
    created_at: datetime
    erased_at: datetime | None = None
    last_message_at: datetime | None = None
    """R-SUP-3: the latest message recorded on it (reception, response, follow-up)."""
    closure: SupportClosure | None = None

    @property
    def last_message(self) -> datetime:
        return self.last_message_at or self.responded_at or self.received_at


SILENCE_DAYS = 30
"""R-SUP-3: Paris calendar days without a message after which an answered request closes."""


def automatic_closure_at(last_message_at: datetime) -> datetime:
    """R-SUP-3: an answered request with no message for 30 Paris calendar days closes at
    00:00 Paris of the 31st day after the Paris date of its last message, whatever time
    the job runs (answered 2026-03-10 15:00 → 2026-04-10T00:00+02:00, across the DST
    change; a last message at 23:30 Paris on 31 Jan → 3 Mar 00:00, or 2 Mar in a leap
    year). Returned in UTC."""
    return paris_day_start(paris_date(last_message_at) + timedelta(days=SILENCE_DAYS + 1))


class SlaState(StrEnum):
    on_track = "on_track"
    at_risk = "at_risk"
    breached = "breached"
    met = "met"


class SlaOutcome(StrEnum):
    met = "met"
    breached = "breached"


def _utc(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


def sla_outcome(response_due_at: datetime, responded_at: datetime) -> SlaOutcome:
    """R-SUP-2: met when the first response is sent at or before the deadline."""
    due = _utc(response_due_at, "response_due_at")
    responded = _utc(responded_at, "responded_at")
    return SlaOutcome.met if responded <= due else SlaOutcome.breached


def sla_state(
    *,
    status: SupportStatus | str,
    received_at: datetime,
    response_due_at: datetime,
    responded_at: datetime | None,
    now: datetime,
    clock: OpeningHoursClock,
    budget_seconds: int,
    at_risk_ratio: float = 0.25,
) -> SlaState | None:
    """The SLA state of a request at ``now``.

    - A request with a first response (answered, or closed after an answer) keeps the
      outcome of that response: ``met`` or ``breached`` (the response decides, whatever
      the status says).
    - A request closed without an answer has no state (None).
    - An open request is ``breached`` once ``now`` is after the deadline, ``at_risk``
      while the opening time left before the deadline is below ``at_risk_ratio`` of the
      budget (at the deadline itself, 0 s are left: ``at_risk``), else ``on_track``.
    """
    status = SupportStatus(status)
    if not 0 <= at_risk_ratio <= 1:
        raise ValueError("at_risk_ratio must be between 0 and 1")
    if budget_seconds <= 0:
        raise ValueError("budget_seconds must be positive")
    _utc(received_at, "received_at")
    due = _utc(response_due_at, "response_due_at")
    current = _utc(now, "now")

    if responded_at is not None:
        return SlaState(sla_outcome(due, responded_at).value)
    if status is SupportStatus.answered:
        raise ValueError("an answered request has a response instant")
    if status is SupportStatus.closed:
        return None

    if current > due:
        return SlaState.breached
    remaining = clock.business_seconds_between(current, due)
    if remaining < at_risk_ratio * budget_seconds:
        return SlaState.at_risk
    return SlaState.on_track


def nearest_rank_percentile(values: Sequence[int | float], p: float) -> float | None:
    """The p-th percentile by the nearest-rank method; None for no values.

    rank = ceil(p / 100 × n), 1-based, computed exactly (p = 10 of 30 values is rank 3,
    not 4 through float rounding); p = 0 gives the smallest value.
    """
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    rank = max(1, math.ceil(Fraction(str(p)) * n / 100))
    return float(ordered[rank - 1])


def median(values: Sequence[int | float]) -> float | None:
    """The nearest-rank 50th percentile (a value of the sample, never an average)."""
    return nearest_rank_percentile(values, 50)


def compliance_ratio(met: int, breached: int, open_breached: int) -> float | None:
    """met / (met + breached + open_breached); None when nothing counts yet."""
    if met < 0 or breached < 0 or open_breached < 0:
        raise ValueError("counts are non-negative")
    denominator = met + breached + open_breached
    if denominator == 0:
        return None
    return met / denominator


def validate_response_order(received_at: datetime, responded_at: datetime) -> None:
    """A response cannot precede the receipt (422 ``out-of-order``)."""
    if _utc(responded_at, "responded_at") < _utc(received_at, "received_at"):
        raise InvalidInput(
            "the response is dated before the request was received",
            code="out-of-order",
            field="responded_at",
        )


def validate_closure_order(
    received_at: datetime, responded_at: datetime | None, closed_at: datetime
) -> None:
    """A closure cannot precede the receipt nor the response (422 ``out-of-order``)."""
    received = _utc(received_at, "received_at")
    closed = _utc(closed_at, "closed_at")
    if closed < received:
        raise InvalidInput(
            "the closure is dated before the request was received",
            code="out-of-order",
            field="closed_at",
        )
    if responded_at is not None:
        validate_response_order(received_at, responded_at)
        if closed < _utc(responded_at, "responded_at"):
            raise InvalidInput(
                "the closure is dated before the response",
                code="out-of-order",
                field="closed_at",
            )
