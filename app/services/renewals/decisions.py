"""A school's renew/remove decisions, replaced under If-Match (R-ACC-5, R-REF-1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.domain.accounts import RoleKind
from app.domain.calendar import paris_date
from app.domain.errors import PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.referents import ensure_referent_count_allowed
from app.domain.renewals import (
    Campaign,
    Decision,
    PersonKey,
    merge_decisions,
)
from app.domain.schools import ensure_beneficiary
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts import referent_count
from app.services.convention import load_clock
from app.services.renewals.listing import SchoolListing, campaign_of, listing_of, visible_school
from app.services.schools import beneficiary_of


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
        await visible_school(uow, actor.principal, school_code)
        ensure_beneficiary(
            await beneficiary_of(uow, school_code, (await load_clock(uow)).amendments),
            event_on=today, call_on=today,
        )
        # The campaign's row before the school's: the order of closing (which locks the
        # campaign, then each school it renews in), so the two never deadlock.
        campaign = await campaign_of(uow, year, for_update=True)
        await uow.accounts.lock_school(school_code)
        listing = await listing_of(uow, campaign, school_code, today)
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
        result = await listing_of(uow, campaign, school_code, today)
        await uow.commit()
    return result
