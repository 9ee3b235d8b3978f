"""Account-creation requests from UT's ticketing tool (R-ACC-4, R-REF-1, R-ACC-9)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

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
from app.domain.account_requests import AccountRequest, RequestStatus
from app.domain.accounts import RoleKind
from app.domain.calendar import AcademicYear, paris_date
from app.schemas.accounts import (
    AccountRequestCreate,
    AccountRequestList,
    AccountRequestOut,
    CancellationIn,
    FulfilmentIn,
    RejectionIn,
)
from app.schemas.common import SchoolCode
from app.schemas.query import QueryInstant
from app.services import accounts as service

router = Router(prefix="/api/v1", tags=["account requests"])

READ = ("account-requests:read", "accounts:read")
LINKS = links(
    {"id": "$response.body#/id"},
    ("GetAccountRequest", "get_account_request"),
    ("FulfilAccountRequest", "fulfil_account_request"),
    ("RejectAccountRequest", "reject_account_request"),
)


def request_out(request: Request, item: AccountRequest) -> AccountRequestOut:
    today = paris_date(container_of(request.app).clock.now())
    return AccountRequestOut(
        id=item.id,
        ticket_ref=item.ticket_ref,
        school_code=item.school_code,
        kind=item.kind.value,  # type: ignore[arg-type]
        given_name=item.given_name,
        family_name=item.family_name,
        email=item.email,
        received_at=item.received_at,
        existing_uid=item.existing_uid,
        replaces_uid=item.replaces_uid,
        daip_notified_on=item.daip_notified_on,
        status=item.status.value,
        due_on=item.due_on,
        overdue=item.overdue_on(today),
        academic_year=AcademicYear(item.academic_year).label,
        uid=item.uid,
        fulfilled_at=item.fulfilled_at,
        on_time=item.on_time,
        rejection_reason=item.rejection_reason,
        updated_at=item.updated_at,
    )


@router.post(
    "/account-requests",
    status_code=201,
    operation_id="create_account_request",
    summary="File an account-creation request (ticketing tool)",
    description=(
        "R-ACC-4: due 15 days after reception (R-TIME-4). The same `ticket_ref` with the "
        "same content answers 200 with the stored request; other content → 409 "
        "`ticket-conflict`. R-REF-1 cap → 409 `referent-cap-reached`; received, or sent, "
        "on or after the effective date of the termination governing the call's date, or "
        "when the convention accepts no new account → 409 `convention-not-active` "
        "(R-CONV-4a)."
    ),
    response_model=AccountRequestOut,
    responses={**body_problems(409), 200: {"model": AccountRequestOut,
                                          "description": "The same ticket, already filed"},
               201: {"description": "Filed", "links": LINKS}},
)
async def create_account_request(
    request: Request,
    response: Response,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("account-requests:write"))],
    body: AccountRequestCreate,
) -> AccountRequestOut:
    item, created = await service.create_request(
        uow, clock, caller.actor,
        service.NewRequest(
            ticket_ref=body.ticket_ref, school_code=body.school_code,
            kind=RoleKind(body.kind), given_name=body.given_name,
            family_name=body.family_name, email=body.email, received_at=body.received_at,
            existing_uid=body.existing_uid, replaces_uid=body.replaces_uid,
            daip_notified_on=body.daip_notified_on,
        ),
        skew_seconds=container_of(request.app).clock_skew_seconds,
        rules=container_of(request.app).rules,
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/v1/account-requests/{item.id}"
    return request_out(request, item)


@router.get(
    "/account-requests",
    operation_id="list_account_requests",
    summary="List account-creation requests",
    description=(
        "Newest last (creation order). `updated_since` (RFC 3339 with an offset, "
        "inclusive) keeps the requests created, fulfilled, rejected or cancelled since that "
        "instant (`updated_at`): the ticketing tool polls with the start of its previous "
        "poll minus a minute, so that a change committed during a poll is not missed "
        "(an item may come twice: its `id` and `status` tell)."
    ),
    response_model=AccountRequestList,
    responses=problems(),
)
async def list_account_requests(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with(*READ))],
    status: Literal["received", "fulfilled", "rejected", "cancelled"] | None = None,
    school_code: SchoolCode | None = None,
    overdue: bool | None = None,
    updated_since: Annotated[QueryInstant | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AccountRequestList:
    items = await service.list_requests(
        uow, clock, caller.principal, status=RequestStatus(status) if status else None,
        school_code=school_code, overdue=overdue,
        after_id=text_cursor(cursor), limit=limit + 1,
        updated_since=updated_since,
    )
    page, next_cursor = paged(items, limit, lambda r: r.id)
    return AccountRequestList(
        items=[request_out(request, i) for i in page], next_cursor=next_cursor
    )


@router.get(
    "/account-requests/{id}",
    operation_id="get_account_request",
    summary="One account-creation request",
    response_model=AccountRequestOut,
    responses=problems(404),
)
async def get_account_request(
    request: Request,
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with(*READ))],
    id: str,
) -> AccountRequestOut:
    return request_out(request, await service.get_request(uow, caller.principal, id))


@router.post(
    "/account-requests/{id}/fulfilment",
    operation_id="fulfil_account_request",
    summary="Fulfil a request: create the account or add the role",
    description=(
        "Creates the account (a generated uid of R-ACC-1 form unless `uid` is given) or "
        "adds the role to an existing uid, with the R-ACC-3 validity from the fulfilment "
        "date; queues the R-ACC-9 e-mail for a new uid; a new referent gets a training "
        "obligation (R-REF-2). Repeated with the same body → 200, same result; another "
        "`uid` → 409 `already-fulfilled`; a caller confined to schools naming the uid of "
        "an account it may not see → 409 `uid-taken`."
    ),
    response_model=AccountRequestOut,
    responses=body_problems(404, 409),
)
async def fulfil_account_request(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    id: str,
    body: FulfilmentIn | None = None,
) -> AccountRequestOut:
    body = body or FulfilmentIn()
    services = container_of(request.app)
    item = await service.fulfil_request(
        uow, clock, caller.actor, id, uid=body.uid, fulfilled_at=body.fulfilled_at,
        skew_seconds=services.clock_skew_seconds, moodle_url=services.moodle_url,
        activation_url=services.activation_url, rules=services.rules,
    )
    return request_out(request, item)


@router.post(
    "/account-requests/{id}/rejection",
    operation_id="reject_account_request",
    summary="Reject a request",
    description="From `received` only; repeated with the same reason → 200.",
    response_model=AccountRequestOut,
    responses=body_problems(404, 409),
)
async def reject_account_request(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    id: str,
    body: RejectionIn,
) -> AccountRequestOut:
    item = await service.close_request(
        uow, clock, caller.actor, id, target=RequestStatus.REJECTED, reason=body.reason
    )
    return request_out(request, item)


@router.post(
    "/account-requests/{id}/cancellation",
    operation_id="cancel_account_request",
    summary="Cancel a request",
    description="From `received` only; repeated → 200.",
    response_model=AccountRequestOut,
    responses=body_problems(404, 409),
)
async def cancel_account_request(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    id: str,
    body: CancellationIn | None = None,
) -> AccountRequestOut:
    body = body or CancellationIn()
    item = await service.close_request(
        uow, clock, caller.actor, id, target=RequestStatus.CANCELLED, reason=body.reason
    )
    return request_out(request, item)
