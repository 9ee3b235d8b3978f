"""The answer deadline on DAIP's opening hours and the live SLA state of a request
(R-SUP-1, R-SUP-2, R-TIME-1, R-TIME-3). Deadlines are counted on today's calendar
(public holidays and stored UT closures) and stored; a change of closures recomputes
those of open requests (`SupportDeadlines`); answered and closed requests keep the
deadline they were answered against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.domain.calendar import (
    WorkingCalendar,
)
from app.domain.errors import InvalidInput
from app.domain.opening_hours import (
    BUDGET_SECONDS,
    DeadlineReading,
    OpeningHoursClock,
    response_due_at,
)
from app.domain.support import (
    SlaOutcome,
    SlaState,
    SupportRequest,
    sla_outcome,
    sla_state,
)
from app.ports.support import SlaFilter
from app.ports.unit_of_work import UnitOfWork
from app.services.accounts import calendar_in


@dataclass(frozen=True)
class SupportPolicy:
    """The settings of R-SUP-1 and R-TIME-5 the use cases need."""

    reading: DeadlineReading = DeadlineReading.two_opening_days
    at_risk_ratio: float = 0.25
    skew_seconds: int = 300

    @property
    def budget_seconds(self) -> int:
        return BUDGET_SECONDS[self.reading]

    def risk_threshold_seconds(self) -> int:
        """The least whole number of opening seconds left that is not "at risk"."""
        return math.ceil(self.at_risk_ratio * self.budget_seconds)


@dataclass(frozen=True)
class SupportView:
    """A request with its SLA state and outcome evaluated now."""

    request: SupportRequest
    sla_state: SlaState | None
    sla_outcome: SlaOutcome | None




def opening_clock(calendar: WorkingCalendar) -> OpeningHoursClock:
    """DAIP's opening hours (Mon–Fri 08:30–17:30 Europe/Paris) on `calendar`."""
    return OpeningHoursClock(calendar)


def utc_instant(instant: datetime, field: str) -> datetime:
    """`instant` in UTC; one that UTC cannot represent (year 1 or 9999 edges) → 422."""
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(
            "this instant is out of the supported range", code="instant-out-of-range",
            field=field,
        ) from None


def response_deadline(
    received_at: datetime, hours: OpeningHoursClock, reading: DeadlineReading
) -> datetime:
    """`response_due_at`; an instant whose deadline cannot be represented → 422."""
    try:
        return response_due_at(received_at, hours, reading)
    except (OverflowError, ValueError):
        raise InvalidInput(
            "no deadline can be computed for this instant", code="instant-out-of-range",
            field="received_at",
        ) from None




def sla_view(
    request: SupportRequest, clock: OpeningHoursClock, now: datetime, policy: SupportPolicy
) -> SupportView:
    state = sla_state(
        status=request.status,
        received_at=request.received_at,
        response_due_at=request.response_due_at,
        responded_at=request.responded_at,
        now=now,
        clock=clock,
        budget_seconds=policy.budget_seconds,
        at_risk_ratio=policy.at_risk_ratio,
    )
    outcome = (
        sla_outcome(request.response_due_at, request.responded_at)
        if request.responded_at is not None
        else None
    )
    return SupportView(request, state, outcome)


async def sla_views(
    uow: UnitOfWork, requests: Sequence[SupportRequest], now: datetime, policy: SupportPolicy
) -> list[SupportView]:
    clock = opening_clock(await calendar_in(uow))
    return [sla_view(r, clock, now, policy) for r in requests]


def sla_filter(
    state: SlaState, *, now: datetime, clock: OpeningHoursClock, policy: SupportPolicy
) -> SlaFilter:
    """The instants that split open requests into breached / at_risk / on_track at
    `now`, exactly as `sla_state` does: fewer than ⌈ratio × budget⌉ whole opening
    seconds left ⇔ due before `clock.add(now, ⌈ratio × budget⌉)`."""
    return SlaFilter(
        state=state.value,
        now=now,
        risk_until=clock.add(now, policy.risk_threshold_seconds()),
    )




async def support_deadline(
    uow: UnitOfWork, *, received_at: datetime, policy: SupportPolicy
) -> datetime:
    """R-SUP-1: the response deadline of a request received at `received_at`, with
    today's closures."""
    async with uow:
        calendar = await calendar_in(uow)
    return response_deadline(received_at, opening_clock(calendar), policy.reading)



class SupportDeadlines:
    """R-SUP-2: deadlines of open (unanswered) requests, recomputed when closures
    change; answered and closed requests keep theirs."""

    name = "support-requests"

    def __init__(self, policy: SupportPolicy):
        self.policy = policy

    async def recompute(self, uow: UnitOfWork, *, calendar: WorkingCalendar, now: datetime) -> int:
        hours = opening_clock(calendar)
        changed = 0
        for request in await uow.support_requests.open_requests():
            due = response_due_at(request.received_at, hours, self.policy.reading)
            if due != request.response_due_at:
                await uow.support_requests.set_response_due_at(request.id, due)
                changed += 1
        return changed
