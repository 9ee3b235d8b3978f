"""The support jobs: DAIP's hourly digest of requests at risk or breached (R-SUP-1),
and the automatic closure of silent answered requests (R-SUP-3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, time, timedelta

from app.domain.calendar import (
    paris_date,
    paris_day_start,
)
from app.domain.schedules import DailyAt, Every
from app.domain.support import (
    SILENCE_DAYS,
    SlaState,
    SupportClosure,
    SupportStatus,
    automatic_closure_at,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts import calendar_in
from app.services.jobs import Job, JobContext
from app.services.mail import queue_mail
from app.services.support.requests import (
    RESOURCE,
)
from app.services.support.sla import (
    SupportPolicy,
    SupportView,
    opening_clock,
    sla_view,
)

SUPPORT_DIGEST_JOB = "support-digest"


def _digest_item(view: SupportView) -> dict[str, object]:
    r = view.request
    return {
        "subject": r.subject or "(sans objet)",
        "from_email": r.from_email,
        "school_code": r.school_code or "établissement inconnu",
        "received_at": r.received_at,
        "response_due_at": r.response_due_at,
    }


async def send_digest(
    uow: UnitOfWork, clock: Clock, policy: SupportPolicy, *, daip_email: str
) -> dict[str, int]:
    """Queue DAIP's French digest of open requests at risk or past their deadline.
    Only while DAIP is open; at most one digest per hour (the dedupe key)."""
    now = clock.now()
    async with uow:
        hours = opening_clock(await calendar_in(uow))
        if not hours.is_open(now):
            return {"outside_opening_hours": 1, "queued": 0}
        opened = await uow.support_requests.open_requests()
        views = [sla_view(r, hours, now, policy) for r in opened]
        at_risk = [v for v in views if v.sla_state is SlaState.at_risk]
        breached = [v for v in views if v.sla_state is SlaState.breached]
        counts = {"at_risk": len(at_risk), "breached": len(breached), "queued": 0}
        if not at_risk and not breached:
            return counts
        by_due = sorted(at_risk + breached, key=lambda v: v.request.response_due_at)
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        queued = await queue_mail(
            uow, now=now, template="support-digest", to=[daip_email],
            dedupe_key=f"support-digest:{hour.isoformat()}",
            context={
                "now": now,
                "at_risk": [_digest_item(v) for v in by_due if v.sla_state is SlaState.at_risk],
                "breached": [
                    _digest_item(v) for v in by_due if v.sla_state is SlaState.breached
                ],
            },
        )
        counts["queued"] = int(queued)
        await uow.commit()
    return counts


def support_digest_job(policy: SupportPolicy, *, daip_email: str) -> Job:
    async def run(context: JobContext) -> dict[str, int]:
        return await send_digest(
            context.uow_factory(), context.clock, policy, daip_email=daip_email
        )

    return Job(
        name=SUPPORT_DIGEST_JOB,
        schedule=Every(timedelta(hours=1)),
        run=run,
        description="E-mail DAIP the support requests at risk or past their deadline "
        "(hourly, during opening hours only).",
    )


# ------------------------------------------------------------------------ automatic closure

SUPPORT_AUTO_CLOSE_JOB = "support-auto-close"


async def close_silent_requests(uow: UnitOfWork, clock: Clock, actor: Actor) -> dict[str, int]:
    """R-SUP-3: close each answered request with no message for 30 Paris calendar days,
    `closed_at` = 00:00 Paris of the 31st day after its last message's Paris date (not
    the run's instant), closure `automatic`; one audit event each."""
    now = clock.now()
    # Requests whose last message is on or after this Paris day are not due yet.
    bound = paris_day_start(paris_date(now) - timedelta(days=SILENCE_DAYS))
    closed = 0
    async with uow:
        for request in await uow.support_requests.answered_silent_before(bound):
            closed_at = automatic_closure_at(request.last_message)
            if closed_at > now:
                continue
            done = replace(request, status=SupportStatus.closed, closed_at=closed_at,
                           closure=SupportClosure.automatic)
            if not await uow.support_requests.transition(done, expected=SupportStatus.answered):
                continue  # closed by hand meanwhile
            await audit.record(
                uow, actor, now=now, action="support-request.closed", resource_type=RESOURCE,
                resource_id=request.id, old={"status": request.status},
                new={"status": done.status, "closed_at": closed_at, "closure": done.closure},
            )
            closed += 1
        await uow.commit()
    return {"closed": closed}


def support_auto_close_job() -> Job:
    async def run(context: JobContext) -> dict[str, int]:
        return await close_silent_requests(context.uow_factory(), context.clock,
                                           context.actor)

    return Job(
        name=SUPPORT_AUTO_CLOSE_JOB,
        schedule=DailyAt(time(0, 15)),
        run=run,
        description=f"Close answered support requests without a message for {SILENCE_DAYS} "
        "Paris days, at 00:00 of the next day (R-SUP-3).",
    )
