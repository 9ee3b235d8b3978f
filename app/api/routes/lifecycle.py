"""Amendments and termination notices (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5); the
suspensions' routes (app/api/routes/suspensions.py) follow them."""

from __future__ import annotations

from typing import Annotated

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
)
from app.api.responses import body_problems, links, problems
from app.api.routes import suspensions
from app.domain.convention import TermChanges
from app.domain.lifecycle import AmendmentRecord, NoticeRecord
from app.schemas.lifecycle import (
    AmendmentIn,
    AmendmentList,
    AmendmentOut,
    CureIn,
    NoticeIn,
    NoticeList,
    NoticeOut,
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


# The suspensions' routes follow the termination notices in the contract and in route
# matching, as when they were written here (the app includes this router only).
router.routes.extend(suspensions.router.routes)
