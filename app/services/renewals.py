"""June renewal campaigns (R-ACC-5, R-REF-1): opening (with the French mail to each
school's referents), the per-school listing and decisions, closing.

Every change is audited in its own transaction. The R-REF-1 count is the one of
app/services/accounts.referent_count, with the proposed `renew` decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from app.domain.accounts import (
    Role,
    RoleKind,
    StoredRole,
    ensure_referent_count_allowed,
    renew_valid_until,
)
from app.domain.auth import SYSTEM, Principal
from app.domain.calendar import AcademicYear, paris_date
from app.domain.errors import NotFound, PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.renewals import (
    Campaign,
    CampaignStatus,
    Decision,
    ListedPerson,
    PersonKey,
    campaign_deadlines,
    ending_on,
    ensure_campaign_can_open,
    ensure_closable,
    listing_etag,
    merge_decisions,
    open_kinds,
    renewed_until,
    renews_at_closing,
    schools_without_referent,
)
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import BeneficiaryPeriod, ensure_beneficiary, is_beneficiary_for
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts import referent_count
from app.services.convention import load_clock
from app.services.mail import french_date, queue_mail
from app.services.schools import beneficiary_of, beneficiary_periods
from app.services.visibility import ensure_unconfined, sees, visible_or_404

KINDS = (RoleKind.REFERENT, RoleKind.TRAINER)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    renew_decisions: int
    remove_decisions: int
    schools_without_referent: tuple[str, ...] | None = None
    """R-REF-1b, in the answer of a closing only."""


@dataclass(frozen=True)
class SchoolListing:
    campaign: Campaign
    school_code: str
    people: list[ListedPerson]
    decisions: dict[PersonKey, Decision]
    open_kinds: frozenset[RoleKind]
    etag: str


async def _campaign(uow: UnitOfWork, year: int, *, for_update: bool = False) -> Campaign:
    campaign = await uow.campaigns.get(year, for_update=for_update)
    if campaign is None:
        raise NotFound("no campaign for this academic year")
    return campaign


async def _summary(
    uow: UnitOfWork, campaign: Campaign, principal: Principal = SYSTEM
) -> CampaignSummary:
    """The campaign and its decisions counted over the schools `principal` sees."""
    decisions = [d for d in await uow.campaigns.decisions(campaign.academic_year)
                 if sees(principal, d[0])]
    renew = sum(1 for *_, d in decisions if d is Decision.RENEW)
    return CampaignSummary(campaign, renew, len(decisions) - renew)


async def get_campaign(uow: UnitOfWork, principal: Principal, year: int) -> CampaignSummary:
    async with uow:
        return await _summary(uow, await _campaign(uow, year), principal)


def _candidate(roles: Sequence[StoredRole]) -> StoredRole:
    """A person's role of one kind in one school that the campaign is about: the one
    that lasts longest."""
    return max(roles, key=lambda r: (r.valid_until, r.valid_from, r.id))


async def _people(
    uow: UnitOfWork, year: int, school_code: str, decided: set[PersonKey]
) -> list[ListedPerson]:
    """The school's referents and trainers whose roles end on 31 Aug N; once renewed
    (valid until 31 Aug N+1), those with a stored decision stay listed."""
    end, renewed = ending_on(year), renewed_until(year)
    candidates: list[tuple[PersonKey, StoredRole]] = []
    for kind in KINDS:
        by_uid: dict[str, list[StoredRole]] = defaultdict(list)
        for role in await uow.accounts.school_roles(school_code, kind):
            by_uid[role.uid].append(role)
        for uid, roles in by_uid.items():
            role = _candidate(roles)
            if role.valid_until == end or (
                (uid, kind) in decided and role.valid_until == renewed
            ):
                candidates.append(((uid, kind), role))
    people: list[ListedPerson] = []
    for (uid, kind), role in candidates:
        account = await uow.accounts.get(uid)
        if account is None or account.erased_at is not None:
            continue
        people.append(
            ListedPerson(uid=uid, kind=kind, given_name=account.given_name,
                         family_name=account.family_name, valid_until=role.valid_until,
                         role_id=role.id)
        )
    people.sort(key=lambda p: (p.kind.value, p.family_name, p.given_name, p.uid))
    return people


async def _stored(uow: UnitOfWork, year: int, school_code: str) -> dict[PersonKey, Decision]:
    return {
        (uid, kind): decision
        for _, uid, kind, decision in await uow.campaigns.decisions(year, school_code)
    }


async def _listing(
    uow: UnitOfWork, campaign: Campaign, school_code: str, today: date
) -> SchoolListing:
    year = campaign.academic_year
    decisions = await _stored(uow, year, school_code)
    people = await _people(uow, year, school_code, set(decisions))
    return SchoolListing(
        campaign=campaign, school_code=school_code, people=people, decisions=decisions,
        open_kinds=open_kinds(campaign, today),
        etag=listing_etag(year, school_code, people, decisions, campaign.status),
    )


async def _visible_school(uow: UnitOfWork, principal: Principal, school_code: str) -> None:
    visible_or_404(principal, await uow.schools.get(school_code), lambda s: s.code,
                   "no such school")


async def school_listing(
    uow: UnitOfWork, clock: Clock, principal: Principal, year: int, school_code: str
) -> SchoolListing:
    today = paris_date(clock.now())
    async with uow:
        await _visible_school(uow, principal, school_code)
        return await _listing(uow, await _campaign(uow, year), school_code, today)


# ---------------------------------------------------------------- opening


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
            return await _summary(uow, existing), False
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
            return await _summary(uow, await _campaign(uow, year)), False
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
        people = await _people(uow, campaign.academic_year, school.code, set())
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


# ---------------------------------------------------------------- decisions


def _renews(decisions: dict[PersonKey, Decision], kind: RoleKind) -> int:
    return sum(1 for (_, k), d in decisions.items() if k is kind and d is Decision.RENEW)


def _plain(decisions: dict[PersonKey, Decision]) -> dict[str, str]:
    return {f"{uid}/{kind.value}": d.value for (uid, kind), d in sorted(decisions.items())}


async def _check_referents(
    uow: UnitOfWork, campaign: Campaign, school_code: str, today: date, renews: int
) -> None:
    """R-REF-1 for the year the campaign renews into, with `renews` renew decisions."""
    count = await referent_count(
        uow, school_code=school_code, year=campaign.academic_year, checked_on=today,
        renew_decisions=renews,
    )
    ensure_referent_count_allowed(count)


async def replace_decisions(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    year: int,
    school_code: str,
    *,
    if_match: Precondition,
    decisions: Sequence[tuple[str, RoleKind, Decision]],
) -> SchoolListing:
    """Replace the school's decisions for the kinds still open. A stale `if_match` is a
    412, except for a retry that asks for exactly the stored decisions (200)."""
    now = clock.now()
    today = paris_date(now)
    async with uow:
        await _visible_school(uow, actor.principal, school_code)
        ensure_beneficiary(
            await beneficiary_of(uow, school_code, (await load_clock(uow)).amendments),
            event_on=today, call_on=today,
        )
        # The campaign's row before the school's: the order of closing (which locks the
        # campaign, then each school it renews in), so the two never deadlock.
        campaign = await _campaign(uow, year, for_update=True)
        await uow.accounts.lock_school(school_code)
        listing = await _listing(uow, campaign, school_code, today)
        wanted = merge_decisions(
            listed=[(p.uid, p.kind) for p in listing.people], stored=listing.decisions,
            proposed=decisions, open_kinds=listing.open_kinds,
        )
        if wanted == listing.decisions:
            return listing
        if not if_match.accepts(listing.etag.strip('"')):
            raise PreconditionFailed(
                "the decisions changed since they were read (If-Match is stale)",
                code="precondition-failed",
            )
        referents_before = {k: v for k, v in listing.decisions.items()
                            if k[1] is RoleKind.REFERENT}
        referents_after = {k: v for k, v in wanted.items() if k[1] is RoleKind.REFERENT}
        if referents_after != referents_before:
            await _check_referents(
                uow, campaign, school_code, today, _renews(wanted, RoleKind.REFERENT)
            )
        await uow.campaigns.replace_decisions(
            year, school_code, sorted(listing.open_kinds),
            [(uid, kind, d) for (uid, kind), d in wanted.items()], now,
        )
        await audit.record(
            uow, actor, now=now, action="renewal-decisions.replaced",
            resource_type="renewal_campaign", resource_id=f"{campaign.label}/{school_code}",
            old={"decisions": _plain(listing.decisions)}, new={"decisions": _plain(wanted)},
        )
        result = await _listing(uow, campaign, school_code, today)
        await uow.commit()
    return result


# ---------------------------------------------------------------- closing


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
        campaign = await _campaign(uow, year, for_update=True)
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
            closed = await _campaign(uow, year)
            await audit.record(
                uow, actor, now=now, action="renewal-campaign.closed",
                resource_type="renewal_campaign", resource_id=campaign.label,
                old={"status": campaign.status}, new={"status": closed.status},
            )
            campaign = closed
        summary = replace(await _summary(uow, campaign),
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
    people = {(p.uid, p.kind): p for p in await _people(uow, year, school_code, set())}
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


def parse_year(label: str) -> int:
    """A malformed academic year → 422 `invalid-academic-year`."""
    return AcademicYear.parse(label).start_year
