"""Due dates of account requests and referent trainings on UT's working-day
calendar (R-TIME-3, R-TIME-4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from app.domain.account_requests import (
    account_due_on,
)
from app.domain.calendar import (
    Closure,
    WorkingCalendar,
)
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.trainings import training_due_on
from app.ports.unit_of_work import UnitOfWork


async def calendar_in(uow: UnitOfWork) -> WorkingCalendar:
    """Today's working-day calendar, read inside the caller's transaction."""
    return WorkingCalendar(c for _, c in await uow.closures.list())


async def deadline_calendar(uow: UnitOfWork, rules: Rules) -> WorkingCalendar:
    """The calendar of account and training deadlines, read in the caller's transaction."""
    return calendar_of([c for _, c in await uow.closures.list()], rules)


def calendar_of(closures: Iterable[Closure], rules: Rules) -> WorkingCalendar:
    """The calendar of account and training deadlines: with UT's `closures` unless the
    R-TIME-3 reading limits closures to support deadlines."""
    if rules.closures_for_all_deadlines:
        return WorkingCalendar(closures)
    return WorkingCalendar()


class RequestDeadlines:
    """R-TIME-4: due dates of requests still received and trainings still without a
    proposal, recomputed when closures change and at start-up (a changed R-TIME-3
    reading moves them)."""

    name = "account-requests-and-trainings"

    def __init__(self, rules: Rules = DEFAULT_RULES):
        self.rules = rules

    async def recompute(self, uow: UnitOfWork, *, calendar: WorkingCalendar, now: datetime) -> int:
        if not self.rules.closures_for_all_deadlines:
            calendar = WorkingCalendar()  # R-TIME-3 reading: closures do not count here
        changed = 0
        for request in await uow.account_requests.received():
            due = account_due_on(calendar, request.received_on)
            if due != request.due_on:
                await uow.account_requests.set_due_on(request.id, due)
                changed += 1
        for training in await uow.trainings.without_proposal():
            due = training_due_on(calendar, training.daip_notified_on)
            if due != training.due_on:
                await uow.trainings.update(replace(training, due_on=due))
                changed += 1
        return changed
