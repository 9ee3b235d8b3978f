"""The import of an export of DAIP's mailbox: requests, DAIP's first responses and
follow-ups, each recognised again on a re-run (R-SUP-1, R-SUP-2, R-SUP-3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.errors import Conflict, InvalidInput
from app.domain.support import (
    SupportRequest,
    SupportStatus,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.support import InboundMail
from app.ports.unit_of_work import UnitOfWorkFactory
from app.services.support.requests import (
    SUBJECT_MAX,
    NewSupportRequest,
    create_request,
    record_first_response,
)
from app.services.support.sla import (
    SupportPolicy,
    utc_instant,
)


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
        await uow.support_requests.record_message(request.id, utc_instant(at, "date"))
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


def _importable(mails: Iterable[InboundMail], report: ImportReport) -> list[InboundMail]:
    """The messages to import, one per Message-ID, oldest first; the others are counted
    (invalid, duplicates) in `report`."""
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
    return sorted(unique.values(), key=lambda m: m.instant)  # type: ignore[arg-type,return-value]


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
    threads: dict[str, str] = {}  # Message-ID → the request's Message-ID
    for mail in _importable(mails, report):
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
