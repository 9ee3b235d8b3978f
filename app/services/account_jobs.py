"""Periodic jobs of hosted accounts: the June campaign's opening and closing
(R-ACC-5) and the daily digest of UT's account team (R-ACC-4, R-REF-2).

Each is a use case of the job registry (app/services/jobs.py), run as of the job's
instant (`convention-api jobs run NAME --at INSTANT`)."""

from __future__ import annotations

from datetime import time, timedelta

from app.domain.calendar import paris_date
from app.domain.errors import Conflict
from app.domain.formatting import french_date
from app.domain.renewals import CampaignStatus, campaign_window, last_deadline
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schedules import DailyAt
from app.services import renewals
from app.services.jobs import Job, JobContext, JobFunction
from app.services.mail import queue_mail

CAMPAIGN_OPEN_JOB = "renewal-campaign-open"
CAMPAIGN_CLOSE_JOB = "renewal-campaign-close"
DIGEST_JOB = "account-digest"
DIGEST_HORIZON_DAYS = 3


def open_june_campaign(rules: Rules = DEFAULT_RULES):
    async def run(context: JobContext) -> dict[str, int]:
        """From 1 June (within the opening window), open the campaign for N/N+1 if
        nobody did. Nothing to do when it exists or the convention accepts no renewal."""
        today = paris_date(context.at)
        first, last = campaign_window(today.year)
        if not first <= today <= last:
            return {"opened": 0}
        try:
            _, created = await renewals.open_campaign(
                context.uow_factory(), context.clock, context.actor, today.year, rules
            )
        except Conflict as exc:
            if exc.code == "convention-not-active":
                return {"opened": 0, "convention_not_active": 1}
            raise
        return {"opened": int(created)}

    return run


async def close_june_campaigns(context: JobContext) -> dict[str, int]:
    """Close every campaign still open the day after its last deadline (1 July)."""
    today = paris_date(context.at)
    uow = context.uow_factory()
    async with uow:
        due = [c.academic_year for c in await uow.campaigns.open_campaigns()
               if c.status is CampaignStatus.OPEN and today > last_deadline(c)]
    for year in sorted(due):
        await renewals.close_campaign(context.uow_factory(), context.clock, context.actor, year)
    return {"closed": len(due)}


def digest_job(accounts_email: str) -> JobFunction:
    """The daily French digest to UT's account team: requests due within 3 days,
    overdue requests and overdue trainings (still without a proposal). No mail when
    the three lists are empty; one mail per Paris day (dedupe key)."""

    async def digest(context: JobContext) -> dict[str, int]:
        now = context.clock.now()
        today = paris_date(context.at)
        horizon = today + timedelta(days=DIGEST_HORIZON_DAYS)
        uow = context.uow_factory()
        async with uow:
            received = await uow.account_requests.received()
            due_soon = sorted((r for r in received if today <= r.due_on <= horizon),
                              key=lambda r: (r.due_on, r.ticket_ref))
            late = sorted((r for r in received if r.due_on < today),
                          key=lambda r: (r.due_on, r.ticket_ref))
            trainings = sorted((t for t in await uow.trainings.without_proposal()
                                if t.due_on < today),
                               key=lambda t: (t.due_on, t.uid))
            counts = {"due_soon": len(due_soon), "overdue_requests": len(late),
                      "overdue_trainings": len(trainings), "mailed": 0}
            if not (due_soon or late or trainings):
                return counts

            def request_row(r) -> dict[str, str]:
                return {"ticket_ref": r.ticket_ref, "school_code": r.school_code,
                        "kind": "référent" if r.kind.value == "referent" else "formateur",
                        "received_on": french_date(r.received_on),
                        "due_on": french_date(r.due_on)}

            counts["mailed"] = int(await queue_mail(
                uow, now=now, template="account-digest", to=[accounts_email],
                dedupe_key=f"account-digest:{today.isoformat()}",
                context={
                    "today": french_date(today),
                    "horizon": french_date(horizon),
                    "due_soon": [request_row(r) for r in due_soon],
                    "overdue_requests": [request_row(r) for r in late],
                    "overdue_trainings": [
                        {"uid": t.uid, "school_code": t.school_code,
                         "notified_on": french_date(t.daip_notified_on),
                         "due_on": french_date(t.due_on)}
                        for t in trainings
                    ],
                },
            ))
            await uow.commit()
        return counts

    return digest


def jobs(*, accounts_email: str, rules: Rules = DEFAULT_RULES) -> list[Job]:
    return [
        Job(
            name=CAMPAIGN_OPEN_JOB,
            schedule=DailyAt(time(6, 0)),
            run=open_june_campaign(rules),
            description="Open the June renewal campaign on 1 June if nobody did (R-ACC-5).",
        ),
        Job(
            name=CAMPAIGN_CLOSE_JOB,
            schedule=DailyAt(time(6, 0)),
            run=close_june_campaigns,
            description=(
                "Close a renewal campaign still open the day after its last deadline "
                "(1 July) and apply its decisions (R-ACC-5)."
            ),
        ),
        Job(
            name=DIGEST_JOB,
            schedule=DailyAt(time(7, 0)),
            run=digest_job(accounts_email),
            description=(
                "Daily digest to UT's account team: requests due within 3 days, overdue "
                "requests and trainings."
            ),
        ),
    ]
