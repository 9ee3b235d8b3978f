"""July reminders to UT finance about the Region's yearly statement (R-BIL-2): from
1 July N+1 while N/N+1 has no issued version, then overdue from 16 July."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from app.domain.billing import StatementStatus, due_on, statement_number
from app.domain.calendar import AcademicYear, paris_date
from app.domain.enrolments import year_in_convention
from app.domain.formatting import french_amount, french_date
from app.domain.schedules import DailyAt
from app.ports.unit_of_work import UnitOfWork
from app.services.convention import load_clock
from app.services.jobs import Job, JobContext, JobFunction
from app.services.mail import queue_mail

REMINDER_JOB = "billing-statement-reminder"
OVERDUE_JOB = "billing-statement-overdue"


async def _unissued_year(uow: UnitOfWork, year: int, today: date) -> dict[str, Any] | None:
    """The mail context when N/N+1 has no issued version (None when it has one, or the
    year is outside the convention)."""
    if not year_in_convention(await load_clock(uow), year, today):
        return None
    versions = await uow.billing.of_year(year)
    if any(v.status is not StatementStatus.DRAFT for v in versions):
        return None
    draft = next((v for v in versions if v.status is StatementStatus.DRAFT), None)
    return {
        "academic_year": AcademicYear(year).label,
        "due_on": french_date(due_on(year)),
        "today": french_date(today),
        "draft": None if draft is None else {
            "number": draft.number,
            "generated_on": french_date(draft.generated_at),
            "total_students": draft.total_students,
            "total_amount": french_amount(draft.total_amount_cents),
        },
        "first_number": statement_number(year, 1),
    }


def _july_job(finance_email: str, *, template: str, first_day: int, last_day: int | None,
              count: str) -> JobFunction:
    """Mail UT finance once per year (dedupe key) when, between `first_day` and
    `last_day` of July N+1 (None: to the year's end), N/N+1 has no issued statement."""

    async def run(context: JobContext) -> dict[str, int]:
        today = paris_date(context.at)
        year = today.year - 1
        start = date(today.year, 7, first_day)
        end = date(today.year, 7, last_day) if last_day is not None else date(today.year, 12, 31)
        if not start <= today <= end:
            return {count: 0}
        uow = context.uow_factory()
        async with uow:
            mail_context = await _unissued_year(uow, year, today)
            if mail_context is None:
                return {count: 0}
            queued = await queue_mail(
                uow, now=context.clock.now(), template=template, to=[finance_email],
                context=mail_context, dedupe_key=f"{template}:{AcademicYear(year).label}",
            )
            await uow.commit()
        return {count: int(queued)}

    return run


def billing_jobs(*, finance_email: str) -> list[Job]:
    """From 1 July N+1, a reminder to UT finance when N/N+1's statement is not issued;
    from 16 July (past the 15 July due date, R-BIL-2), an overdue notice. Each at most
    once per year."""
    due_day = due_on(2000).day
    return [
        Job(
            name=REMINDER_JOB,
            schedule=DailyAt(time(8, 0)),
            run=_july_job(finance_email, template="billing-reminder", first_day=1,
                          last_day=due_day, count="reminded"),
            description=(
                "From 1 July, remind UT finance that the year's statement for the Region "
                "is due on 15 July when it is not issued (R-BIL-2)."
            ),
        ),
        Job(
            name=OVERDUE_JOB,
            schedule=DailyAt(time(8, 0)),
            run=_july_job(finance_email, template="billing-overdue", first_day=due_day + 1,
                          last_day=None, count="notified"),
            description=(
                "From 16 July, tell UT finance that the year's statement is overdue when it "
                "is still not issued (R-BIL-2)."
            ),
        ),
    ]
