"""The e-mail outbox: queue in the business transaction, deliver by a dispatcher job.

* `queue_mail` renders a French template (Jinja2, `app/templates/mail/`) and writes
  the message in the caller's unit of work: a rolled-back change sends nothing. The
  dedupe key makes queueing idempotent; the Message-ID derives from it, so it is stable
  across attempts and lets receivers drop a duplicate.
* `dispatch_outbox` leases due messages (`claim`), sends each through the `Mailer`
  outside any transaction, then records the attempt and the new state (`settle`).
  Temporary failures back off exponentially (base × 2^(attempt−1)) up to the maximum
  number of attempts; permanent ones (5xx) go to `dead` at once.
* Delivery is at least once: a dispatcher that dies between sending and settling leaves
  the lease to expire and the message is sent again, with the same Message-ID.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jinja2

from app.domain.auth import Principal
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.formatting import french_date, french_datetime
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.outbox import DeliveryError, Mailer, OutboxMessage, OutgoingMail
from app.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from app.services import audit
from app.services.jobs import JobContext, JobFunction
from app.services.visibility import confined, unschooled_or_404

log = logging.getLogger("app.outbox")

MESSAGE_ID_DOMAIN = "convention.univ-tlse3.fr"
STATUSES = ("pending", "retrying", "sent", "dead")
MAX_BACKOFF = timedelta(hours=24)
_TEMPLATE_NAME = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")


# ------------------------------------------------------------------------ templates


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("app", "templates/mail"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["date_fr"] = french_date
    environment.filters["datetime_fr"] = french_datetime
    return environment


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render(template: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render `<template>.subject.j2`, `.txt.j2` and `.html.j2` (HTML autoescaped; a
    missing variable is an error, never an empty string in a sent mail)."""
    if not _TEMPLATE_NAME.fullmatch(template):
        raise ValueError(f"not a template name: {template!r}")
    environment = _templates()
    subject = environment.get_template(f"{template}.subject.j2").render(context)
    subject = " ".join(subject.split())
    if not subject:
        raise ValueError(f"template {template!r} renders an empty subject")
    return RenderedMail(
        subject=subject,
        text=environment.get_template(f"{template}.txt.j2").render(context),
        html=environment.get_template(f"{template}.html.j2").render(context),
    )


def message_id_for(dedupe_key: str) -> str:
    """A stable RFC 5322 Message-ID derived from the dedupe key (no personal data),
    short enough that its header line is never folded."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def _addresses(values: Sequence[str], field: str) -> tuple[str, ...]:
    out = tuple(values)
    for value in out:
        if "@" not in value or any(c in value for c in "\r\n"):
            raise InvalidInput("not an e-mail address", code="invalid-email", field=field)
    return out


async def queue_mail(
    uow: UnitOfWork,
    *,
    now: datetime,
    template: str,
    to: Sequence[str],
    context: Mapping[str, Any],
    dedupe_key: str,
    cc: Sequence[str] = (),
) -> bool:
    """Queue a rendered mail in `uow`'s transaction (the caller commits). False when a
    mail with this dedupe key was already queued: nothing is added."""
    recipients = _addresses(to, "to")
    if not recipients:
        raise ValueError("a mail needs at least one recipient")
    if not 0 < len(dedupe_key) <= 300:
        raise ValueError("a dedupe key has 1 to 300 characters")
    rendered = render(template, context)
    mail = OutgoingMail(
        dedupe_key=dedupe_key,
        template=template,
        recipients=recipients,
        cc=_addresses(cc, "cc"),
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
    )
    return await uow.outbox.add(mail, now=now, message_id=message_id_for(dedupe_key))


async def list_messages(
    uow: UnitOfWork, principal: Principal, *, status: str | None, after_id: int | None,
    limit: int,
) -> list[OutboxMessage]:
    """Messages name no school (their recipients are personal data): none is listed to
    a caller confined to schools."""
    if status is not None and status not in STATUSES:
        raise InvalidInput("unknown outbox status", field="status")
    if confined(principal):
        return []
    async with uow:
        return await uow.outbox.list(status=status, after_id=after_id, limit=limit)


# ----------------------------------------------------------------------- requeue


@dataclass
class RequeueReport:
    requeued: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # unchanged, and why
    missing: list[int] = field(default_factory=list)


async def requeue_message(
    uow: UnitOfWork, clock: Clock, actor: Actor, message_id: int
) -> tuple[OutboxMessage, bool]:
    """Put a `dead` message back in the queue (`pending`, due now, a new budget of
    attempts; the past attempts stay recorded), audited; True when requeued. A message
    already back in the queue (`pending`, `retrying`: a repeated requeue) answers as it
    is; a `sent` one → 409 `message-sent` (requeuing it would send it twice), one left
    without any recipient (erased, R-GDPR-2) → 409 `message-without-recipient`; an
    unknown id or a caller confined to schools (outbox messages name no school) → 404."""
    now = clock.now()
    async with uow:
        unschooled_or_404(actor.principal, "no such outbox message")
        current = await uow.outbox.get(message_id, for_update=True)
        if current is None:
            raise NotFound("no such outbox message")
        if current.status == "sent":
            raise Conflict("this message was sent; it is not requeued",
                           code="message-sent")
        if current.status != "dead":
            return current, False
        if not current.recipients and not current.cc:
            raise Conflict("this message has no recipient left (erased); it is not "
                           "requeued", code="message-without-recipient")
        requeued = await uow.outbox.requeue(message_id, now=now)
        if requeued is None:  # requeued concurrently since it was read
            again = await uow.outbox.get(message_id)
            assert again is not None
            return again, False
        await audit.record(
            uow, actor, now=now, action="mail.requeued", resource_type="outbox-message",
            resource_id=current.message_id,
            old={"status": "dead", "attempts": current.attempts},
            new={"status": "pending", "attempts": 0},
        )
        await uow.commit()
    return requeued, True


async def requeue_dead(
    uow_factory: UnitOfWorkFactory, clock: Clock, actor: Actor,
    message_ids: Sequence[int] | None,
) -> RequeueReport:
    """Requeue the given messages, or every `dead` one (None), one transaction each:
    one that cannot be requeued is reported, never stops the others."""
    report = RequeueReport()
    if message_ids is None:
        async with uow_factory() as uow:
            dead: list[int] = []
            after: int | None = None
            while batch := await uow.outbox.list(status="dead", after_id=after, limit=500):
                dead += [m.id for m in batch]
                after = batch[-1].id
        message_ids = dead
    for message_id in message_ids:
        try:
            _, requeued = await requeue_message(uow_factory(), clock, actor, message_id)
        except NotFound:
            report.missing.append(message_id)
        except Conflict as refused:
            report.skipped.append((message_id, refused.detail))
        else:
            if requeued:
                report.requeued.append(message_id)
            else:
                report.skipped.append((message_id, "already queued again"))
    return report


# ----------------------------------------------------------------------- dispatcher


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=60)
    lease: timedelta = timedelta(seconds=120)
    batch_size: int = 50

    def backoff(self, attempt: int) -> timedelta:
        """Wait after failed attempt number `attempt` (1-based): base × 2^(attempt−1)."""
        return min(self.backoff_base * 2 ** min(attempt - 1, 30), MAX_BACKOFF)


@dataclass(frozen=True)
class _Settlement:
    status: str
    outcome: str
    detail: str | None
    next_attempt_at: datetime


def _settlement(
    message: OutboxMessage, policy: OutboxPolicy, *, now: datetime,
    note: str | None = None, failure: DeliveryError | None = None,
) -> _Settlement:
    if failure is None:
        return _Settlement("sent", "sent", note, now)
    attempt = message.attempts + 1
    if failure.permanent:
        return _Settlement("dead", "dead", failure.detail, now)
    if attempt >= policy.max_attempts:
        return _Settlement(
            "dead", "dead", f"gave up after {attempt} attempts: {failure.detail}", now
        )
    return _Settlement("retrying", "retry", failure.detail, now + policy.backoff(attempt))


async def _deliver(
    mailer: Mailer, message: OutboxMessage
) -> tuple[str | None, DeliveryError | None]:
    try:
        return await mailer.send(message), None
    except DeliveryError as failure:
        return None, failure
    except Exception as exc:  # a bug in a mailer must not stop the queue
        log.exception("mailer failed unexpectedly", extra={"outbox_id": message.id})
        return None, DeliveryError(f"unexpected {type(exc).__name__}", permanent=False)


_COUNTED_AS = {"sent": "sent", "retry": "retried", "dead": "dead"}


async def _attempt(
    uow_factory: UnitOfWorkFactory, clock: Clock, mailer: Mailer, policy: OutboxPolicy,
    message: OutboxMessage, *, lease_until: datetime,
) -> str:
    """Send one leased message and settle it; the count it goes to."""
    note, failure = await _deliver(mailer, message)
    now = clock.now()
    settlement = _settlement(message, policy, now=now, note=note, failure=failure)
    async with uow_factory() as uow:
        kept = await uow.outbox.settle(
            message.id,
            lease_until=lease_until,
            now=now,
            status=settlement.status,
            attempts=message.attempts + 1,
            next_attempt_at=settlement.next_attempt_at,
            outcome=settlement.outcome,
            detail=settlement.detail,
        )
        await uow.commit()
    if not kept:
        log.warning("outbox lease lost before settling", extra={"outbox_id": message.id})
        return "lost"
    return _COUNTED_AS[settlement.outcome]


async def dispatch_outbox(
    uow_factory: UnitOfWorkFactory, clock: Clock, mailer: Mailer, policy: OutboxPolicy
) -> dict[str, int]:
    """Deliver every message due now, batch after batch; counts of `sent`, `retried`,
    `dead` and `lost` (leases that expired before settling: another dispatcher owns
    those). A run stops after one lease period, so it never outlives its own leases."""
    counts = {"sent": 0, "retried": 0, "dead": 0, "lost": 0}
    attempted: set[int] = set()
    stop_at = clock.now() + policy.lease
    while clock.now() < stop_at:
        now = clock.now()
        lease_until = now + policy.lease
        async with uow_factory() as uow:
            claimed = await uow.outbox.claim(
                now=now, lease_until=lease_until, limit=policy.batch_size
            )
            await uow.commit()
        batch = [m for m in claimed if m.id not in attempted]
        if not batch:
            break  # nothing due, or only what this run already tried
        for message in batch:
            attempted.add(message.id)
            if clock.now() >= lease_until:
                break  # the rest of the batch is claimable again when the lease expires
            counts[
                await _attempt(uow_factory, clock, mailer, policy, message, lease_until=lease_until)
            ] += 1
    return counts


OUTBOX_JOB = "outbox-dispatch"


def outbox_job(mailer: Mailer, policy: OutboxPolicy) -> JobFunction:
    """The dispatcher as a periodic job's use case."""

    async def dispatch(context: JobContext) -> dict[str, int]:
        return await dispatch_outbox(context.uow_factory, context.clock, mailer, policy)

    return dispatch


async def queue_test_mail(uow: UnitOfWork, clock: Clock, actor: Actor, *, to: str) -> str:
    """Queue the `smtp-test` mail (operators check the SMTP set-up); its Message-ID."""
    now = clock.now()
    dedupe_key = f"smtp-test:{uuid.uuid4().hex}"
    async with uow:
        await queue_mail(
            uow, now=now, template="smtp-test", to=[to], context={"requested_at": now},
            dedupe_key=dedupe_key,
        )
        message_id = message_id_for(dedupe_key)
        await audit.record(
            uow, actor, now=now, action="mail.test-queued", resource_type="outbox-message",
            resource_id=message_id, new={"template": "smtp-test"},
        )
        await uow.commit()
    return message_id
