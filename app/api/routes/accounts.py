"""Accounts, locks and Moodle's access check (R-ACC-1, R-ACC-2, R-ACC-3, R-ACC-8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    decode_cursor,
    encode_cursor,
)
from app.api.responses import body_problems, problems
from app.domain.access import AccessDecision
from app.domain.accounts import RoleKind, capped_valid_until
from app.domain.auth import Principal
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.schemas.accounts import (
    AccessOut,
    AccessReason,
    AccountList,
    AccountOut,
    LockIn,
    RoleOut,
    UnlockIn,
)
from app.schemas.common import Instant, SchoolCode, Uid
from app.services import accounts as service

router = Router(prefix="/api/v1", tags=["accounts"])

ACCESS_PATH = "/api/v1/accounts/{uid}/access"
ACCESS_SCOPES = ("access:read", "accounts:read")

Status = Literal["erased", "disabled", "suspended", "active", "grace", "pending", "expired"]


def account_out(view: service.AccountView) -> AccountOut:
    end = view.access_end_on
    return AccountOut(
        uid=view.account.uid,
        given_name=view.account.given_name,
        family_name=view.account.family_name,
        email=view.account.email,
        roles=[
            RoleOut(
                kind=r.kind.value,
                school_code=r.school_code,
                valid_from=r.valid_from,
                valid_until=capped_valid_until(r, end),
                grace_until=min(r.grace_until, end) if r.grace_until else None,
            )
            for r in view.roles
        ],
        status=view.decision.status.value,
        access_until=view.decision.access_until,
        messaging_allowed=view.decision.messaging_allowed,
        messaging_suspension_id=view.decision.messaging_suspension_id,
        locked=view.decision.locked,
        locked_since=view.decision.locked_since,
    )


@router.get(
    "/accounts",
    summary="List accounts",
    description=(
        "Filter by school, role kind, evaluated status (R-ACC-8, now) and `q` (uid, name "
        "or e-mail contains). A referent sees the accounts of its schools."
    ),
    response_model=AccountList,
    responses=problems(),
)
async def list_accounts(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:read"))],
    school_code: SchoolCode | None = None,
    kind: Literal["student", "referent", "trainer"] | None = None,
    status: Status | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AccountList:
    after = decode_cursor(cursor, 1)
    views, next_uid = await service.list_accounts(
        uow, clock, caller.principal, school_code=school_code,
        kind=RoleKind(kind) if kind else None, status=status, q=q,
        after_uid=str(after[0]) if after else None, limit=limit,
    )
    return AccountList(
        items=[account_out(v) for v in views],
        next_cursor=encode_cursor(next_uid) if next_uid else None,
    )


@router.get(
    "/accounts/{uid}",
    operation_id="get_account",
    summary="One account with its roles and status",
    response_model=AccountOut,
    responses=problems(404),
)
async def get_account(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:read"))],
    uid: Uid,
) -> AccountOut:
    return account_out(await service.get_account(uow, clock, caller.principal, uid))


@router.get(
    ACCESS_PATH.removeprefix("/api/v1"),
    summary="Access check (Moodle)",
    description=(
        "R-ACC-8 at `at` (any instant, default now): `allowed` only for `active` and "
        "`grace`. No names or e-mails."
    ),
    response_model=AccessOut,
    responses=problems(404),
)
async def access(
    request: Request,
    caller: Annotated[Caller, Depends(caller_with(*ACCESS_SCOPES))],
    uid: Uid,
    at: Annotated[Instant | None, Query(description="RFC 3339 instant with offset")] = None,
) -> Response:
    # The plain call (no query, a token not confined to schools) is usually answered
    # before FastAPI's routing by app/api/fast_paths.py, with `access_answer` too.
    # Moodle's hot path: the unit of work and the clock are taken from the container
    # rather than as dependencies (each dependency costs FastAPI time on every request).
    state = container_of(request.app)
    body = await access_answer(state.uow_factory, state.clock, caller.principal, uid, at)
    return Response(body, media_type="application/json")


async def access_answer(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, principal: Principal, uid: str,
    at: datetime | None,
) -> bytes:
    """The access check's JSON at `at` (default now); a caller confined to schools sees
    only its schools' accounts (404 otherwise)."""
    moment = at or clock.now()
    if principal.schools is not None:
        view = await service.get_account(uow_factory(), clock, principal, uid)
        decision = view.decision if at is None else await service.access_check(
            uow_factory(), uid, moment
        )
    else:
        decision = await service.access_check(uow_factory(), uid, moment)
    return access_json(uid, moment, decision)


def access_json(uid: str, moment: datetime, decision: AccessDecision) -> bytes:
    """The access check's answer (`AccessOut`), dumped here: returned as a model, FastAPI
    would validate it again first."""
    return AccessOut(
        uid=uid,
        at=moment,
        allowed=decision.allowed,
        status=decision.status.value,
        reason=AccessReason(code=decision.reason_code, message=decision.reason_fr),
        access_until=decision.access_until,
        messaging_allowed=decision.messaging_allowed,
        messaging_suspension_id=decision.messaging_suspension_id,
        locked=decision.locked,
        locked_since=decision.locked_since,
    ).model_dump_json().encode()


@router.post(
    "/accounts/{uid}/lock",
    summary="Lock an account from an instant",
    description=(
        "Locks are intervals: the status at any instant is known (R-ACC-8). Repeated "
        "while the same lock is open → 200."
    ),
    response_model=AccountOut,
    responses=body_problems(404, 409),
)
async def lock(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    uid: Uid,
    body: LockIn,
) -> AccountOut:
    view = await service.lock_account(
        uow, clock, caller.actor, uid, reason=body.reason, locked_at=body.locked_at,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return account_out(view)


@router.post(
    "/accounts/{uid}/unlock",
    summary="Unlock an account from an instant",
    description="Ends the open lock; repeated → 200.",
    response_model=AccountOut,
    responses=body_problems(404, 409),
)
async def unlock(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:write"))],
    uid: Uid,
    body: UnlockIn | None = None,
) -> AccountOut:
    body = body or UnlockIn()
    view = await service.unlock_account(
        uow, clock, caller.actor, uid, unlocked_at=body.unlocked_at,
        skew_seconds=container_of(request.app).clock_skew_seconds,
    )
    return account_out(view)
