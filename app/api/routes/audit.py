"""The audit trail (R-GDPR-2): who changed what, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from app.api.caller import Caller, Router, caller_with
from app.api.deps import (
    Cursor,
    Limit,
    UowDep,
    decode_id_cursor,
    paged,
)
from app.api.responses import problems
from app.schemas.audit import AuditEventList, AuditEventOut
from app.schemas.query import QueryInstant
from app.services import audit as service

router = Router(prefix="/api/v1", tags=["audit"])


@router.get(
    "/audit-events",
    summary="The audit trail, newest first",
    description=(
        "One event per state change, written in the change's transaction (R-GDPR-2); "
        "personal values (names, e-mails) are masked as `***`. Filters combine; `since` "
        "is an RFC 3339 instant with an offset (events at or after it); `actor` is the "
        "token subject. Keyset pagination, newest first. Events name no school: a caller "
        "confined to schools gets an empty list."
    ),
    response_model=AuditEventList,
    responses=problems(),
)
async def list_audit_events(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("audit:read"))],
    resource_type: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    resource_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    since: Annotated[QueryInstant | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AuditEventList:
    events = await service.list_events(
        uow, caller.principal, resource_type=resource_type, resource_id=resource_id, actor=actor,
        since=since, before_id=decode_id_cursor(cursor), limit=limit + 1,
    )
    page, next_cursor = paged(events, limit, lambda r: r.id)
    return AuditEventList(
        items=[AuditEventOut.model_validate(e) for e in page],
        next_cursor=next_cursor,
    )
