"""Amendments, termination notices and suspensions (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5, R-SUS-1,
R-SUS-2)."""

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
    decode_cursor,
    paged,
    text_cursor,
)
from app.api.responses import body_problems, links, problems
from app.domain.access import SuspensionScope
from app.domain.accounts import RoleKind
from app.domain.convention import TermChanges
from app.domain.lifecycle import AmendmentRecord, NoticeRecord
from app.domain.suspensions import Ground, Suspension, SuspensionStatus
from app.schemas.common import SchoolCode
from app.schemas.lifecycle import (
    AmendmentIn,
    AmendmentList,
    AmendmentOut,
    CureIn,
    LiftingIn,
    NoticeIn,
    NoticeList,
    NoticeOut,
    RestorationIn,
    SuspensionIn,
    SuspensionList,
    SuspensionOut,
    TermChangesOut,
)
from app.services import lifecycle as service

router = Router(prefix="/api/v1", tags=["convention lifecycle"])


def amendment_out(record: AmendmentRecord) -> AmendmentOut:
    a = record.amendment
    return AmendmentOut(
        reference=a.reference,
        signed_on=a.signed_on,
        effective_on=a.effective_on,
        changes=TermChangesOut(
            ends_on=a.changes.ends_on,
            storage_capacity_bytes=a.changes.storage_capacity_bytes,
            school_alert_threshold_bytes=a.changes.school_alert_threshold_bytes,
            rate_per_student_cents=a.changes.rate_per_student_cents,
        ),
        schools_added=record.schools_added,
        removes_school_codes=list(a.removes_school_codes),
        recorded_at=record.created_at,
    )


def notice_out(request: Request, record: NoticeRecord) -> NoticeOut:
    n = record.notice
    return NoticeOut(
        id=n.id,
        notifying_party=n.notifying_party.value if n.notifying_party else "",
        defaulting_party=n.defaulting_party.value if n.defaulting_party else "",
        grounds=record.grounds,
        letter_ref=record.letter_ref,
        received_on=n.received_on,
        effective_on=n.effective_on,
        access_end_on=n.access_end_on(container_of(request.app).rules.termination_access_end),
        cured_on=n.cured_on,
        status=service.notice_status(record, container_of(request.app).clock).value,
    )


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


def _page(items: list, key, cursor: str | None, limit: int):
    after = decode_cursor(cursor, 1)
    if after is not None:
        keys = [key(i) for i in items]
        start = keys.index(after[0]) + 1 if after[0] in keys else len(items)
        items = items[start:]
    return paged(items, limit, key)


# ---------------------------------------------------------------- amendments


@router.post(
    "/convention/amendments",
    status_code=201,
    summary="Record an amendment (avenant)",
    description=(
        "R-CONV-2: terms in force on a date = initial terms + amendments effective on or "
        "before it. At least one change (or `schools_added`, or `removes_school_codes`: "
        "R-CONV-2a, an unknown code → 422 `unknown-school`); `ends_on` ≥ `effective_on`; "
        "a duplicate reference → 409 `amendment-exists`."
    ),
    response_model=AmendmentOut,
    responses=body_problems(409),
)
async def record_amendment(
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    body: AmendmentIn,
) -> AmendmentOut:
    record = await service.record_amendment(
        uow, clock, caller.actor, reference=body.reference, signed_on=body.signed_on,
        effective_on=body.effective_on,
        changes=TermChanges(
            ends_on=body.changes.ends_on,
            storage_capacity_bytes=body.changes.storage_capacity_bytes,
            school_alert_threshold_bytes=body.changes.school_alert_threshold_bytes,
            rate_per_student_cents=body.changes.rate_per_student_cents,
        ),
        schools_added=body.schools_added,
        removes_school_codes=tuple(body.removes_school_codes),
    )
    response.headers["Location"] = "/api/v1/convention/amendments"
    return amendment_out(record)


@router.get(
    "/convention/amendments",
    summary="Recorded amendments, in recording order",
    response_model=AmendmentList,
    responses=problems(),
)
async def list_amendments(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AmendmentList:
    records = await service.list_amendments(uow)
    page, next_cursor = _page(records, lambda r: r.amendment.reference, cursor, limit)
    return AmendmentList(items=[amendment_out(r) for r in page], next_cursor=next_cursor)


# ---------------------------------------------------------------- termination


@router.post(
    "/convention/termination-notices",
    status_code=201,
    operation_id="file_termination_notice",
    summary="Record a termination notice (résiliation, art. 10)",
    description=(
        "R-CONV-3: effective 3 calendar months after the letter's reception (clamped to "
        "the month's end) unless cured before. R-CONV-3a: only a party (region, ut, gcs) "
        "notifies, and only another party (else 422 `invalid-notice`); several notices "
        "may be pending, the one with the earliest effective date governs; a notice "
        "received on or after the governing notice's effective date or after the end "
        "date in force → 409 `convention-not-active`; the same letter again → 200."
    ),
    response_model=NoticeOut,
    responses={**body_problems(409), 200: {"model": NoticeOut, "description": "Same letter"},
               201: {"description": "Recorded", "links": links(
                   {"id": "$response.body#/id"}, ("CureNotice", "cure_termination_notice"))}},
)
async def file_notice(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    body: NoticeIn,
) -> NoticeOut:
    record, created = await service.file_notice(
        uow, clock, caller.actor, notifying_party=body.notifying_party,
        defaulting_party=body.defaulting_party, grounds=body.grounds,
        letter_ref=body.letter_ref, received_on=body.received_on,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/convention/termination-notices/{record.notice.id}"
    return notice_out(request, record)


@router.get(
    "/convention/termination-notices",
    summary="Termination notices",
    response_model=NoticeList,
    responses=problems(),
)
async def list_notices(
    request: Request,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> NoticeList:
    records = await service.list_notices(uow)
    page, next_cursor = _page(records, lambda r: r.notice.id, cursor, limit)
    return NoticeList(items=[notice_out(request, r) for r in page], next_cursor=next_cursor)


@router.get(
    "/convention/termination-notices/{id}",
    summary="One termination notice",
    response_model=NoticeOut,
    responses=problems(404),
)
async def get_notice(
    request: Request,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    id: str,
) -> NoticeOut:
    return notice_out(request, await service.get_notice(uow, id))


@router.post(
    "/convention/termination-notices/{id}/cure",
    operation_id="cure_termination_notice",
    summary="Record that the defaulting party cured before the effective date",
    description=(
        "Accepted from `pending` or `effective` when `cured_on` < `effective_on`: the "
        "notice then has no effect. Else 409 `cure-too-late`."
    ),
    response_model=NoticeOut,
    responses=body_problems(404, 409),
)
async def cure(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    id: str,
    body: CureIn,
) -> NoticeOut:
    record = await service.cure_notice(uow, clock, caller.actor, id, cured_on=body.cured_on)
    return notice_out(request, record)


# ---------------------------------------------------------------- suspensions

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
