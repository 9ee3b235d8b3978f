"""Beneficiary schools (R-SCH-1). Referents see only their schools; others answer 404."""

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
    etag_of,
    paged,
    required_if_match,
    text_cursor,
)
from app.api.problems import ProblemException
from app.api.responses import body_problems, problems
from app.domain.schools import School
from app.schemas.schools import SchoolCreate, SchoolList, SchoolOut, SchoolPatch
from app.services import schools as service

router = Router(prefix="/api/v1", tags=["schools"])


async def _out(request: Request, school: School) -> SchoolOut:
    services = container_of(request.app)
    uow = services.uow_factory()
    async with uow:
        status = await service.school_status(uow, school.code, services.clock.now())
        period = (await service.beneficiary_periods(uow, [school.code])).get(school.code)
    return SchoolOut(
        code=school.code,
        name=school.name,
        group=school.group,
        sites=list(school.sites),
        status=status.value,
        amendment_reference=school.amendment_reference,
        beneficiary_from=period.beneficiary_from if period else None,
        beneficiary_until=period.beneficiary_until if period else None,
        version=school.version,
        created_at=school.created_at,
        updated_at=school.updated_at,
    )


@router.get(
    "/schools",
    summary="List the beneficiary schools",
    description="Keyset pagination by code.",
    response_model=SchoolList,
    responses=problems(),
)
async def list_schools(
    request: Request,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("schools:read"))],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SchoolList:
    items = await service.list_schools(
        uow, caller.principal, after=text_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = paged(items, limit, lambda s: s.code)
    return SchoolList(items=[await _out(request, s) for s in page], next_cursor=next_cursor)


@router.get(
    "/schools/{code}",
    summary="One school",
    description="Answers with an `ETag` for conditional changes.",
    response_model=SchoolOut,
    responses=problems(404),
)
async def get_school(
    request: Request,
    response: Response,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("schools:read"))],
    code: str,
) -> SchoolOut:
    school = await service.get_school(uow, caller.principal, code)
    response.headers["ETag"] = etag_of(school.version)
    return await _out(request, school)


@router.post(
    "/schools",
    status_code=201,
    summary="Add a beneficiary school (by amendment)",
    description=(
        "A school is added by an amendment (R-CONV-2): `amendment_reference` is required."
    ),
    response_model=SchoolOut,
    responses=body_problems(409),
)
async def create_school(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("schools:write"))],
    body: SchoolCreate,
) -> SchoolOut:
    school = await service.create_school(
        uow, clock, caller.actor,
        code=body.code, name=body.name, group=body.group, sites=tuple(body.sites),
        amendment_reference=body.amendment_reference,
    )
    response.headers["Location"] = f"/api/v1/schools/{school.code}"
    response.headers["ETag"] = etag_of(school.version)
    return await _out(request, school)


@router.patch(
    "/schools/{code}",
    summary="Change a school's name, group or sites",
    description="Requires `If-Match` with the ETag of a GET.",
    response_model=SchoolOut,
    responses=body_problems(404, 412, 428),
)
async def patch_school(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("schools:write"))],
    code: str,
    body: SchoolPatch,
) -> SchoolOut:
    expected = required_if_match(request)
    changes: dict[str, object] = {}
    fields = body.model_dump(exclude_unset=True)
    for name in ("name", "group", "sites"):
        if name in fields:
            if fields[name] is None and name != "group":
                raise ProblemException(
                    422, f"{name} cannot be null", code="validation-error",
                    errors=[{"field": f"body.{name}", "code": "null", "message": "not null"}],
                )
            changes[name] = tuple(fields[name]) if name == "sites" else fields[name]
    school = await service.update_school(
        uow, clock, caller.actor, code, expected=expected, changes=changes
    )
    response.headers["ETag"] = etag_of(school.version)
    return await _out(request, school)
