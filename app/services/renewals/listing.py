"""A campaign and a school's listing of the people it reviews (R-ACC-5)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.accounts import (
    RoleKind,
    StoredRole,
)
from app.domain.auth import SYSTEM, Principal
from app.domain.calendar import AcademicYear, paris_date
from app.domain.errors import NotFound
from app.domain.renewals import (
    Campaign,
    Decision,
    ListedPerson,
    PersonKey,
    ending_on,
    listing_etag,
    open_kinds,
    renewed_until,
)
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services.visibility import school_or_404, sees

KINDS = (RoleKind.REFERENT, RoleKind.TRAINER)


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


async def campaign_of(uow: UnitOfWork, year: int, *, for_update: bool = False) -> Campaign:
    campaign = await uow.campaigns.get(year, for_update=for_update)
    if campaign is None:
        raise NotFound("no campaign for this academic year")
    return campaign


async def summary_of(
    uow: UnitOfWork, campaign: Campaign, principal: Principal = SYSTEM
) -> CampaignSummary:
    """The campaign and its decisions counted over the schools `principal` sees."""
    decisions = [d for d in await uow.campaigns.decisions(campaign.academic_year)
                 if sees(principal, d[0])]
    renew = sum(1 for *_, d in decisions if d is Decision.RENEW)
    return CampaignSummary(campaign, renew, len(decisions) - renew)


async def get_campaign(uow: UnitOfWork, principal: Principal, year: int) -> CampaignSummary:
    async with uow:
        return await summary_of(uow, await campaign_of(uow, year), principal)


def _candidate(roles: Sequence[StoredRole]) -> StoredRole:
    """A person's role of one kind in one school that the campaign is about: the one
    that lasts longest."""
    return max(roles, key=lambda r: (r.valid_until, r.valid_from, r.id))


async def people_under_review(
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


async def listing_of(
    uow: UnitOfWork, campaign: Campaign, school_code: str, today: date
) -> SchoolListing:
    year = campaign.academic_year
    decisions = await _stored(uow, year, school_code)
    people = await people_under_review(uow, year, school_code, set(decisions))
    return SchoolListing(
        campaign=campaign, school_code=school_code, people=people, decisions=decisions,
        open_kinds=open_kinds(campaign, today),
        etag=listing_etag(year, school_code, people, decisions, campaign.status),
    )


async def visible_school(uow: UnitOfWork, principal: Principal, school_code: str) -> None:
    school_or_404(principal, await uow.schools.get(school_code))


async def school_listing(
    uow: UnitOfWork, clock: Clock, principal: Principal, year: int, school_code: str
) -> SchoolListing:
    today = paris_date(clock.now())
    async with uow:
        await visible_school(uow, principal, school_code)
        return await listing_of(uow, await campaign_of(uow, year), school_code, today)


def parse_year(label: str) -> int:
    """A malformed academic year → 422 `invalid-academic-year`."""
    return AcademicYear.parse(label).start_year
