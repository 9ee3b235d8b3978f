"""Opening a June campaign with the French mail to each school's referents, and
its answer deadlines (R-ACC-5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.domain.accounts import (
    RoleKind,
)
from app.domain.calendar import paris_date
from app.domain.formatting import french_date
from app.domain.renewals import (
    Campaign,
    CampaignStatus,
    ListedPerson,
    campaign_deadlines,
    ending_on,
    ensure_campaign_can_open,
    renewed_until,
)
from app.domain.rules import DEFAULT_RULES, Rules
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.mail import queue_mail
from app.services.renewals.listing import (
    CampaignSummary,
    campaign_of,
    people_under_review,
    summary_of,
)
from app.services.visibility import ensure_unconfined


async def open_campaign(
    uow: UnitOfWork, clock: Clock, actor: Actor, year: int, rules: Rules = DEFAULT_RULES
) -> tuple[CampaignSummary, bool]:
    """Open the campaign for N/N+1 (1–25 June N) and queue the French mail to each
    school's referents. (summary, created); an existing campaign is returned as is."""
    ensure_unconfined(actor.principal, "renewal campaigns")
    now = clock.now()
    today = paris_date(now)
    async with uow:
        existing = await uow.campaigns.get(year)
        if existing is not None:
            return await summary_of(uow, existing), False
        ensure_campaign_can_open(year, today, await load_clock(uow))
        referent_deadline, trainer_deadline = campaign_deadlines(
            year, referents=rules.referent_answer_deadline,
            trainers=rules.trainer_answer_deadline,
        )
        campaign = Campaign(
            academic_year=year, status=CampaignStatus.OPEN,
            referent_deadline=referent_deadline, trainer_deadline=trainer_deadline,
            opened_at=now, closed_at=None,
        )
        if not await uow.campaigns.add(campaign):  # a concurrent opening won
            await uow.rollback()
            return await summary_of(uow, await campaign_of(uow, year)), False
        mailed = await _announce(uow, campaign, today, now)
        await audit.record(
            uow, actor, now=now, action="renewal-campaign.opened",
            resource_type="renewal_campaign", resource_id=campaign.label,
            new={"status": campaign.status, "referent_deadline": referent_deadline,
                 "trainer_deadline": trainer_deadline, "schools_mailed": mailed},
        )
        await uow.commit()
    return CampaignSummary(campaign, 0, 0), True


class CampaignDeadlines:
    """R-ACC-5: the answer deadlines of campaigns still open follow the
    `REFERENT_ANSWER_DEADLINE` and `TRAINER_ANSWER_DEADLINE` readings in force (run at
    start-up with the other open deadlines); a closed campaign keeps its own."""

    name = "renewal-campaigns"

    def __init__(self, rules: Rules = DEFAULT_RULES):
        self.rules = rules

    async def recompute(self, uow: UnitOfWork, *, calendar: object, now: datetime) -> int:
        changed = 0
        for campaign in await uow.campaigns.open_campaigns():
            deadlines = campaign_deadlines(
                campaign.academic_year, referents=self.rules.referent_answer_deadline,
                trainers=self.rules.trainer_answer_deadline,
            )
            if deadlines != (campaign.referent_deadline, campaign.trainer_deadline):
                await uow.campaigns.set_deadlines(campaign.academic_year, *deadlines)
                changed += 1
        return changed


async def _announce(uow: UnitOfWork, campaign: Campaign, today: date, now: datetime) -> int:
    """Queue one mail per school that has people to review and referents to tell."""
    mailed = 0
    for school in await uow.schools.list(codes=None, after=None, limit=10_000):
        people = await people_under_review(uow, campaign.academic_year, school.code, set())
        if not people:
            continue
        recipients: list[str] = []
        for role in await uow.accounts.school_roles(school.code, RoleKind.REFERENT):
            if role.valid_from <= today <= role.valid_until:
                account = await uow.accounts.get(role.uid)
                if account and account.erased_at is None and account.email not in recipients:
                    recipients.append(account.email)
        if not recipients:
            continue
        await queue_mail(
            uow, now=now, template="renewal-campaign", to=recipients,
            dedupe_key=f"renewal-campaign:{campaign.label}:{school.code}",
            context={
                "school_name": school.name,
                "academic_year": campaign.label.replace("-", "/"),
                "ends_on": french_date(ending_on(campaign.academic_year)),
                "renewed_until": french_date(renewed_until(campaign.academic_year)),
                "referents": _mail_rows(people, RoleKind.REFERENT),
                "trainers": _mail_rows(people, RoleKind.TRAINER),
                "referent_deadline": french_date(campaign.referent_deadline),
                "trainer_deadline": french_date(campaign.trainer_deadline),
            },
        )
        mailed += 1
    return mailed


def _mail_rows(people: Sequence[ListedPerson], kind: RoleKind) -> list[dict[str, str]]:
    return [
        {"uid": p.uid, "given_name": p.given_name, "family_name": p.family_name,
         "valid_until": french_date(p.valid_until)}
        for p in people if p.kind is kind
    ]
