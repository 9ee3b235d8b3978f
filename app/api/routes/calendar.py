"""The working-day calendar (R-TIME-3, R-TIME-4): UT closures and deadlines."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import ClockDep, UowDep
from app.api.responses import body_problems, links, problems
from app.domain.calendar import Closure
from app.schemas.calendar import ClosureCreate, ClosureList, ClosureOut, DeadlineOut
from app.schemas.query import QueryInstant
from app.services import calendar as service

router = Router(prefix="/api/v1/calendar", tags=["calendar"])

ClosureId = Annotated[str, Path(min_length=1, max_length=36)]
RECOMPUTES = (
    "The change runs in one transaction with the recomputation of every open deadline "
    "(R-TIME-4, R-SUP-2). "
)


def _out(closure_id: str, closure: Closure) -> ClosureOut:
    return ClosureOut(
        id=closure_id, starts_on=closure.starts_on, ends_on=closure.ends_on,
        label=closure.label,
    )


@router.get(
    "/closures",
    summary="UT closure periods",
    description="All closure periods (a short list), by start date.",
    response_model=ClosureList,
    responses=problems(),
)
async def list_closures(
    uow: UowDep, caller: Annotated[Caller, Depends(caller_with("convention:read"))]
) -> ClosureList:
    return ClosureList(items=[_out(i, c) for i, c in await service.list_closures(uow)])


@router.get(
    "/closures/{closure_id}",
    summary="One UT closure period",
    response_model=ClosureOut,
    responses=problems(404),
)
async def get_closure(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    closure_id: ClosureId,
) -> ClosureOut:
    return _out(closure_id, await service.get_closure(uow, closure_id))


@router.post(
    "/closures",
    status_code=201,
    summary="Add a UT closure period (R-TIME-3)",
    description=(
        "`starts_on` and `ends_on` are inclusive. A reversed range or one sharing a day "
        "with a stored closure → 422 `invalid-closure`. " + RECOMPUTES
    ),
    response_model=ClosureOut,
    responses=body_problems()
    | {
        201: {
            "description": "Created",
            "links": links(
                {"closure_id": "$response.body#/id"},
                ("GetClosure", "get_closure_api_v1_calendar_closures__closure_id__get"),
                ("DeleteClosure",
                 "delete_closure_api_v1_calendar_closures__closure_id__delete"),
            ),
        }
    },
)
async def create_closure(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    body: ClosureCreate,
) -> ClosureOut:
    change = await service.add_closure(
        uow, clock, caller.actor, container_of(request.app).deadline_recomputers,
        starts_on=body.starts_on, ends_on=body.ends_on, label=body.label,
    )
    response.headers["Location"] = f"/api/v1/calendar/closures/{change.closure_id}"
    return _out(change.closure_id, change.closure)


@router.delete(
    "/closures/{closure_id}",
    status_code=204,
    summary="Remove a UT closure period",
    description=RECOMPUTES,
    responses=problems(404),
)
async def delete_closure(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("convention:write"))],
    closure_id: ClosureId,
) -> Response:
    await service.remove_closure(
        uow, clock, caller.actor, container_of(request.app).deadline_recomputers, closure_id
    )
    return Response(status_code=204)


@router.get(
    "/deadline",
    summary="A deadline counted in days (R-TIME-4)",
    description=(
        "The Europe/Paris date of `from` + `days` calendar days, moved to the next working "
        "day (not a weekend, a French public holiday or a stored UT closure). `from` is an "
        "RFC 3339 instant with an offset; percent-encode `+` (`%2B02:00`). The deadline is "
        "due at 23:59:59.999 Paris that day."
    ),
    response_model=DeadlineOut,
    responses=problems(),
)
async def deadline(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("convention:read"))],
    received_at: Annotated[QueryInstant, Query(alias="from")],
    days: Annotated[int, Query(ge=0, le=365)],
) -> DeadlineOut:
    return DeadlineOut(due_on=await service.deadline(uow, received_at=received_at, days=days))
