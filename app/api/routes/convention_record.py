"""The convention record's changes: each party's signature date and obligations contact
(R-CONV-6), by UT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.api.deps import ClockDep, UowDep, get_actor, require, scope_doc
from app.api.responses import body_problems
from app.domain.auth import Principal
from app.domain.convention import Party
from app.domain.convention_record import PartyRecord
from app.ports.audit import Actor
from app.schemas.convention import ObligationsContactIn, PartyRecordOut, SignatureIn
from app.services import convention_record as service

router = APIRouter(prefix="/api/v1", tags=["convention"])


def party_record_out(entry: PartyRecord) -> PartyRecordOut:
    return PartyRecordOut(party=entry.party.value, signed_on=entry.signed_on,
                          obligations_contact=entry.obligations_contact)


@router.post(
    "/convention/signatures",
    status_code=201,
    summary="Record the date a party signed the convention",
    description=(
        "R-CONV-6: each party's signature date, recorded once (UT's, 2025-03-31, is "
        "recorded already). The same date again → 200; another → 409 "
        "`signature-recorded`; after today → 422 `date-in-future`; before 2024 → 422 "
        "`date-out-of-range` (R-DATE-1). Audited. Shown by `GET /api/v1/convention`. "
        + scope_doc("convention:write")
    ),
    response_model=PartyRecordOut,
    responses={**body_problems(409),
               200: {"model": PartyRecordOut, "description": "Already recorded"}},
)
async def record_signature(
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require("convention:write"))],
    actor: Annotated[Actor, Depends(get_actor)],
    body: SignatureIn,
) -> PartyRecordOut:
    entry, created = await service.record_signature(
        uow, clock, actor, party=Party(body.party), signed_on=body.signed_on)
    response.status_code = 201 if created else 200
    return party_record_out(entry)


@router.post(
    "/convention/obligations-contacts",
    summary="Set or remove a party's obligations contact",
    description=(
        "The e-mail the weekly obligations digest writes to for the party (managed by "
        "UT); `null` removes it (the digest then skips the party and says so). A DPO's "
        "address → 422 `dpo-address`. Audited when it changes. "
        + scope_doc("convention:write")
    ),
    response_model=PartyRecordOut,
    responses=body_problems(),
)
async def set_obligations_contact(
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require("convention:write"))],
    actor: Annotated[Actor, Depends(get_actor)],
    body: ObligationsContactIn,
) -> PartyRecordOut:
    entry = await service.set_obligations_contact(
        uow, clock, actor, party=Party(body.party), email=body.email)
    return party_record_out(entry)
