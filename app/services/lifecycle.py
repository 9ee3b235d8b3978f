"""The convention's lifecycle: amendments, termination notices and suspensions
(R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5, R-SCH-1, R-SUS-1, R-SUS-2). Their effects flow through the
convention's clock
(`load_clock`) and the R-ACC-8 function (suspension covers)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.auth import Principal
from app.domain.calendar import ensure_event_date_in_range, ensure_not_ahead, paris_date
from app.domain.convention import Amendment, TermChanges, TerminationNotice
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.formatting import french_date
from app.domain.ids import new_id
from app.domain.lifecycle import (
    AmendmentRecord,
    NoticeRecord,
    NoticeStatus,
    check_amendment,
    check_cure,
    ensure_notice_receivable,
    notice_parties,
)
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
from app.services.convention import load_clock
from app.services.mail import queue_mail
from app.services.visibility import ensure_unconfined, school_filter, school_or_404, visible_or_404

NO_SUSPENSION = "no such suspension"

# ---------------------------------------------------------------- amendments (R-CONV-2)


async def record_amendment(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    reference: str,
    signed_on: date,
    effective_on: date,
    changes: TermChanges,
    schools_added: str | None,
    removes_school_codes: tuple[str, ...] = (),
) -> AmendmentRecord:
    ensure_unconfined(actor.principal, "the convention")
    now = clock.now()
    amendment = Amendment(reference, signed_on, effective_on, changes,
                          removes_school_codes=tuple(sorted(set(removes_school_codes))))
    check_amendment(amendment, schools_added)
    if signed_on > paris_date(now):
        raise InvalidInput("signed in the future", code="out-of-order", field="signed_on")
    async with uow:
        await uow.lifecycle.lock_for_change()
        if await uow.lifecycle.amendment(reference) is not None:
            raise Conflict("an amendment with this reference exists", code="amendment-exists")
        removed = amendment.removes_school_codes
        if removed and len(await uow.schools.list(codes=list(removed), after=None,
                                                  limit=len(removed))) != len(removed):
            raise InvalidInput("a removed school is not a school of the convention",
                               code="unknown-school", field="removes_school_codes")
        await uow.lifecycle.add_amendment(amendment, schools_added=schools_added, now=now)
        await audit.record(
            uow, actor, now=now, action="amendment.recorded", resource_type="amendment",
            resource_id=reference,
            new={"signed_on": signed_on, "effective_on": effective_on,
                 "ends_on": changes.ends_on,
                 "storage_capacity_bytes": changes.storage_capacity_bytes,
                 "school_alert_threshold_bytes": changes.school_alert_threshold_bytes,
                 "rate_per_student_cents": changes.rate_per_student_cents,
                 "schools_added": schools_added,
                 "removes_school_codes": list(amendment.removes_school_codes)},
        )
        stored = await uow.lifecycle.amendment(reference)
        await uow.commit()
    assert stored is not None
    return stored


async def list_amendments(uow: UnitOfWork) -> list[AmendmentRecord]:
    async with uow:
        return await uow.lifecycle.amendments()


# ---------------------------------------------------------------- termination (R-CONV-3, R-CONV-4,
# R-CONV-5)


async def file_notice(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    notifying_party: str,
    defaulting_party: str,
    grounds: str,
    letter_ref: str,
    received_on: date,
) -> tuple[NoticeRecord, bool]:
    """Record a résiliation notice; (record, created). The same letter again → the
    stored one. Only a party notifies another party (422 `invalid-notice`); several
    notices may be pending; one received on or after the governing notice's effective
    date or after the end date in force → 409 `convention-not-active` (R-CONV-3a)."""
    ensure_unconfined(actor.principal, "the convention's termination")
    notifying, defaulting = notice_parties(notifying_party, defaulting_party)
    now = clock.now()
    if received_on > paris_date(now):
        raise InvalidInput("received in the future", code="out-of-order", field="received_on")
    ensure_event_date_in_range(received_on, "received_on")
    async with uow:
        await uow.lifecycle.lock_for_change()
        existing = await uow.lifecycle.notices()
        for record in existing:
            if record.letter_ref == letter_ref:
                n = record.notice
                if (n.received_on, n.notifying_party, n.defaulting_party, record.grounds) == (
                    received_on, notifying, defaulting, grounds
                ):
                    return record, False
                raise Conflict("this letter was recorded with other content",
                               code="notice-conflict")
        ensure_notice_receivable(await load_clock(uow, fresh=True), received_on)
        record = NoticeRecord(
            notice=TerminationNotice(
                id=new_id(now), received_on=received_on, notifying_party=notifying,
                defaulting_party=defaulting,
            ),
            grounds=grounds,
            letter_ref=letter_ref,
            created_at=now,
        )
        await uow.lifecycle.add_notice(record, now=now)
        await audit.record(
            uow, actor, now=now, action="termination.notified",
            resource_type="termination_notice", resource_id=record.notice.id,
            new={"notifying_party": notifying, "defaulting_party": defaulting,
                 "letter_ref": letter_ref, "received_on": received_on,
                 "effective_on": record.notice.effective_on},
        )
        await uow.commit()
    return record, True


async def cure_notice(
    uow: UnitOfWork, clock: Clock, actor: Actor, notice_id: str, *, cured_on: date
) -> NoticeRecord:
    ensure_unconfined(actor.principal, "the convention's termination")
    now = clock.now()
    if cured_on > paris_date(now):
        raise InvalidInput("cured in the future", code="out-of-order", field="cured_on")
    ensure_event_date_in_range(cured_on, "cured_on")
    async with uow:
        record = await uow.lifecycle.notice(notice_id, for_update=True)
        if record is None:
            raise NotFound("no such termination notice")
        if not check_cure(record, cured_on):
            return record
        await uow.lifecycle.cure_notice(notice_id, cured_on)
        await audit.record(
            uow, actor, now=now, action="termination.cured",
            resource_type="termination_notice", resource_id=notice_id,
            new={"cured_on": cured_on},
        )
        await uow.commit()
    return replace(record, notice=replace(record.notice, cured_on=cured_on))


async def get_notice(uow: UnitOfWork, notice_id: str) -> NoticeRecord:
    async with uow:
        record = await uow.lifecycle.notice(notice_id)
    if record is None:
        raise NotFound("no such termination notice")
    return record


async def list_notices(uow: UnitOfWork) -> list[NoticeRecord]:
    async with uow:
        return await uow.lifecycle.notices()


def notice_status(record: NoticeRecord, clock: Clock) -> NoticeStatus:
    return record.status_on(paris_date(clock.now()))


# ---------------------------------------------------------------- suspensions (R-SUS-1, R-SUS-2)


async def _referents(uow: UnitOfWork, school_code: str, now: datetime) -> list[str]:
    return await uow.accounts.referent_emails(school_code, paris_date(now))


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
        if account_uids:
            for uid in sorted(account_uids):
                roles = [r for r in await uow.accounts.roles(uid)
                         if r.school_code == school_code]
                if ground is Ground.MASS_MAILING:
                    roles = [r for r in roles if r.kind is RoleKind.TRAINER]
                if not roles:
                    raise InvalidInput(
                        "a named account is not a trainer of this school"
                        if ground is Ground.MASS_MAILING
                        else "a named account has no role in this school",
                        code="invalid-suspension", field="account_uids",
                    )
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
