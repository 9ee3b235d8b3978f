"""Personal-data breach records and the informing of the other parties' DPOs (art. 12;
the obligations register's R-OBL-16 reads them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    UowDep,
    decode_cursor,
    encode_cursor,
    get_actor,
    require,
    scope_doc,
)
from app.api.responses import body_problems, problems
from app.domain.auth import Principal
from app.domain.breaches import Breach
from app.domain.convention import Party
from app.ports.audit import Actor
from app.schemas.breaches import (
    BreachIn,
    BreachList,
    BreachOut,
    DpoNotificationIn,
    DpoNotificationOut,
)
from app.services import breaches as service

router = APIRouter(prefix="/api/v1", tags=["obligations"])

READ = ("obligations:read", "obligations:write")
WHO_READS = (
    "Breach records name no school: the parties read them (callers not confined to "
    "schools); a caller confined to schools knows none (404, empty list). "
)


def breach_out(breach: Breach) -> BreachOut:
    return BreachOut(
        id=breach.id, reference=breach.reference, discovered_by=breach.discovered_by.value,
        discovered_at=breach.discovered_at, description=breach.description,
        recorded_at=breach.recorded_at,
        parties_to_inform=[p.value for p in breach.parties_to_inform()],
        dpo_notifications=[
            DpoNotificationOut(party=n.party.value, informed_at=n.informed_at,
                               reference=n.reference, note=n.note, recorded_at=n.recorded_at)
            for n in breach.notifications
        ],
    )


@router.post(
    "/breaches",
    status_code=201,
    operation_id="record_breach",
    summary="Record a personal-data breach (art. 12)",
    description=(
        "A party (`region`, `ut`, `gcs`) discovered a personal-data breach at "
        "`discovered_at`: each other party's DPO is owed the information within 72 hours "
        "(R-OBL-16, shown by the obligations register). `discovered_at` before 2024 "
        "(Paris date) → 422 `date-out-of-range` (R-DATE-1). The same reference with the "
        "same content → 200 with the stored record; with other content → 409 "
        "`breach-exists`. A caller confined to schools → 403. "
        + scope_doc("obligations:write")
    ),
    response_model=BreachOut,
    responses={**body_problems(409), 200: {"model": BreachOut, "description": "Same record"},
               201: {"description": "Recorded", "links": {
                   "GetBreach": {"operationId": "get_breach",
                                 "parameters": {"id": "$response.body#/id"}},
                   "RecordDpoNotification": {"operationId": "record_dpo_notification",
                                             "parameters": {"id": "$response.body#/id"}}}}},
)
async def record_breach(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require("obligations:write"))],
    actor: Annotated[Actor, Depends(get_actor)],
    body: BreachIn,
) -> BreachOut:
    breach, created = await service.record_breach(
        uow, clock, actor, reference=body.reference, discovered_by=Party(body.discovered_by),
        discovered_at=body.discovered_at, description=body.description,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/breaches/{breach.id}"
    return breach_out(breach)


@router.get(
    "/breaches",
    summary="Personal-data breach records, in recording order",
    description=WHO_READS + scope_doc(*READ),
    response_model=BreachList,
    responses=problems(),
)
async def list_breaches(
    uow: UowDep,
    _: Annotated[Principal, Depends(require(*READ))],
    actor: Annotated[Actor, Depends(get_actor)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> BreachList:
    after = decode_cursor(cursor, 1, (str,))
    found = await service.list_breaches(
        uow, actor, after_id=after[0] if after else None, limit=limit + 1)
    page = found[:limit]
    return BreachList(items=[breach_out(b) for b in page],
                      next_cursor=encode_cursor(page[-1].id) if len(found) > limit else None)


@router.get(
    "/breaches/{id}",
    operation_id="get_breach",
    summary="One personal-data breach record",
    description=WHO_READS + scope_doc(*READ),
    response_model=BreachOut,
    responses=problems(404),
)
async def get_breach(
    uow: UowDep,
    _: Annotated[Principal, Depends(require(*READ))],
    actor: Annotated[Actor, Depends(get_actor)],
    id: str,
) -> BreachOut:
    return breach_out(await service.get_breach(uow, actor, id))


@router.post(
    "/breaches/{id}/dpo-notifications",
    status_code=201,
    operation_id="record_dpo_notification",
    summary="Record the instant a party's DPO was informed of the breach",
    description=(
        "The evidence of the R-OBL-16 obligation towards `party`: the instant its DPO was "
        "informed, with the message's reference. The discoverer informs only the other "
        "parties (else 422 `invalid-party`); `informed_at` before `discovered_at` → 422 "
        "`out-of-order`, before 2024 → 422 `date-out-of-range` (R-DATE-1). The same again "
        "→ 200; that party already recorded otherwise → 409 `dpo-already-informed`. "
        + scope_doc("obligations:write")
    ),
    response_model=BreachOut,
    responses={**body_problems(404, 409),
               200: {"model": BreachOut, "description": "Already recorded"}},
)
async def record_dpo_notification(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require("obligations:write"))],
    actor: Annotated[Actor, Depends(get_actor)],
    id: str,
    body: DpoNotificationIn,
) -> BreachOut:
    breach, created = await service.record_dpo_notification(
        uow, clock, actor, id, party=Party(body.party), informed_at=body.informed_at,
        reference=body.reference, note=body.note,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    response.status_code = 201 if created else 200
    return breach_out(breach)
