"""Account-creation requests: filing, reading, listing, rejection and
cancellation (R-ACC-4, R-REF-1)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from app.domain.account_requests import (
    AccountRequest,
    RequestStatus,
    account_due_on,
    ensure_transition,
    request_fingerprint,
)
from app.domain.accounts import RoleKind, validate_uid
from app.domain.auth import Principal
from app.domain.calendar import (
    ensure_not_ahead,
    paris_date,
)
from app.domain.convention import ensure_accepts_new
from app.domain.errors import Conflict, InvalidInput
from app.domain.ids import new_id
from app.domain.referents import ensure_referent_count_allowed, referent_year_for
from app.domain.rules import DEFAULT_RULES, Rules
from app.domain.schools import beneficiary_period, ensure_beneficiary
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts.deadlines import calendar_of
from app.services.accounts.referents import referent_count
from app.services.convention import load_clock
from app.services.visibility import school_filter, sees, visible_or_404


@dataclass(frozen=True)
class NewRequest:
    ticket_ref: str
    school_code: str
    kind: RoleKind
    given_name: str
    family_name: str
    email: str
    received_at: datetime | None
    existing_uid: str | None
    replaces_uid: str | None
    daip_notified_on: date | None


def _request_fields(r: AccountRequest) -> dict[str, object]:
    return {
        "ticket_ref": r.ticket_ref,
        "school_code": r.school_code,
        "kind": r.kind,
        "given_name": r.given_name,
        "family_name": r.family_name,
        "email": r.email,
        "status": r.status,
        "uid": r.uid,
        "due_on": r.due_on,
    }


async def create_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, data: NewRequest, *, skew_seconds: int,
    rules: Rules = DEFAULT_RULES,
) -> tuple[AccountRequest, bool]:
    """File a request. Returns (request, created); the same ticket with the same content
    returns the stored one (created False), other content is a 409 `ticket-conflict`."""
    _check_form(data)
    now = clock.now()
    received_at = data.received_at or now
    ensure_not_ahead(received_at, now, skew_seconds, "received_at")
    received_on = paris_date(received_at)
    async with uow:
        # Another school's ticket is not even looked up: it answers as an unknown school.
        if not sees(actor.principal, data.school_code):
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        filing = await uow.account_requests.filing_context(data.ticket_ref, data.school_code)
        if filing.same_ticket is not None:
            return _same_ticket(filing.same_ticket, data), False
        if filing.school is None:
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        convention = await load_clock(uow)
        ensure_accepts_new(convention, call_on=paris_date(now), event_on=received_on,
                           what="account request")
        ensure_beneficiary(
            beneficiary_period(filing.school, convention.amendments),
            event_on=received_on, call_on=paris_date(now),
        )
        year = referent_year_for(received_on, rules.renewal_season_starts)
        due_on = account_due_on(calendar_of(filing.closures, rules), received_on)
        request = _received(data, received_at, year, due_on, now)
        if data.kind is RoleKind.REFERENT:
            await uow.accounts.lock_school(data.school_code)
            count = await referent_count(
                uow, school_code=data.school_code, year=year, checked_on=received_on,
                extra_replaced=[data.replaces_uid] if data.replaces_uid else (),
            )
            ensure_referent_count_allowed(count + 1)
        received = audit.event(
            actor, now=now, action="account-request.received",
            resource_type="account_request", resource_id=request.id,
            new=_request_fields(request),
        )
        if not await uow.account_requests.add(request, audit=received):
            await uow.rollback()
            twin = await uow.account_requests.by_ticket(data.ticket_ref)
            if twin is None:  # pragma: no cover - the conflicting row vanished
                raise Conflict("the ticket is being filed; retry", code="ticket-conflict")
            return _same_ticket(twin, data), False
        await uow.commit()
    return request, True


def _check_form(data: NewRequest) -> None:
    """What a request must say before anything is read: a hosted kind, well-formed uids,
    a replacement for referents only."""
    if data.kind not in (RoleKind.REFERENT, RoleKind.TRAINER):
        raise InvalidInput("students get their account by enrolment", code="invalid-kind",
                           field="kind")
    for field, uid in (("existing_uid", data.existing_uid), ("replaces_uid", data.replaces_uid)):
        if uid is not None:
            try:
                validate_uid(uid)
            except InvalidInput as exc:
                raise InvalidInput(exc.detail, code=exc.code, field=field) from None
    if data.replaces_uid is not None and data.kind is not RoleKind.REFERENT:
        raise InvalidInput("only a referent replaces a referent", code="invalid-replacement",
                           field="replaces_uid")


def _received(
    data: NewRequest, received_at: datetime, year: int, due_on: date, now: datetime
) -> AccountRequest:
    return AccountRequest(
        id=new_id(now), ticket_ref=data.ticket_ref,
        content_sha256=_fingerprint(data, received_at), school_code=data.school_code,
        kind=data.kind, given_name=data.given_name, family_name=data.family_name,
        email=data.email, received_at=received_at, existing_uid=data.existing_uid,
        replaces_uid=data.replaces_uid, daip_notified_on=data.daip_notified_on,
        academic_year=year, due_on=due_on, status=RequestStatus.RECEIVED, uid=None,
        fulfilled_at=None, rejection_reason=None, closed_at=None, created_at=now,
    )


def _fingerprint(data: NewRequest, received_at: datetime) -> str:
    return request_fingerprint(
        school_code=data.school_code, kind=data.kind.value, given_name=data.given_name,
        family_name=data.family_name, email=data.email, received_at=received_at,
        existing_uid=data.existing_uid, replaces_uid=data.replaces_uid,
        daip_notified_on=data.daip_notified_on,
    )


def _same_ticket(existing: AccountRequest, data: NewRequest) -> AccountRequest:
    """A retry of the same ticket (200) or a conflicting one (409). A retry without
    `received_at` cannot repeat "now": it is compared with the stored reception."""
    if existing.content_sha256 == _fingerprint(data, data.received_at or existing.received_at):
        return existing
    raise Conflict("this ticket was filed with other content", code="ticket-conflict")


async def get_request(uow: UnitOfWork, principal: Principal, request_id: str) -> AccountRequest:
    async with uow:
        request = await uow.account_requests.get(request_id)
    return visible_or_404(principal, request, "no such account request")



async def list_requests(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    status: RequestStatus | None,
    school_code: str | None,
    overdue: bool | None,
    after_id: str | None,
    limit: int,
    updated_since: datetime | None = None,
) -> list[AccountRequest]:
    """`updated_since` (the ticketing tool's polling): the requests created, fulfilled,
    rejected or cancelled at or after that instant (their `updated_at`)."""
    codes = school_filter(principal, school_code)
    if codes == []:
        return []
    today = paris_date(clock.now())
    async with uow:
        return await uow.account_requests.list(
            status=status,
            school_codes=codes,
            overdue_before=today if overdue is True else None,
            not_overdue_on=today if overdue is False else None,
            after_id=after_id,
            limit=limit,
            changed_since=updated_since,
        )


async def close_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    request_id: str,
    *,
    target: RequestStatus,
    reason: str | None,
) -> AccountRequest:
    """Rejection or cancellation; repeated with the same body answers the same."""
    now = clock.now()
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.account_requests.get(request_id, for_update=True),
            "no such account request",
        )
        if request.status is target:
            if target is RequestStatus.REJECTED and reason != request.rejection_reason:
                raise Conflict("the request was rejected for another reason",
                               code="invalid-transition")
            return request
        ensure_transition(request.status, target)
        done = replace(request, status=target, rejection_reason=reason, closed_at=now)
        await uow.account_requests.update(done)
        await audit.record(
            uow, actor, now=now, action=f"account-request.{target.value}",
            resource_type="account_request", resource_id=request.id,
            old={"status": request.status}, new={"status": target, "reason": reason},
        )
        await uow.commit()
    return done
