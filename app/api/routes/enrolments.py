"""Students: enrolment windows, bulk enrolment from the schooling office, cancellation,
listing and the census (R-ACC-6, R-ACC-7, R-BIL-1)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    decode_cursor,
    etag_of,
    paged,
    required_if_match,
)
from app.api.problems import ProblemException
from app.api.responses import body_problems, links, problems
from app.domain.enrolments import (
    MAX_BATCH_ITEMS,
    Enrolment,
    EnrolmentStatus,
    EnrolmentWindows,
    census_date,
)
from app.domain.rules import Rules
from app.schemas.common import SchoolCode
from app.schemas.enrolments import (
    CensusOut,
    EnrolmentBatchOut,
    EnrolmentCancellationIn,
    EnrolmentList,
    EnrolmentOut,
    EnrolmentResultOut,
    EnrolmentWindowsIn,
    EnrolmentWindowsOut,
    ItemErrorOut,
    SchoolCountOut,
    batch_request_schema,
    parse_items,
)
from app.services import enrolments as service

router = Router(prefix="/api/v1", tags=["students"])

YearPath = Annotated[str, Path(min_length=1, max_length=16, description='e.g. "2024-2025"')]
IdPath = Annotated[str, Path(min_length=1, max_length=36)]
CONFINED = "A token confined to schools reaches only theirs (others → 404). "

ENROLMENT_LINKS = links(
    {"id": "$response.body#/results/0/enrolment_id"},
    ("GetEnrolment", "get_enrolment"),
    ("CancelEnrolment", "cancel_enrolment"),
)


def enrolment_out(e: Enrolment) -> EnrolmentOut:
    return EnrolmentOut(
        id=e.id, uid=e.uid, student_number=e.student_number, school_code=e.school_code,
        academic_year=e.label, enrolled_on=e.enrolled_on, final_year=e.final_year,
        transfer=e.transfer, status=e.status.value, cancelled_on=e.cancelled_on,
        created_at=e.created_at,
    )


def windows_out(w: EnrolmentWindows, response: Response, rules: Rules) -> EnrolmentWindowsOut:
    response.headers["ETag"] = etag_of(w.version)
    return EnrolmentWindowsOut(
        academic_year=f"{w.academic_year:04d}-{w.academic_year + 1:04d}",
        main_opens_on=w.main_opens_on, main_closes_on=w.main_closes_on,
        s2_opens_on=w.s2_opens_on, s2_closes_on=w.s2_closes_on,
        census_on=census_date(w, on_main_close=rules.census_on_main_close),
        is_default=w.is_default, updated_at=w.updated_at,
    )


# ---------------------------------------------------------------- windows


@router.get(
    "/enrolment-campaigns/{academic_year}",
    operation_id="get_enrolment_campaign",
    summary="The enrolment windows of an academic year (R-ACC-6)",
    description=(
        "The windows in force: the defaults (main campaign 1 July N – 31 Oct N, semester 2 "
        "1 Jan – 28/29 Feb N+1) unless changed; `census_on` (R-BIL-1) is the close of the "
        "main campaign. `ETag` for the PUT. A malformed year → 422; a year outside the "
        "convention → 409 `convention-not-active`."
    ),
    response_model=EnrolmentWindowsOut,
    responses=problems(409),
)
async def get_enrolment_campaign(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    academic_year: YearPath,
) -> EnrolmentWindowsOut:
    windows = await service.get_windows(uow, clock, service.parse_year(academic_year))
    return windows_out(windows, response, container_of(request.app).rules)


@router.put(
    "/enrolment-campaigns/{academic_year}",
    operation_id="put_enrolment_campaign",
    summary="Change the enrolment windows of an academic year",
    description=(
        "Requires `If-Match` with the ETag of the GET (428 without, 412 stale; the same "
        "windows again answer 200). Reversed or overlapping windows, semester 2 not after "
        "the main campaign, or a date outside 1 Jan N – 31 Aug N+1 → 422 "
        "`invalid-enrolment-windows`. `census_on` is read-only (= `main_closes_on`; "
        "another value → 422 `census-read-only`). The grace of the previous year's "
        "continuing students ends with `main_closes_on` (R-ACC-7)."
    ),
    response_model=EnrolmentWindowsOut,
    responses=body_problems(409, 412, 428),
)
async def put_enrolment_campaign(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    academic_year: YearPath,
    body: EnrolmentWindowsIn,
) -> EnrolmentWindowsOut:
    year = service.parse_year(academic_year)
    if_match = required_if_match(request)
    windows = await service.change_windows(
        uow, clock, caller.actor, year, expected=if_match,
        main_opens_on=body.main_opens_on, main_closes_on=body.main_closes_on,
        s2_opens_on=body.s2_opens_on, s2_closes_on=body.s2_closes_on,
        census_on=body.census_on, rules=container_of(request.app).rules,
    )
    return windows_out(windows, response, container_of(request.app).rules)


@router.get(
    "/enrolment-campaigns/{academic_year}/census",
    operation_id="get_enrolment_census",
    summary="Students counted per school at the census (R-BIL-1)",
    description=(
        "On `census_on` (the close of the main campaign in force): enrolments of the year "
        "dated on or before it, not cancelled on or before it, transfers excluded. Schools "
        "without a counted student are absent; a caller confined to schools counts its "
        "schools only."
    ),
    response_model=CensusOut,
    responses=problems(409),
)
async def get_enrolment_census(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("enrolments:read", "billing:read"))],
    academic_year: YearPath,
) -> CensusOut:
    result = await service.census_view(
        uow, clock, caller.principal, service.parse_year(academic_year),
        container_of(request.app).rules,
    )
    return CensusOut(
        academic_year=f"{result.academic_year:04d}-{result.academic_year + 1:04d}",
        census_on=result.census_on, total=result.total,
        schools=[SchoolCountOut(school_code=c, students=n) for c, n in result.counts.items()],
    )


# ---------------------------------------------------------------- enrolments


def _reject_constant(value: str) -> Any:
    raise ValueError(f"{value} is not JSON")


def _envelope(raw: bytes) -> list[Any]:
    """The items of `{"items": [...]}`; anything else → 422, more than the maximum → 413
    (nothing is stored then)."""
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise ProblemException(422, "the body is not strict JSON", code="invalid-json") from None
    if not isinstance(body, dict) or set(body) != {"items"} or not isinstance(
        body["items"], list
    ):
        raise ProblemException(
            422, 'the body must be {"items": [...]}', code="validation-error",
            errors=[{"field": "body.items", "code": "invalid-envelope",
                     "message": "an object with exactly one member, items, a list"}],
        )
    if len(body["items"]) > MAX_BATCH_ITEMS:
        raise ProblemException(
            413, f"a batch holds at most {MAX_BATCH_ITEMS} items", code="batch-too-large"
        )
    return body["items"]


@router.post(
    "/enrolments",
    operation_id="post_enrolments",
    summary="Enrol students in bulk (R-ACC-6)",
    description=(
        f'`{{"items": [...]}}` with at most {MAX_BATCH_ITEMS} items (more → 413; another '
        "envelope → 422; nothing stored then). Each item is checked on its own and "
        "answered in order (`index`, `status` `created` | `duplicate` | `rejected`, "
        "`enrolment_id`, `uid`, `errors`): one bad item never drops the others. Item "
        "codes: `validation-error`, `invalid-academic-year`, `invalid-uid`, "
        "`enrolment-in-future` (`enrolled_on` after the Paris date of the call, R-ACC-6a; "
        "checked after the field errors, before the 409s), `unknown-school`, "
        "`enrolment-window-closed` (R-ACC-6; `transfer` only in the "
        "semester-2 window, which accepts nothing else), `enrolment-conflict` (another "
        "enrolment of the student for the year), `uid-conflict` (the uid is another "
        "student's), `uid-erased`, `convention-not-active` (a year outside the convention, "
        "or dated on or after a termination's effective date or after the access end). "
        "The student is matched by `student_number` (and `uid` when given); a new student "
        "gets a generated uid; an existing account without a student number (a trainer "
        "who enrols) becomes the student's. The same batch again answers `duplicate` for "
        "what it stored. One transaction and one audit event (counts) per batch."
    ),
    response_model=EnrolmentBatchOut,
    responses=body_problems() | {200: {"links": ENROLMENT_LINKS}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batch_request_schema()}},
        }
    },
)
async def post_enrolments(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("enrolments:write"))],
) -> EnrolmentBatchOut:
    raw = getattr(request.state, "raw_body", None)
    items = _envelope(raw if raw is not None else await request.body())
    outcome = await service.enrol_batch(uow, clock, caller.actor, parse_items(items))
    return EnrolmentBatchOut(
        created=outcome.created,
        duplicates=outcome.duplicates,
        rejected=outcome.rejected,
        results=[
            EnrolmentResultOut(
                index=r.index, status=r.status.value, enrolment_id=r.enrolment_id, uid=r.uid,
                errors=[ItemErrorOut(code=e.code, message=e.message, field=e.field)
                        for e in r.errors],
            )
            for r in outcome.results
        ],
    )


@router.get(
    "/enrolments",
    operation_id="list_enrolments",
    summary="Enrolments",
    description=(
        "Creation order; filters `academic_year` (malformed → 422, outside the convention "
        "→ 409), `school_code`, `status`. " + CONFINED
    ),
    response_model=EnrolmentList,
    responses=problems(409),
)
async def list_enrolments(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("enrolments:read"))],
    academic_year: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    school_code: SchoolCode | None = None,
    status: Literal["active", "cancelled"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> EnrolmentList:
    year = service.parse_year(academic_year) if academic_year is not None else None
    after = decode_cursor(cursor, 1)
    if after is not None and not isinstance(after[0], str):
        decode_cursor("!", 1)  # raises the invalid-cursor problem
    items = await service.list_enrolments(
        uow, clock, caller.principal, academic_year=year, school_code=school_code,
        status=EnrolmentStatus(status) if status else None,
        after_id=after[0] if after else None, limit=limit + 1,
    )
    page, next_cursor = paged(items, limit, lambda e: e.id)
    return EnrolmentList(items=[enrolment_out(e) for e in page], next_cursor=next_cursor)


@router.get(
    "/enrolments/{id}",
    operation_id="get_enrolment",
    summary="One enrolment",
    description=CONFINED,
    response_model=EnrolmentOut,
    responses=problems(404),
)
async def get_enrolment(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("enrolments:read"))],
    id: IdPath,
) -> EnrolmentOut:
    return enrolment_out(await service.get_enrolment(uow, caller.principal, id))


@router.post(
    "/enrolments/{id}/cancellation",
    operation_id="cancel_enrolment",
    summary="Cancel an enrolment (R-ACC-7)",
    description=(
        "From `cancelled_on` the enrolment gives no role and no grace; it is not counted "
        "at a census on or after that day (R-BIL-1). Before `enrolled_on` → 422 "
        "`cancelled-before-enrolment`; after the Paris date of the call → 422 "
        "`enrolment-in-future` (R-ACC-6a); the same cancellation again → 200; another date → "
        "409 `already-cancelled`. " + CONFINED
    ),
    response_model=EnrolmentOut,
    responses=body_problems(404, 409),
)
async def cancel_enrolment(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("enrolments:write"))],
    id: IdPath,
    body: EnrolmentCancellationIn,
) -> EnrolmentOut:
    return enrolment_out(
        await service.cancel_enrolment(uow, clock, caller.actor, id, cancelled_on=body.cancelled_on)
    )
