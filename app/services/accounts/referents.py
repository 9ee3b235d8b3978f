"""The referent count of a school for an academic year (R-REF-1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.domain.accounts import Role, RoleKind, StoredRole
from app.domain.referents import HeldRole, count_referents_for_year
from app.domain.renewals import Decision
from app.ports.unit_of_work import UnitOfWork


def as_role(stored: StoredRole) -> Role:
    return Role(
        kind=stored.kind,
        school_code=stored.school_code,
        valid_from=stored.valid_from,
        valid_until=stored.valid_until,
        role_id=stored.id,
    )


async def referent_count(
    uow: UnitOfWork,
    *,
    school_code: str,
    year: int,
    checked_on: date,
    exclude_request_id: str | None = None,
    extra_replaced: Sequence[str] = (),
    renew_decisions: int | None = None,
) -> int:
    """R-REF-1 count for academic year `year` of a school, checked on `checked_on`."""
    roles = await uow.accounts.school_roles(school_code, RoleKind.REFERENT)
    pending = [
        r for r in await uow.account_requests.pending_referents(school_code)
        if r.id != exclude_request_id
    ]
    replaced = {r.replaces_uid for r in pending if r.replaces_uid} | set(extra_replaced)
    if renew_decisions is None:
        renew_decisions = 0
        campaign = await uow.campaigns.get(year)
        if campaign is not None and campaign.status.value == "open":
            renew_decisions = sum(
                1
                for _, _, kind, decision in await uow.campaigns.decisions(year, school_code)
                if kind is RoleKind.REFERENT and decision is Decision.RENEW
            )
    return count_referents_for_year(
        year_start=year,
        checked_on=checked_on,
        referent_roles=[HeldRole(r.uid, as_role(r)) for r in roles],
        replaced_uids=replaced,
        pending_referent_requests_for_year=sum(1 for r in pending if r.academic_year == year),
        renew_decisions=renew_decisions,
    )
