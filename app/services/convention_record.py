"""The convention record (R-CONV-6): the deliberation, each party's signature date and
each party's obligations contact, changed by UT and audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.calendar import ensure_event_date_in_range, paris_date
from app.domain.convention import Party
from app.domain.convention_record import (
    CFVU_DELIBERATION,
    ConventionRecord,
    PartyRecord,
    check_signature,
    ensure_not_a_dpo_address,
)
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.visibility import ensure_unconfined

RESOURCE = "convention_party"


async def read_convention_record(uow: UnitOfWork) -> ConventionRecord:
    async with uow:
        return await convention_record(uow)


async def convention_record(uow: UnitOfWork) -> ConventionRecord:
    """The record as stored, read in the caller's unit of work."""
    stored = {p.party: p for p in await uow.party_records.all()}
    return ConventionRecord(
        deliberation=CFVU_DELIBERATION,
        parties=tuple(stored.get(party, PartyRecord(party)) for party in Party),
    )


async def record_signature(
    uow: UnitOfWork, clock: Clock, actor: Actor, *, party: Party, signed_on: date,
) -> tuple[PartyRecord, bool]:
    """Record the date `party` signed the convention; (entry, recorded now)."""
    ensure_unconfined(actor.principal, "the convention record")
    ensure_event_date_in_range(signed_on, "signed_on")
    now = clock.now()
    async with uow:
        known = await uow.party_records.get(party, for_update=True)
        if not check_signature(known, signed_on, paris_date(now)):
            return known, False
        await uow.party_records.set_signed_on(party, signed_on, now=now)
        await audit.record(uow, actor, now=now, action="convention.signature-recorded",
                           resource_type=RESOURCE, resource_id=party.value,
                           new={"signed_on": signed_on})
        await uow.commit()
    return replace(known, signed_on=signed_on), True


async def set_obligations_contact(
    uow: UnitOfWork, clock: Clock, actor: Actor, *, party: Party, email: str | None,
) -> PartyRecord:
    """Set (or, with None, remove) the e-mail the obligations digest writes to for
    `party`; never a DPO's address (422 `dpo-address`). The same again changes nothing."""
    ensure_unconfined(actor.principal, "the convention record")
    now = clock.now()
    async with uow:
        if email is not None:
            stored = await uow.convention.get()
            dpo = [c["email"] for c in stored.dpo_contacts] if stored else []
            ensure_not_a_dpo_address(email, dpo)
        known = await uow.party_records.get(party, for_update=True)
        if known.obligations_contact == email:
            return known
        await uow.party_records.set_obligations_contact(party, email, now=now)
        await audit.record(uow, actor, now=now, action="convention.obligations-contact-set",
                           resource_type=RESOURCE, resource_id=party.value,
                           old={"obligations_contact": known.obligations_contact},
                           new={"obligations_contact": email})
        await uow.commit()
    return replace(known, obligations_contact=email)
