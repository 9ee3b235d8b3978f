"""Support requests to DAIP: recording an e-mail, its first response and its closure,
reading and listing them (R-SUP-1, R-SUP-2, R-TIME-5)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.auth import Principal
from app.domain.calendar import (
    ensure_event_date_in_range,
    ensure_not_ahead,
)
from app.domain.errors import Conflict, InvalidInput
from app.domain.ids import new_id
from app.domain.support import (
    SlaState,
    SupportClosure,
    SupportRequest,
    SupportStatus,
    validate_closure_order,
    validate_response_order,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.accounts import calendar_in
from app.services.support.sla import (
    SupportPolicy,
    SupportView,
    opening_clock,
    response_deadline,
    sla_filter,
    sla_view,
    sla_views,
    utc_instant,
)
from app.services.visibility import school_filter, sees, visible_or_404

MESSAGE_ID_MAX = 998
SUBJECT_MAX = 998
EMAIL_MAX = 320
RESOURCE = "support_request"
NO_REQUEST = "no such support request"


@dataclass(frozen=True)
class NewSupportRequest:
    message_id: str
    received_at: datetime
    from_email: str
    subject: str
    school_code: str | None = None




def _fingerprint(data: NewSupportRequest) -> str:
    """What makes two posts of one Message-ID "the same content" (a retry)."""
    content = {
        "received_at": data.received_at.timestamp(),
        "from_email": data.from_email.lower(),
        "subject": data.subject,
        "school_code": data.school_code,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()




def _fields(request: SupportRequest) -> dict[str, object]:
    return {
        "message_id": request.message_id,
        "received_at": request.received_at,
        "from_email": request.from_email,
        "subject": request.subject,
        "school_code": request.school_code,
        "response_due_at": request.response_due_at,
        "status": request.status,
    }




def _check_input(data: NewSupportRequest) -> None:
    if not 0 < len(data.message_id) <= MESSAGE_ID_MAX:
        raise InvalidInput("a Message-ID has 1 to 998 characters", field="message_id")
    if not 0 < len(data.from_email) <= EMAIL_MAX or "@" not in data.from_email:
        raise InvalidInput("not an e-mail address", code="invalid-email", field="from_email")
    if len(data.subject) > SUBJECT_MAX:
        raise InvalidInput("a subject has at most 998 characters", field="subject")


def _same_message(
    existing: SupportRequest, fingerprint: str, principal: Principal
) -> SupportRequest:
    """A retry of the same e-mail (200) or another e-mail with this Message-ID (409)."""
    if existing.content_sha256 == fingerprint and sees(principal, existing.school_code):
        return existing
    raise Conflict(
        "a request with this Message-ID was recorded with other content",
        code="message-conflict",
    )


async def _school_of(uow: UnitOfWork, principal: Principal, data: NewSupportRequest) -> str | None:
    if data.school_code is not None:
        if (
            not sees(principal, data.school_code)
            or await uow.schools.get(data.school_code) is None
        ):
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        return data.school_code
    schools = await uow.support_requests.sender_schools(data.from_email)
    school = next(iter(schools)) if len(schools) == 1 else None
    if not sees(principal, school):
        raise InvalidInput(
            "the request's school must be one of the caller's schools",
            code="unknown-school", field="school_code",
        )
    return school


async def create_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, data: NewSupportRequest, policy: SupportPolicy
) -> tuple[SupportView, bool]:
    """Record a support e-mail. Returns (view, created): the same Message-ID with the
    same content returns the stored request; other content is a 409 `message-conflict`.
    Concurrent duplicates leave one row (INSERT … ON CONFLICT DO NOTHING, then compare).
    Without `school_code`, the school is the sender's account's one when it has roles
    in exactly one school."""
    _check_input(data)
    now = clock.now()
    received_at = utc_instant(data.received_at, "received_at")
    ensure_not_ahead(received_at, now, policy.skew_seconds, "received_at")
    ensure_event_date_in_range(received_at, "received_at")
    fingerprint = _fingerprint(data)
    async with uow:
        # Another school's e-mail is not even looked up: it answers as an unknown school.
        if data.school_code is not None and not sees(actor.principal, data.school_code):
            raise InvalidInput("unknown school", code="unknown-school", field="school_code")
        existing = await uow.support_requests.by_message_id(data.message_id)
        if existing is not None:
            stored = _same_message(existing, fingerprint, actor.principal)
            return (await sla_views(uow, [stored], now, policy))[0], False
        school = await _school_of(uow, actor.principal, data)
        hours = opening_clock(await calendar_in(uow))
        request = SupportRequest(
            id=new_id(now),
            message_id=data.message_id,
            content_sha256=fingerprint,
            received_at=received_at,
            from_email=data.from_email,
            subject=data.subject,
            school_code=school,
            response_due_at=response_deadline(received_at, hours, policy.reading),
            status=SupportStatus.open,
            responded_at=None,
            closed_at=None,
            business_seconds_to_response=None,
            created_at=now,
        )
        if not await uow.support_requests.add(request):
            await uow.rollback()
            twin = await uow.support_requests.by_message_id(data.message_id)
            if twin is None:  # pragma: no cover - the conflicting row vanished
                raise Conflict("the e-mail is being recorded; retry", code="message-conflict")
            stored = _same_message(twin, fingerprint, actor.principal)
            return (await sla_views(uow, [stored], now, policy))[0], False
        await audit.record(
            uow, actor, now=now, action="support-request.received", resource_type=RESOURCE,
            resource_id=request.id, new=_fields(request),
        )
        view = sla_view(request, hours, now, policy)
        await uow.commit()
    return view, True


async def get_request(
    uow: UnitOfWork, clock: Clock, principal: Principal, request_id: str, policy: SupportPolicy
) -> SupportView:
    async with uow:
        request = visible_or_404(
            principal, await uow.support_requests.get(request_id), NO_REQUEST
        )
        return (await sla_views(uow, [request], clock.now(), policy))[0]


def _repeated_response(request: SupportRequest, responded_at: datetime) -> SupportRequest:
    """The request when it already has this first response; 409 otherwise."""
    if request.responded_at is not None:
        if request.responded_at == responded_at:
            return request
        raise Conflict("the request already has another first response",
                       code="already-answered")
    if request.status is SupportStatus.closed:
        raise Conflict("the request was closed without an answer", code="already-closed")
    raise Conflict("the request changed meanwhile; retry", code="concurrent-change")


async def record_first_response(
    uow: UnitOfWork, clock: Clock, actor: Actor, request_id: str, *, responded_at: datetime,
    policy: SupportPolicy,
) -> SupportView:
    """R-SUP-2: the first response, met when sent at or before the deadline. Repeated
    with the same instant → the current state; another instant → 409 `already-answered`;
    dated before the receipt → 422 `out-of-order`."""
    now = clock.now()
    responded_at = utc_instant(responded_at, "responded_at")
    ensure_not_ahead(responded_at, now, policy.skew_seconds, "responded_at")
    ensure_event_date_in_range(responded_at, "responded_at")
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
        )
        hours = opening_clock(await calendar_in(uow))
        if request.status is not SupportStatus.open:
            return sla_view(_repeated_response(request, responded_at), hours, now, policy)
        validate_response_order(request.received_at, responded_at)
        answered = replace(
            request,
            status=SupportStatus.answered,
            responded_at=responded_at,
            last_message_at=max(request.last_message, responded_at),
            business_seconds_to_response=hours.business_seconds_between(
                request.received_at, responded_at
            ),
        )
        if not await uow.support_requests.transition(answered, expected=SupportStatus.open):
            await uow.rollback()
            current = visible_or_404(
                actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
            )
            return sla_view(_repeated_response(current, responded_at), hours, now, policy)
        view = sla_view(answered, hours, now, policy)
        await audit.record(
            uow, actor, now=now, action="support-request.answered", resource_type=RESOURCE,
            resource_id=request.id,
            old={"status": request.status},
            new={"status": answered.status, "responded_at": responded_at,
                 "sla_outcome": view.sla_outcome,
                 "business_seconds_to_response": answered.business_seconds_to_response},
        )
        await uow.commit()
    return view


def _repeated_closure(request: SupportRequest, closed_at: datetime) -> SupportRequest:
    if request.closed_at == closed_at:
        return request
    raise Conflict("the request was closed at another instant", code="already-closed")


async def close_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, request_id: str, *, closed_at: datetime,
    policy: SupportPolicy,
) -> SupportView:
    """Close a request, answered or not (unanswered: no SLA outcome nor state). Repeated
    with the same instant → the current state; another → 409 `already-closed`; before
    the receipt or the response → 422 `out-of-order`."""
    now = clock.now()
    closed_at = utc_instant(closed_at, "closed_at")
    ensure_not_ahead(closed_at, now, policy.skew_seconds, "closed_at")
    ensure_event_date_in_range(closed_at, "closed_at")
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
        )
        hours = opening_clock(await calendar_in(uow))
        if request.status is SupportStatus.closed:
            return sla_view(_repeated_closure(request, closed_at), hours, now, policy)
        validate_closure_order(request.received_at, request.responded_at, closed_at)
        closed = replace(request, status=SupportStatus.closed, closed_at=closed_at,
                         closure=SupportClosure.manual)
        if not await uow.support_requests.transition(closed, expected=request.status):
            await uow.rollback()
            current = visible_or_404(
                actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
            )
            if current.status is not SupportStatus.closed:
                raise Conflict("the request changed meanwhile; retry", code="concurrent-change")
            return sla_view(_repeated_closure(current, closed_at), hours, now, policy)
        await audit.record(
            uow, actor, now=now, action="support-request.closed", resource_type=RESOURCE,
            resource_id=request.id,
            old={"status": request.status},
            new={"status": closed.status, "closed_at": closed_at},
        )
        await uow.commit()
    return sla_view(closed, hours, now, policy)


async def list_requests(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    status: SupportStatus | None,
    state: SlaState | None,
    school_code: str | None,
    after_id: str | None,
    limit: int,
    policy: SupportPolicy,
) -> list[SupportView]:
    """Creation order; `state` is the SLA state now (see `sla_filter`)."""
    codes = school_filter(principal, school_code)
    if codes == []:
        return []
    now = clock.now()
    async with uow:
        hours = opening_clock(await calendar_in(uow))
        requests = await uow.support_requests.list(
            status=status,
            sla=sla_filter(state, now=now, clock=hours, policy=policy) if state else None,
            school_codes=codes,
            after_id=after_id,
            limit=limit,
        )
    return [sla_view(r, hours, now, policy) for r in requests]
