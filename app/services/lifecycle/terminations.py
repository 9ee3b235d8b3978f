"""Termination notices for non-performance (R-CONV-3, R-CONV-3a, R-CONV-4, R-CONV-5):
filed by a party against another, cured before their effective date, applied by the
convention's clock (`load_clock`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.calendar import ensure_event_date_in_range, paris_date
from app.domain.convention import TerminationNotice
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.ids import new_id
from app.domain.lifecycle import (
    NoticeRecord,
    NoticeStatus,
    check_cure,
    ensure_notice_receivable,
    notice_parties,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.convention import load_clock
from app.services.visibility import ensure_unconfined


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
