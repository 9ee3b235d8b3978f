"""Support requests to DAIP and their 48-hour answer deadline (R-SUP-1, R-SUP-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

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
from app.domain.support import SlaState, SupportStatus
from app.schemas.common import SchoolCode
from app.schemas.query import QueryInstant
from app.schemas.support import (
    ClosureIn,
    FirstResponseIn,
    MonthFiguresOut,
    SchoolFiguresOut,
    SlaFiguresOut,
    SlaStateName,
    Status,
    SupportDeadlineOut,
    SupportRequestCreate,
    SupportRequestList,
    SupportRequestOut,
    SupportStatsOut,
)
from app.services import support as service
from app.services.support import SlaFigures, SupportPolicy, SupportView

router = Router(prefix="/api/v1", tags=["support"])

RequestId = Annotated[str, Path(min_length=1, max_length=36)]
BUDGET = (
    "The deadline is 18 opening hours after reception (two opening days, R-SUP-1), or "
    "48 opening hours with the `literal_48_hours` reading (setting "
    "`SUPPORT_DEADLINE_READING`); opening hours are Monday–Friday 08:30–17:30 "
    "Europe/Paris outside public holidays and UT closures. "
)
LINKS = links(
    {"id": "$response.body#/id"},
    ("GetSupportRequest", "get_support_request"),
    ("RecordFirstResponse", "record_first_response"),
    ("CloseSupportRequest", "close_support_request"),
)


def policy_of(request: Request) -> SupportPolicy:
    return container_of(request.app).support_policy


PolicyDep = Annotated[SupportPolicy, Depends(policy_of)]


def _out(view: SupportView) -> SupportRequestOut:
    r = view.request
    return SupportRequestOut(
        id=r.id,
        message_id=r.message_id,
        received_at=r.received_at,
        from_email=r.from_email,
        subject=r.subject,
        school_code=r.school_code,
        status=r.status.value,
        response_due_at=r.response_due_at,
        sla_state=view.sla_state.value if view.sla_state else None,
        sla_outcome=view.sla_outcome.value if view.sla_outcome else None,
        responded_at=r.responded_at,
        closed_at=r.closed_at,
        closure=r.closure.value if r.closure else None,
        last_message_at=r.last_message,
        business_seconds_to_response=r.business_seconds_to_response,
    )


def _figures(figures: SlaFigures) -> dict[str, object]:
    return SlaFiguresOut(
        received=figures.received,
        answered=figures.answered,
        met=figures.met,
        breached=figures.breached,
        open_breached=figures.open_breached,
        compliance_ratio=figures.compliance_ratio,
        median_business_minutes=figures.median_business_minutes,
        p90_business_minutes=figures.p90_business_minutes,
    ).model_dump()


@router.get(
    "/calendar/support-deadline",
    tags=["calendar"],
    operation_id="support_deadline",
    summary="The answer deadline of a support request (R-SUP-1)",
    description=(
        BUDGET + "A request received outside opening hours starts the clock at the next "
        "opening; a deadline falling at a closing time is that closing time (17:30). "
        "`received_at` is an RFC 3339 instant with an offset (percent-encode `+`); any "
        "moment is accepted. Counted with today's closures."
    ),
    response_model=SupportDeadlineOut,
    responses=problems(),
)
async def support_deadline(
    uow: UowDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:read"))],
    received_at: QueryInstant,
) -> SupportDeadlineOut:
    due = await service.support_deadline(uow, received_at=received_at, policy=policy)
    return SupportDeadlineOut(
        response_due_at=due, reading=policy.reading.value, budget_seconds=policy.budget_seconds
    )


@router.post(
    "/support-requests",
    status_code=201,
    operation_id="create_support_request",
    summary="Record a support e-mail received by DAIP",
    description=(
        BUDGET + "`received_at` needs an offset and may be at most the allowed clock skew "
        "ahead (R-TIME-5). Without `school_code`, the school is the sender's account's "
        "when it holds roles in exactly one school. The same `message_id` with the same "
        "content answers 200 with the stored request; other content → 409 "
        "`message-conflict`. An unknown school → 422 `unknown-school`."
    ),
    response_model=SupportRequestOut,
    responses={
        **body_problems(409),
        200: {"model": SupportRequestOut, "description": "The same e-mail, already recorded"},
        201: {"description": "Recorded", "links": LINKS},
    },
)
async def create_support_request(
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:write"))],
    body: SupportRequestCreate,
) -> SupportRequestOut:
    view, created = await service.create_request(
        uow, clock, caller.actor,
        service.NewSupportRequest(
            message_id=body.message_id, received_at=body.received_at,
            from_email=body.from_email, subject=body.subject, school_code=body.school_code,
        ),
        policy,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/support-requests/{view.request.id}"
    return _out(view)


@router.get(
    "/support-requests",
    operation_id="list_support_requests",
    summary="List support requests",
    description=(
        "Creation order. `sla_state` is evaluated now: `on_track`, `at_risk` (open, less "
        "than the at-risk share of the budget left, 25 % by default), `breached` (open "
        "past the deadline, or answered late), `met`. A referent sees its schools' "
        "requests only."
    ),
    response_model=SupportRequestList,
    responses=problems(),
)
async def list_support_requests(
    uow: UowDep,
    clock: ClockDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:read"))],
    status: Status | None = None,
    sla_state: SlaStateName | None = None,
    school_code: SchoolCode | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SupportRequestList:
    views = await service.list_requests(
        uow, clock, caller.principal,
        status=SupportStatus(status) if status else None,
        state=SlaState(sla_state) if sla_state else None,
        school_code=school_code,
        after_id=text_cursor(cursor),
        limit=limit + 1,
        policy=policy,
    )
    page, next_cursor = paged(views, limit, lambda v: v.request.id)
    return SupportRequestList(items=[_out(v) for v in page], next_cursor=next_cursor)


@router.get(
    "/support-requests/stats",
    operation_id="support_request_stats",
    summary="Answer-deadline compliance, per school and per month",
    description=(
        "Requests received in [`from`, `to`) (RFC 3339 instants with an offset; either "
        "may be omitted): `received`, `answered`, `met`, `breached` (answered late), "
        "`open_breached` (open past the deadline now), `compliance_ratio` = met / (met + "
        "breached + open_breached) or null, and the nearest-rank median and 90th "
        "percentile of opening minutes to the first response (answered requests). "
        "Overall, per school and per Europe/Paris month of `received_at`. Requests closed "
        "unanswered count as received only. A referent sees its schools only."
    ),
    response_model=SupportStatsOut,
    responses=problems(),
)
async def support_request_stats(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("support:read"))],
    start: Annotated[QueryInstant | None, Query(alias="from")] = None,
    end: Annotated[QueryInstant | None, Query(alias="to")] = None,
    school_code: SchoolCode | None = None,
) -> SupportStatsOut:
    stats = await service.statistics(
        uow, clock, caller.principal, start=start, end=end, school_code=school_code
    )
    return SupportStatsOut.model_validate(
        {
            "from": start,
            "to": end,
            "school_code": school_code,
            "overall": _figures(stats.overall),
            "by_school": [
                SchoolFiguresOut(school_code=code, **_figures(f)) for code, f in stats.by_school
            ],
            "by_month": [MonthFiguresOut(month=m, **_figures(f)) for m, f in stats.by_month],
        }
    )


@router.get(
    "/support-requests/{id}",
    operation_id="get_support_request",
    summary="One support request",
    description="With its SLA state now.",
    response_model=SupportRequestOut,
    responses=problems(404),
)
async def get_support_request(
    uow: UowDep,
    clock: ClockDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:read"))],
    id: RequestId,
) -> SupportRequestOut:
    return _out(await service.get_request(uow, clock, caller.principal, id, policy))


@router.post(
    "/support-requests/{id}/first-response",
    operation_id="record_first_response",
    summary="Record DAIP's first response (R-SUP-2)",
    description=(
        "`status` becomes `answered`; `sla_outcome` is `met` when `responded_at` is at or "
        "before `response_due_at`, else `breached`; `business_seconds_to_response` counts "
        "opening time from reception. Repeated with the same `responded_at` → 200, same "
        "result; another → 409 `already-answered`; after a closure without answer → 409 "
        "`already-closed`; before the reception → 422 `out-of-order`; more than the "
        "clock skew ahead → 422 (R-TIME-5)."
    ),
    response_model=SupportRequestOut,
    responses=body_problems(404, 409),
)
async def record_first_response(
    uow: UowDep,
    clock: ClockDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:write"))],
    id: RequestId,
    body: FirstResponseIn,
) -> SupportRequestOut:
    view = await service.record_first_response(
        uow, clock, caller.actor, id, responded_at=body.responded_at, policy=policy
    )
    return _out(view)


@router.post(
    "/support-requests/{id}/closure",
    operation_id="close_support_request",
    summary="Close a support request",
    description=(
        "Answered or not; closed unanswered, `sla_outcome` and `sla_state` are null. "
        "Repeated with the same `closed_at` → 200; another → 409 `already-closed`; before "
        "the reception or the first response → 422 `out-of-order`."
    ),
    response_model=SupportRequestOut,
    responses=body_problems(404, 409),
)
async def close_support_request(
    uow: UowDep,
    clock: ClockDep,
    policy: PolicyDep,
    caller: Annotated[Caller, Depends(caller_with("support:write"))],
    id: RequestId,
    body: ClosureIn,
) -> SupportRequestOut:
    view = await service.close_request(
        uow, clock, caller.actor, id, closed_at=body.closed_at, policy=policy
    )
    return _out(view)
