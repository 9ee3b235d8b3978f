"""Suspensions of a school (R-SUS-1, R-SUS-2): by UT's written notification, the school's
restoration request, lifting and refusal."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Request, Response

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    paged,
    text_cursor,
)
from app.api.responses import body_problems, links, problems
from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.suspensions import Ground, Suspension, SuspensionStatus
from app.schemas.common import SchoolCode
from app.schemas.lifecycle import (
    LiftingIn,
    RestorationIn,
    SuspensionIn,
    SuspensionList,
    SuspensionOut,
)
from app.services import lifecycle as service

router = Router(prefix="/api/v1", tags=["convention lifecycle"])


def suspension_out(s: Suspension) -> SuspensionOut:
    return SuspensionOut(
        id=s.id,
        school_code=s.school_code,
        ground=s.ground.value,
        scope=s.scope.value,
        kinds=sorted(k.value for k in s.kinds) if s.kinds is not None else None,
        account_uids=sorted(s.account_uids) if s.account_uids is not None else None,
        starts_at=s.starts_at,
        notified_at=s.notified_at,
        notice_ref=s.notice_ref,
        details=s.details,
        status=s.status.value,
        restoration_requested_at=s.restoration_requested_at,
        corrective_actions=s.corrective_actions,
        lifted_at=s.lifted_at,
        lifting_ref=s.lifting_ref,
        restoration_refused_at=s.restoration_refused_at,
        restoration_refusal_ref=s.restoration_refusal_ref,
    )



RESTORE = ("suspensions:restore", "convention:write")
READ = ("convention:read", "suspensions:restore")


@router.post(
    "/schools/{code}/suspensions",
    status_code=201,
    operation_id="suspend_school",
    summary="Suspend a school's platform access or messaging (art. 6)",
    description=(
        "R-SUS-1, R-SUS-2. `platform` (the whole school, or restricted by `kinds` or "
        "`account_uids`) or `messaging`. Art. 6.2 grounds need `notified_at` and "
        "`notice_ref` and start at or after `notified_at` (`starts_at` defaults to it; "
        "earlier → 422 `out-of-order`, R-SUS-2a); `mass_mailing` (art. 6.1) is "
        "`messaging` of trainers only and may start without notice, before the school is "
        "informed. The school's referents are told by e-mail."
    ),
    response_model=SuspensionOut,
    responses={**body_problems(404), 201: {"description": "Suspended", "links": links(
        {"id": "$response.body#/id"},
        ("LiftSuspension", "lift_suspension"), ("GetSuspension", "get_suspension"))}},
)
async def suspend(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    code: str,
    body: SuspensionIn,
) -> SuspensionOut:
    s = await service.suspend(
        uow, clock, caller.actor, school_code=code, ground=Ground(body.ground),
        scope=SuspensionScope(body.scope), starts_at=body.starts_at,
        notified_at=body.notified_at, notice_ref=body.notice_ref, details=body.details,
        kinds=frozenset(RoleKind(k) for k in body.kinds) if body.kinds else None,
        account_uids=frozenset(body.account_uids) if body.account_uids else None,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    response.headers["Location"] = f"/api/v1/suspensions/{s.id}"
    return suspension_out(s)


@router.post(
    "/suspensions/{id}/restoration-request",
    summary="The school asks for restoration after corrective actions",
    description="From `active`; repeated → 200. A referent only for its schools.",
    response_model=SuspensionOut,
    responses=body_problems(404, 409),
)
async def request_restoration(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with(*RESTORE))],
    id: str,
    body: RestorationIn,
) -> SuspensionOut:
    s = await service.request_restoration(
        uow, clock, caller.actor, id, requested_at=body.requested_at,
        corrective_actions=body.corrective_actions,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return suspension_out(s)


@router.post(
    "/suspensions/{id}/lifting",
    operation_id="lift_suspension",
    summary="UT lifts the suspension by a written notification",
    description=(
        "From `active` or `restoration_requested`; active on [starts_at, notified_at). "
        "Repeated with the same body → 200; else 409 `invalid-transition`."
    ),
    response_model=SuspensionOut,
    responses=body_problems(404, 409),
)
async def lift(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    id: str,
    body: LiftingIn,
) -> SuspensionOut:
    s = await service.lift(
        uow, clock, caller.actor, id, notified_at=body.notified_at, notice_ref=body.notice_ref,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return suspension_out(s)


@router.post(
    "/suspensions/{id}/restoration-refusal",
    operation_id="refuse_restoration",
    summary="UT refuses a restoration request in writing",
    description=(
        "R-SUS-2b: from `restoration_requested`, with the written refusal's date "
        "(`notified_at`) and reference (`notice_ref`); the suspension goes back to "
        "`active` (the school may ask again), audited. Repeated with the same body → 200; "
        "no pending request → 409 `invalid-transition`; dated before the request → 422 "
        "`out-of-order`."
    ),
    response_model=SuspensionOut,
    responses=body_problems(404, 409),
)
async def refuse_restoration(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    id: str,
    body: LiftingIn,
) -> SuspensionOut:
    s = await service.refuse_restoration(
        uow, clock, caller.actor, id, notified_at=body.notified_at, notice_ref=body.notice_ref,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return suspension_out(s)


@router.get(
    "/suspensions",
    summary="Suspensions",
    description="A referent sees its schools' only.",
    response_model=SuspensionList,
    responses=problems(),
)
async def list_suspensions(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with(*READ))],
    status: Literal["active", "restoration_requested", "lifted"] | None = None,
    school_code: SchoolCode | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SuspensionList:
    items = await service.list_suspensions(
        uow, caller.principal, status=SuspensionStatus(status) if status else None,
        school_code=school_code, after_id=text_cursor(cursor), limit=limit + 1,
    )
    page, next_cursor = paged(items, limit, lambda s: s.id)
    return SuspensionList(items=[suspension_out(s) for s in page], next_cursor=next_cursor)


@router.get(
    "/suspensions/{id}",
    operation_id="get_suspension",
    summary="One suspension",
    response_model=SuspensionOut,
    responses=problems(404),
)
async def get_suspension(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with(*READ))],
    id: str,
) -> SuspensionOut:
    return suspension_out(await service.get_suspension(uow, caller.principal, id))
