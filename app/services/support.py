"""Support requests to DAIP: the 48-hour answer deadline on the opening-hours clock,
first responses, closures, live SLA states, statistics, the digest job and the mailbox
import (R-SUP-1, R-SUP-2, R-TIME-1, R-TIME-3, R-TIME-5).

Deadlines are counted on today's calendar (public holidays and stored UT closures) and
stored; a change of closures recomputes those of open requests in its own transaction
(`SupportDeadlines`, registered in `app.main`). Answered and closed requests keep the
deadline they were answered against.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from app.domain.auth import Principal
from app.domain.calendar import (
    PARIS,
    WorkingCalendar,
    ensure_event_date_in_range,
    ensure_not_ahead,
    paris_date,
    paris_day_start,
)
from app.domain.errors import Conflict, InvalidInput
from app.domain.ids import new_id
from app.domain.opening_hours import (
    BUDGET_SECONDS,
    DeadlineReading,
    OpeningHoursClock,
    response_due_at,
)
from app.domain.schedules import DailyAt, Every
from app.domain.support import (
    SILENCE_DAYS,
    SlaOutcome,
    SlaState,
    SupportClosure,
    SupportRequest,
    SupportStatus,
    automatic_closure_at,
    compliance_ratio,
    median,
    nearest_rank_percentile,
    sla_outcome,
    sla_state,
    validate_closure_order,
    validate_response_order,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.support import InboundMail, SlaFilter
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.accounts import calendar_in
from app.services.jobs import Job, JobContext
from app.services.mail import queue_mail
from app.services.visibility import school_filter, sees, visible_or_404

NO_REQUEST = "no such support request"

log = logging.getLogger("app.support")

MESSAGE_ID_MAX = 998
SUBJECT_MAX = 998
EMAIL_MAX = 320
RESOURCE = "support_request"


@dataclass(frozen=True)
class SupportPolicy:
    """The settings of R-SUP-1 and R-TIME-5 the use cases need."""

    reading: DeadlineReading = DeadlineReading.two_opening_days
    at_risk_ratio: float = 0.25
    skew_seconds: int = 300

    @property
    def budget_seconds(self) -> int:
        return BUDGET_SECONDS[self.reading]

    def risk_threshold_seconds(self) -> int:
        """The least whole number of opening seconds left that is not "at risk"."""
        return math.ceil(self.at_risk_ratio * self.budget_seconds)


@dataclass(frozen=True)
class SupportView:
    """A request with its SLA state and outcome evaluated now."""

    request: SupportRequest
    sla_state: SlaState | None
    sla_outcome: SlaOutcome | None


@dataclass(frozen=True)
class NewSupportRequest:
    message_id: str
    received_at: datetime
    from_email: str
    subject: str
    school_code: str | None = None


# ------------------------------------------------------------------------ helpers


def opening_clock(calendar: WorkingCalendar) -> OpeningHoursClock:
    """DAIP's opening hours (Mon–Fri 08:30–17:30 Europe/Paris) on `calendar`."""
    return OpeningHoursClock(calendar)


def _utc(instant: datetime, field: str) -> datetime:
    """`instant` in UTC; one that UTC cannot represent (year 1 or 9999 edges) → 422."""
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(
            "this instant is out of the supported range", code="instant-out-of-range",
            field=field,
        ) from None


def _due(received_at: datetime, hours: OpeningHoursClock, reading: DeadlineReading) -> datetime:
    """`response_due_at`; an instant whose deadline cannot be represented → 422."""
    try:
        return response_due_at(received_at, hours, reading)
    except (OverflowError, ValueError):
        raise InvalidInput(
            "no deadline can be computed for this instant", code="instant-out-of-range",
            field="received_at",
        ) from None


def _fingerprint(data: NewSupportRequest) -> str:
    """What makes two posts of one Message-ID "the same content" (a retry)."""
    content = {
        "received_at": data.received_at.timestamp(),
        "from_email": data.from_email.lower(),
        "subject": data.subject,
        "school_code": data.school_code,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _view(
    request: SupportRequest, clock: OpeningHoursClock, now: datetime, policy: SupportPolicy
) -> SupportView:
    state = sla_state(
        status=request.status,
        received_at=request.received_at,
        response_due_at=request.response_due_at,
        responded_at=request.responded_at,
        now=now,
        clock=clock,
        budget_seconds=policy.budget_seconds,
        at_risk_ratio=policy.at_risk_ratio,
    )
    outcome = (
        sla_outcome(request.response_due_at, request.responded_at)
        if request.responded_at is not None
        else None
    )
    return SupportView(request, state, outcome)


async def _views(
    uow: UnitOfWork, requests: Sequence[SupportRequest], now: datetime, policy: SupportPolicy
) -> list[SupportView]:
    clock = opening_clock(await calendar_in(uow))
    return [_view(r, clock, now, policy) for r in requests]


def sla_filter(
    state: SlaState, *, now: datetime, clock: OpeningHoursClock, policy: SupportPolicy
) -> SlaFilter:
    """The instants that split open requests into breached / at_risk / on_track at
    `now`, exactly as `sla_state` does: fewer than ⌈ratio × budget⌉ whole opening
    seconds left ⇔ due before `clock.add(now, ⌈ratio × budget⌉)`."""
    return SlaFilter(
        state=state.value,
        now=now,
        risk_until=clock.add(now, policy.risk_threshold_seconds()),
    )


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


# ------------------------------------------------------------------------ deadline


async def support_deadline(
    uow: UnitOfWork, *, received_at: datetime, policy: SupportPolicy
) -> datetime:
    """R-SUP-1: the response deadline of a request received at `received_at`, with
    today's closures."""
    async with uow:
        calendar = await calendar_in(uow)
    return _due(received_at, opening_clock(calendar), policy.reading)


# ------------------------------------------------------------------------ requests


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
    received_at = _utc(data.received_at, "received_at")
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
            return (await _views(uow, [stored], now, policy))[0], False
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
            response_due_at=_due(received_at, hours, policy.reading),
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
            return (await _views(uow, [stored], now, policy))[0], False
        await audit.record(
            uow, actor, now=now, action="support-request.received", resource_type=RESOURCE,
            resource_id=request.id, new=_fields(request),
        )
        view = _view(request, hours, now, policy)
        await uow.commit()
    return view, True


async def get_request(
    uow: UnitOfWork, clock: Clock, principal: Principal, request_id: str, policy: SupportPolicy
) -> SupportView:
    async with uow:
        request = visible_or_404(principal, await uow.support_requests.get(request_id), NO_REQUEST)
        return (await _views(uow, [request], clock.now(), policy))[0]


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
    responded_at = _utc(responded_at, "responded_at")
    ensure_not_ahead(responded_at, now, policy.skew_seconds, "responded_at")
    ensure_event_date_in_range(responded_at, "responded_at")
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
        )
        hours = opening_clock(await calendar_in(uow))
        if request.status is not SupportStatus.open:
            return _view(_repeated_response(request, responded_at), hours, now, policy)
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
            return _view(_repeated_response(current, responded_at), hours, now, policy)
        view = _view(answered, hours, now, policy)
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
    closed_at = _utc(closed_at, "closed_at")
    ensure_not_ahead(closed_at, now, policy.skew_seconds, "closed_at")
    ensure_event_date_in_range(closed_at, "closed_at")
    async with uow:
        request = visible_or_404(
            actor.principal, await uow.support_requests.get(request_id), NO_REQUEST
        )
        hours = opening_clock(await calendar_in(uow))
        if request.status is SupportStatus.closed:
            return _view(_repeated_closure(request, closed_at), hours, now, policy)
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
            return _view(_repeated_closure(current, closed_at), hours, now, policy)
        await audit.record(
            uow, actor, now=now, action="support-request.closed", resource_type=RESOURCE,
            resource_id=request.id,
            old={"status": request.status},
            new={"status": closed.status, "closed_at": closed_at},
        )
        await uow.commit()
    return _view(closed, hours, now, policy)


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
    return [_view(r, hours, now, policy) for r in requests]


# ------------------------------------------------------------------------ statistics


@dataclass
class SlaFigures:
    """Counts of one group. `compliance_ratio` = met / (met + breached + open_breached);
    the median and 90th percentile (nearest rank) are of business minutes to the first
    response, over answered requests. Closed unanswered requests count as received."""

    received: int = 0
    answered: int = 0
    met: int = 0
    breached: int = 0
    open_breached: int = 0
    minutes: list[float] = field(default_factory=list)

    def add(self, request: SupportRequest, now: datetime) -> None:
        self.received += 1
        if request.responded_at is not None:
            self.answered += 1
            if sla_outcome(request.response_due_at, request.responded_at) is SlaOutcome.met:
                self.met += 1
            else:
                self.breached += 1
            if request.business_seconds_to_response is not None:
                self.minutes.append(request.business_seconds_to_response / 60)
        elif request.status is SupportStatus.open and now > request.response_due_at:
            self.open_breached += 1

    @property
    def compliance_ratio(self) -> float | None:
        return compliance_ratio(self.met, self.breached, self.open_breached)

    @property
    def median_business_minutes(self) -> float | None:
        value = median(self.minutes)
        return None if value is None else round(value, 2)

    @property
    def p90_business_minutes(self) -> float | None:
        value = nearest_rank_percentile(self.minutes, 90)
        return None if value is None else round(value, 2)


@dataclass(frozen=True)
class SupportStats:
    overall: SlaFigures
    by_school: list[tuple[str | None, SlaFigures]]
    by_month: list[tuple[str, SlaFigures]]


def paris_month(instant: datetime) -> str:
    """`YYYY-MM` of the Europe/Paris date of `instant`."""
    return instant.astimezone(PARIS).strftime("%Y-%m")


async def statistics(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    start: datetime | None,
    end: datetime | None,
    school_code: str | None,
) -> SupportStats:
    """Requests received in [start, end): overall, per school and per Paris month of
    `received_at`. Open requests past their deadline now count as `open_breached`."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("`to` must be after `from`", code="invalid-period", field="to")
    overall = SlaFigures()
    schools: dict[str | None, SlaFigures] = {}
    months: dict[str, SlaFigures] = {}
    codes = school_filter(principal, school_code)
    if codes != []:
        now = clock.now()
        async with uow:
            requests = await uow.support_requests.received_between(
                start, end, school_codes=codes
            )
        for request in requests:
            overall.add(request, now)
            schools.setdefault(request.school_code, SlaFigures()).add(request, now)
            months.setdefault(paris_month(request.received_at), SlaFigures()).add(request, now)
    return SupportStats(
        overall=overall,
        by_school=sorted(schools.items(), key=lambda kv: (kv[0] is None, kv[0] or "")),
        by_month=sorted(months.items()),
    )


# ------------------------------------------------------------------------ closures


class SupportDeadlines:
    """R-SUP-2: deadlines of open (unanswered) requests, recomputed when closures
    change; answered and closed requests keep theirs."""

    name = "support-requests"

    def __init__(self, policy: SupportPolicy):
        self.policy = policy

    async def recompute(self, uow: UnitOfWork, *, calendar: WorkingCalendar, now: datetime) -> int:
        hours = opening_clock(calendar)
        changed = 0
        for request in await uow.support_requests.open_requests():
            due = response_due_at(request.received_at, hours, self.policy.reading)
            if due != request.response_due_at:
                await uow.support_requests.set_response_due_at(request.id, due)
                changed += 1
        return changed


# ------------------------------------------------------------------------ digest job

SUPPORT_DIGEST_JOB = "support-digest"


def _digest_item(view: SupportView) -> dict[str, object]:
    r = view.request
    return {
        "subject": r.subject or "(sans objet)",
        "from_email": r.from_email,
        "school_code": r.school_code or "établissement inconnu",
        "received_at": r.received_at,
        "response_due_at": r.response_due_at,
    }


async def send_digest(
    uow: UnitOfWork, clock: Clock, policy: SupportPolicy, *, daip_email: str
) -> dict[str, int]:
    """Queue DAIP's French digest of open requests at risk or past their deadline.
    Only while DAIP is open; at most one digest per hour (the dedupe key)."""
    now = clock.now()
    async with uow:
        hours = opening_clock(await calendar_in(uow))
        if not hours.is_open(now):
            return {"outside_opening_hours": 1, "queued": 0}
        views = [_view(r, hours, now, policy) for r in await uow.support_requests.open_requests()]
        at_risk = [v for v in views if v.sla_state is SlaState.at_risk]
        breached = [v for v in views if v.sla_state is SlaState.breached]
        counts = {"at_risk": len(at_risk), "breached": len(breached), "queued": 0}
        if not at_risk and not breached:
            return counts
        by_due = sorted(at_risk + breached, key=lambda v: v.request.response_due_at)
        hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        queued = await queue_mail(
            uow, now=now, template="support-digest", to=[daip_email],
            dedupe_key=f"support-digest:{hour.isoformat()}",
            context={
                "now": now,
                "at_risk": [_digest_item(v) for v in by_due if v.sla_state is SlaState.at_risk],
                "breached": [
                    _digest_item(v) for v in by_due if v.sla_state is SlaState.breached
                ],
            },
        )
        counts["queued"] = int(queued)
        await uow.commit()
    return counts


def support_digest_job(policy: SupportPolicy, *, daip_email: str) -> Job:
    async def run(context: JobContext) -> dict[str, int]:
        return await send_digest(
            context.uow_factory(), context.clock, policy, daip_email=daip_email
        )

    return Job(
        name=SUPPORT_DIGEST_JOB,
        schedule=Every(timedelta(hours=1)),
        run=run,
        description="E-mail DAIP the support requests at risk or past their deadline "
        "(hourly, during opening hours only).",
    )


# ------------------------------------------------------------------------ automatic closure

SUPPORT_AUTO_CLOSE_JOB = "support-auto-close"


async def close_silent_requests(uow: UnitOfWork, clock: Clock, actor: Actor) -> dict[str, int]:
    """R-SUP-3: close each answered request with no message for 30 Paris calendar days,
    `closed_at` = 00:00 Paris of the 31st day after its last message's Paris date (not
    the run's instant), closure `automatic`; one audit event each."""
    now = clock.now()
    # Requests whose last message is on or after this Paris day are not due yet.
    bound = paris_day_start(paris_date(now) - timedelta(days=SILENCE_DAYS))
    closed = 0
    async with uow:
        for request in await uow.support_requests.answered_silent_before(bound):
            closed_at = automatic_closure_at(request.last_message)
            if closed_at > now:
                continue
            done = replace(request, status=SupportStatus.closed, closed_at=closed_at,
                           closure=SupportClosure.automatic)
            if not await uow.support_requests.transition(done, expected=SupportStatus.answered):
                continue  # closed by hand meanwhile
            await audit.record(
                uow, actor, now=now, action="support-request.closed", resource_type=RESOURCE,
                resource_id=request.id, old={"status": request.status},
                new={"status": done.status, "closed_at": closed_at, "closure": done.closure},
            )
            closed += 1
        await uow.commit()
    return {"closed": closed}


def support_auto_close_job() -> Job:
    async def run(context: JobContext) -> dict[str, int]:
        return await close_silent_requests(context.uow_factory(), context.clock,
                                           context.actor)

    return Job(
        name=SUPPORT_AUTO_CLOSE_JOB,
        schedule=DailyAt(time(0, 15)),
        run=run,
        description=f"Close answered support requests without a message for {SILENCE_DAYS} "
        "Paris days, at 00:00 of the next day (R-SUP-3).",
    )


# ------------------------------------------------------------------------ mailbox import


@dataclass
class ImportReport:
    """What an import did, message by message (a re-run creates and answers nothing)."""

    read: int = 0
    created: int = 0
    already_recorded: int = 0
    duplicates: int = 0
    conflicts: int = 0
    responses: int = 0
    responses_already_recorded: int = 0
    other_replies: int = 0
    follow_ups: int = 0
    ignored: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


async def _stored(uow_factory: UnitOfWorkFactory, message_id: str) -> SupportRequest | None:
    async with uow_factory() as uow:
        return await uow.support_requests.by_message_id(message_id)


async def _record_message(
    uow_factory: UnitOfWorkFactory, request: SupportRequest, at: datetime | None
) -> None:
    """A message on a request (a follow-up, a later reply): its silence (R-SUP-3)
    restarts from it, unless the request is already closed."""
    if at is None or request.status is SupportStatus.closed:
        return
    async with uow_factory() as uow:
        await uow.support_requests.record_message(request.id, _utc(at, "date"))
        await uow.commit()


async def _thread_request(
    uow_factory: UnitOfWorkFactory, mail: InboundMail, threads: dict[str, str]
) -> str | None:
    """The Message-ID of the request `mail` answers or follows up, if known."""
    for ref in mail.in_reply_to:
        if ref in threads:
            return threads[ref]
        if await _stored(uow_factory, ref) is not None:
            return ref
    return None


async def import_mailbox(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    actor: Actor,
    mails: Iterable[InboundMail],
    policy: SupportPolicy,
    *,
    daip_email: str,
) -> ImportReport:
    """Import an export of DAIP's mailbox, oldest message first, one transaction each:

    * a message from DAIP (`daip_email`) in reply (In-Reply-To, References) to a known
      request records its first response, sent at its Date: (else Received:); a later
      reply to an answered request changes nothing;
    * another message in reply to a known request is a follow-up (no new request);
    * any other message is a request, one per Message-ID, received at the topmost
      Received: header (else Date:).

    Safe to run again: stored requests and responses are recognised, not duplicated."""
    report = ImportReport()
    daip = daip_email.lower()
    unique: dict[str, InboundMail] = {}
    for mail in mails:
        report.read += 1
        if mail.problem is not None:
            report.invalid += 1
            report.problems.append(f"{mail.source}: {mail.problem}")
            continue
        if not mail.message_id or mail.instant is None:
            report.invalid += 1
            report.problems.append(f"{mail.source}: no Message-ID or no date")
            continue
        if mail.message_id in unique:
            report.duplicates += 1
            continue
        unique[mail.message_id] = mail
    threads: dict[str, str] = {}  # Message-ID → the request's Message-ID
    ordered = sorted(unique.values(), key=lambda m: m.instant)  # type: ignore[arg-type,return-value]
    for mail in ordered:
        assert mail.message_id is not None
        target = await _thread_request(uow_factory, mail, threads)
        try:
            if mail.from_email.lower() == daip:
                if target is None:
                    report.ignored += 1
                    continue
                threads[mail.message_id] = target
                await _import_reply(uow_factory, clock, actor, mail, target, policy, report)
            elif target is not None:
                threads[mail.message_id] = target
                report.follow_ups += 1
                follow_up = await _stored(uow_factory, target)
                if follow_up is not None:
                    await _record_message(uow_factory, follow_up, mail.instant)
            else:
                await _import_request(uow_factory, clock, actor, mail, policy, report)
                threads[mail.message_id] = mail.message_id
        except InvalidInput as exc:
            report.invalid += 1
            report.problems.append(f"{mail.source}: {exc.detail}")
        except Conflict as exc:
            report.conflicts += 1
            report.problems.append(f"{mail.source}: {exc.detail}")
    return report


async def _import_request(
    uow_factory: UnitOfWorkFactory, clock: Clock, actor: Actor, mail: InboundMail,
    policy: SupportPolicy, report: ImportReport,
) -> None:
    assert mail.message_id is not None and mail.instant is not None
    _, created = await create_request(
        uow_factory(), clock, actor,
        NewSupportRequest(
            message_id=mail.message_id,
            received_at=mail.instant,
            from_email=mail.from_email,
            subject=mail.subject[:SUBJECT_MAX],
        ),
        policy,
    )
    if created:
        report.created += 1
    else:
        report.already_recorded += 1


async def _import_reply(
    uow_factory: UnitOfWorkFactory, clock: Clock, actor: Actor, mail: InboundMail,
    target: str, policy: SupportPolicy, report: ImportReport,
) -> None:
    request = await _stored(uow_factory, target)
    sent_at = mail.sent_instant
    if request is None or sent_at is None:  # the request was refused above
        report.ignored += 1
        return
    if request.responded_at is not None:
        if request.responded_at == sent_at:
            report.responses_already_recorded += 1
        else:
            report.other_replies += 1
            await _record_message(uow_factory, request, sent_at)
        return
    if request.status is SupportStatus.closed:
        report.ignored += 1
        return
    await record_first_response(
        uow_factory(), clock, actor, request.id, responded_at=sent_at, policy=policy
    )
    report.responses += 1
