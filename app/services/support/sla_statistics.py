"""SLA statistics of the support requests received in a period: overall, per school
and per Paris month (R-SUP-2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.domain.auth import Principal
from app.domain.calendar import (
    PARIS,
)
from app.domain.errors import InvalidInput
from app.domain.support import (
    SlaOutcome,
    SupportRequest,
    SupportStatus,
    compliance_ratio,
    median,
    nearest_rank_percentile,
    sla_outcome,
)
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services.visibility import school_filter


@dataclass
class SlaFigures:
    """Counts of one group. `compliance_ratio` = met / (met + breached + open_breached);
    the median and 90th percentile (nearest rank) are of business minutes to the first
    response, over answered requests. Closed unanswered requests count as received."""

    received: int = 0
    answered: int = 0
    met: int = 0
    breached: int = 0
    open_breached: int = 0
    minutes: list[float] = field(default_factory=list)

    def add(self, request: SupportRequest, now: datetime) -> None:
        self.received += 1
        if request.responded_at is not None:
            self.answered += 1
            if sla_outcome(request.response_due_at, request.responded_at) is SlaOutcome.met:
                self.met += 1
            else:
                self.breached += 1
            if request.business_seconds_to_response is not None:
                self.minutes.append(request.business_seconds_to_response / 60)
        elif request.status is SupportStatus.open and now > request.response_due_at:
            self.open_breached += 1

    @property
    def compliance_ratio(self) -> float | None:
        return compliance_ratio(self.met, self.breached, self.open_breached)

    @property
    def median_business_minutes(self) -> float | None:
        value = median(self.minutes)
        return None if value is None else round(value, 2)

    @property
    def p90_business_minutes(self) -> float | None:
        value = nearest_rank_percentile(self.minutes, 90)
        return None if value is None else round(value, 2)


@dataclass(frozen=True)
class SupportStats:
    overall: SlaFigures
    by_school: list[tuple[str | None, SlaFigures]]
    by_month: list[tuple[str, SlaFigures]]


def paris_month(instant: datetime) -> str:
    """`YYYY-MM` of the Europe/Paris date of `instant`."""
    return instant.astimezone(PARIS).strftime("%Y-%m")


async def statistics(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    start: datetime | None,
    end: datetime | None,
    school_code: str | None,
) -> SupportStats:
    """Requests received in [start, end): overall, per school and per Paris month of
    `received_at`. Open requests past their deadline now count as `open_breached`."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("`to` must be after `from`", code="invalid-period", field="to")
    overall = SlaFigures()
    schools: dict[str | None, SlaFigures] = {}
    months: dict[str, SlaFigures] = {}
    codes = school_filter(principal, school_code)
    if codes != []:
        now = clock.now()
        async with uow:
            requests = await uow.support_requests.received_between(
                start, end, school_codes=codes
            )
        for request in requests:
            overall.add(request, now)
            schools.setdefault(request.school_code, SlaFigures()).add(request, now)
            months.setdefault(paris_month(request.received_at), SlaFigures()).add(request, now)
    return SupportStats(
        overall=overall,
        by_school=sorted(schools.items(), key=lambda kv: (kv[0] is None, kv[0] or "")),
        by_month=sorted(months.items()),
    )
