"""Suspensions of a school's access (R-SUS-1, R-SUS-2, R-SUS-2a, R-SUS-2b): suspended,
restoration requested, refused or lifted, each told to the school's referents; their
effect on accounts is the R-ACC-8 function (suspension covers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.auth import Principal
from app.domain.calendar import ensure_event_date_in_range, ensure_not_ahead, paris_date
from app.domain.errors import InvalidInput
from app.domain.formatting import french_date
from app.domain.ids import new_id
from app.domain.suspensions import (
    Ground,
    Suspension,
    SuspensionStatus,
    check_lifting,
    check_restoration,
    check_restoration_refusal,
    normalise_new_suspension,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.mail import queue_mail
from app.services.visibility import school_filter, school_or_404, visible_or_404

NO_SUSPENSION = "no such suspension"


async def _referents(uow: UnitOfWork, school_code: str, now: datetime) -> list[str]:
    return await uow.accounts.referent_emails(school_code, paris_date(now))


async def _ensure_named_accounts(
    uow: UnitOfWork, school_code: str, ground: Ground, account_uids: frozenset[str]
) -> None:
    """Each named account holds a role in the school (a trainer's, for mass mailing)."""
    for uid in sorted(account_uids):
        roles = [r for r in await uow.accounts.roles(uid) if r.school_code == school_code]
        if ground is Ground.MASS_MAILING:
            roles = [r for r in roles if r.kind is RoleKind.TRAINER]
        if not roles:
            raise InvalidInput(
                "a named account is not a trainer of this school"
                if ground is Ground.MASS_MAILING
                else "a named account has no role in this school",
                code="invalid-suspension", field="account_uids",
            )


async def suspend(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    school_code: str,
    ground: Ground,
    scope: SuspensionScope,
    starts_at: datetime | None,
    notified_at: datetime | None,
    notice_ref: str | None,
    details: str,
    kinds: frozenset[RoleKind] | None,
    account_uids: frozenset[str] | None,
    skew_seconds: int,
) -> Suspension:
    now = clock.now()
    for field, value in (("starts_at", starts_at), ("notified_at", notified_at)):
        if value is not None:
            ensure_not_ahead(value, now, skew_seconds, field)
            ensure_event_date_in_range(value, field)
    kinds, start = normalise_new_suspension(
        ground=ground, scope=scope, kinds=kinds, account_uids=account_uids,
        starts_at=starts_at, notified_at=notified_at, notice_ref=notice_ref, now=now,
    )
    async with uow:
        school_or_404(actor.principal, await uow.schools.get(school_code))
        await _ensure_named_accounts(uow, school_code, ground, account_uids or frozenset())
        suspension = Suspension(
            id=new_id(now), school_code=school_code, ground=ground, scope=scope,
            kinds=kinds, account_uids=account_uids, starts_at=start,
            notified_at=notified_at, notice_ref=notice_ref, details=details,
            status=SuspensionStatus.ACTIVE, restoration_requested_at=None,
            corrective_actions=None, lifted_at=None, lifting_ref=None, created_at=now,
        )
        await uow.lifecycle.add_suspension(suspension)
        recipients = await _referents(uow, school_code, now)
        if recipients:
            await queue_mail(
                uow, now=now, template="suspension-notice", to=recipients,
                dedupe_key=f"suspension-notice:{suspension.id}",
                context=_mail_context(suspension, await _school_name(uow, school_code)),
            )
        await audit.record(
            uow, actor, now=now, action="suspension.created", resource_type="suspension",
            resource_id=suspension.id,
            new={"school_code": school_code, "ground": ground, "scope": scope,
                 "kinds": sorted(k.value for k in kinds) if kinds else None,
                 "account_uids": sorted(account_uids) if account_uids else None,
                 "starts_at": start, "notice_ref": notice_ref},
        )
        await uow.commit()
    return suspension


async def _school_name(uow: UnitOfWork, code: str) -> str:
    school = await uow.schools.get(code)
    return school.name if school else code


def _mail_context(s: Suspension, school_name: str) -> dict[str, object]:
    return {
        "school_name": school_name,
        "ground": s.ground.value,
        "scope": s.scope.value,
        "starts_at": s.starts_at,
        "notice_ref": s.notice_ref or "",
        "details": s.details,
        "lifted_at": s.lifted_at,
        "lifting_ref": s.lifting_ref or "",
        "kinds": sorted(k.value for k in s.kinds) if s.kinds else [],
        "accounts_count": len(s.account_uids) if s.account_uids else 0,
        "starts_on": french_date(paris_date(s.starts_at)),
    }


async def request_restoration(
    uow: UnitOfWork, clock: Clock, actor: Actor, suspension_id: str, *,
    requested_at: datetime | None, corrective_actions: str, skew_seconds: int,
) -> Suspension:
    now = clock.now()
    at = requested_at or now
    ensure_not_ahead(at, now, skew_seconds, "requested_at")
    ensure_event_date_in_range(at, "requested_at")
    async with uow:
        found = visible_or_404(
            actor.principal, await uow.lifecycle.suspension(suspension_id, for_update=True),
            NO_SUSPENSION,
        )
        if found.status is SuspensionStatus.RESTORATION_REQUESTED and requested_at is None:
            at = found.restoration_requested_at or at
        if not check_restoration(found, at):
            return found
        updated = replace(found, status=SuspensionStatus.RESTORATION_REQUESTED,
                          restoration_requested_at=at, corrective_actions=corrective_actions)
        await uow.lifecycle.update_suspension(updated)
        await audit.record(
            uow, actor, now=now, action="suspension.restoration-requested",
            resource_type="suspension", resource_id=suspension_id,
            old={"status": found.status}, new={"status": updated.status, "requested_at": at},
        )
        await uow.commit()
    return updated


async def lift(
    uow: UnitOfWork, clock: Clock, actor: Actor, suspension_id: str, *,
    notified_at: datetime, notice_ref: str, skew_seconds: int,
) -> Suspension:
    now = clock.now()
    ensure_not_ahead(notified_at, now, skew_seconds, "notified_at")
    ensure_event_date_in_range(notified_at, "notified_at")
    async with uow:
        found = visible_or_404(
            actor.principal, await uow.lifecycle.suspension(suspension_id, for_update=True),
            NO_SUSPENSION,
        )
        if not check_lifting(found, notified_at, notice_ref):
            return found
        updated = replace(found, status=SuspensionStatus.LIFTED, lifted_at=notified_at,
                          lifting_ref=notice_ref)
        await uow.lifecycle.update_suspension(updated)
        recipients = await _referents(uow, found.school_code, now)
        if recipients:
            await queue_mail(
                uow, now=now, template="suspension-lifted", to=recipients,
                dedupe_key=f"suspension-lifted:{suspension_id}",
                context=_mail_context(updated, await _school_name(uow, found.school_code)),
            )
        await audit.record(
            uow, actor, now=now, action="suspension.lifted", resource_type="suspension",
            resource_id=suspension_id, old={"status": found.status},
            new={"status": updated.status, "lifted_at": notified_at, "notice_ref": notice_ref},
        )
        await uow.commit()
    return updated


async def refuse_restoration(
    uow: UnitOfWork, clock: Clock, actor: Actor, suspension_id: str, *,
    notified_at: datetime, notice_ref: str, skew_seconds: int,
) -> Suspension:
    """R-SUS-2b: UT's written refusal of a restoration request; back to `active`,
    audited. The same refusal again answers the suspension as it is."""
    now = clock.now()
    ensure_not_ahead(notified_at, now, skew_seconds, "notified_at")
    ensure_event_date_in_range(notified_at, "notified_at")
    async with uow:
        found = visible_or_404(
            actor.principal, await uow.lifecycle.suspension(suspension_id, for_update=True),
            NO_SUSPENSION,
        )
        if not check_restoration_refusal(found, notified_at, notice_ref):
            return found
        updated = replace(found, status=SuspensionStatus.ACTIVE,
                          restoration_refused_at=notified_at,
                          restoration_refusal_ref=notice_ref)
        await uow.lifecycle.update_suspension(updated)
        await audit.record(
            uow, actor, now=now, action="suspension.restoration-refused",
            resource_type="suspension", resource_id=suspension_id,
            old={"status": found.status},
            new={"status": updated.status, "refused_at": notified_at,
                 "notice_ref": notice_ref},
        )
        await uow.commit()
    return updated


async def get_suspension(uow: UnitOfWork, principal: Principal, suspension_id: str) -> Suspension:
    async with uow:
        suspension = await uow.lifecycle.suspension(suspension_id)
    return visible_or_404(principal, suspension, NO_SUSPENSION)


async def list_suspensions(
    uow: UnitOfWork, principal: Principal, *, status: SuspensionStatus | None,
    school_code: str | None, after_id: str | None, limit: int,
) -> list[Suspension]:
    codes = school_filter(principal, school_code)
    if codes == []:
        return []
    async with uow:
        return await uow.lifecycle.suspensions(
            status=status, school_codes=codes, after_id=after_id, limit=limit
        )
