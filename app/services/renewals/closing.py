"""Closing a campaign: renewals applied, schools left without referent (R-REF-1b)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from app.domain.accounts import (
    Role,
    RoleKind,
    renew_valid_until,
)
from app.domain.calendar import AcademicYear, paris_date
from app.domain.renewals import (
    Campaign,
    CampaignStatus,
    Decision,
    PersonKey,
    ensure_closable,
    renewed_until,
    renews_at_closing,
    schools_without_referent,
)
from app.domain.schools import BeneficiaryPeriod, is_beneficiary_for
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.renewals.listing import (
    CampaignSummary,
    campaign_of,
    people_under_review,
    summary_of,
)
from app.services.schools import beneficiary_periods
from app.services.visibility import ensure_unconfined


async def close_campaign(
    uow: UnitOfWork, clock: Clock, actor: Actor, year: int
) -> CampaignSummary:
    """Apply the stored decisions in one transaction (after both deadlines, R-ACC-5):
    renewed roles are valid until 31 Aug N+1 (never shortened), the others keep
    31 Aug N. Never refused by R-REF-1 (R-REF-1b: decisions were checked when saved);
    nothing is renewed on or after a termination's effective date, nor for a school no
    longer a beneficiary (`BeneficiaryPeriod`). The answer lists the
    schools left with no referent for N/N+1. A closed campaign answers again."""
    ensure_unconfined(actor.principal, "renewal campaigns")
    now = clock.now()
    today = paris_date(now)
    async with uow:
        campaign = await campaign_of(uow, year, for_update=True)
        if campaign.status is not CampaignStatus.CLOSED:
            ensure_closable(campaign, today)
            convention = await load_clock(uow)
            by_school: dict[str, dict[PersonKey, Decision]] = defaultdict(dict)
            if renews_at_closing(today, convention):
                for school_code, uid, kind, decision in await uow.campaigns.decisions(year):
                    by_school[school_code][(uid, kind)] = decision
            periods = await beneficiary_periods(uow, by_school)
            for school_code in sorted(by_school):
                if not is_beneficiary_for(periods.get(school_code, BeneficiaryPeriod()),
                                          event_on=today, call_on=today):
                    continue
                await _apply(uow, actor, campaign, school_code, by_school[school_code], now)
            await uow.campaigns.close(year, now)
            closed = await campaign_of(uow, year)
            await audit.record(
                uow, actor, now=now, action="renewal-campaign.closed",
                resource_type="renewal_campaign", resource_id=campaign.label,
                old={"status": campaign.status}, new={"status": closed.status},
            )
            campaign = closed
        summary = replace(await summary_of(uow, campaign),
                          schools_without_referent=tuple(await _without_referent(uow, year)))
        await uow.commit()
    return summary


async def _without_referent(uow: UnitOfWork, year: int) -> list[str]:
    """R-REF-1b: schools with no referent role (of a non-erased account) valid on some
    day of N/N+1, as the stored roles stand now."""
    access_end = (await load_clock(uow)).status_on(AcademicYear(year).starts_on)
    roles: dict[str, list[Role]] = {}
    erased: dict[str, bool] = {}
    for school in await uow.schools.list(codes=None, after=None, limit=10_000):
        roles[school.code] = []
        for stored in await uow.accounts.school_roles(school.code, RoleKind.REFERENT):
            if stored.uid not in erased:
                account = await uow.accounts.get(stored.uid)
                erased[stored.uid] = account is None or account.erased_at is not None
            if not erased[stored.uid]:
                roles[school.code].append(Role(kind=stored.kind, school_code=school.code,
                                               valid_from=stored.valid_from,
                                               valid_until=stored.valid_until))
    return schools_without_referent(roles, year, access_end.prospective_access_end_on)


async def _apply(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, school_code: str,
    decisions: dict[PersonKey, Decision], now: datetime,
) -> None:
    year = campaign.academic_year
    people = {(p.uid, p.kind): p for p in await people_under_review(uow, year, school_code, set())}
    for key, decision in sorted(decisions.items()):
        person = people.get(key)
        if decision is not Decision.RENEW or person is None:
            continue
        until = renew_valid_until(person.valid_until, renewed_until(year))
        if until == person.valid_until:
            continue
        await uow.accounts.set_valid_until(person.role_id, until, now=now)
        await audit.record(
            uow, actor, now=now, action="role.renewed", resource_type="account",
            resource_id=person.uid,
            old={"kind": person.kind, "school_code": school_code,
                 "valid_until": person.valid_until},
            new={"kind": person.kind, "school_code": school_code, "valid_until": until},
        )
