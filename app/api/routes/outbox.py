"""The e-mail outbox, read-only: message metadata and delivery state, never bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.api.deps import UowDep, decode_id_cursor, encode_cursor, require, scope_doc
from app.api.responses import problems
from app.domain.auth import Principal
from app.schemas.outbox import OutboxMessageList, OutboxMessageOut, OutboxStatus
from app.services import mail
from app.services.ports import OutboxMessage

router = APIRouter(prefix="/api/v1", tags=["operations"])

_SETTLED = ("sent", "dead")


def _out(message: OutboxMessage) -> OutboxMessageOut:
    return OutboxMessageOut(
        id=message.id,
        message_id=message.message_id,
        dedupe_key=message.dedupe_key,
        template=message.template,
        recipients=list(message.recipients),
        cc=list(message.cc),
        subject=message.subject,
        status=message.status,  # type: ignore[arg-type]
        attempts=message.attempts,
        next_attempt_at=None if message.status in _SETTLED else message.next_attempt_at,
        created_at=message.created_at,
        sent_at=message.sent_at,
        last_error=message.last_error,
    )


@router.get(
    "/outbox-messages",
    summary="Queued and sent e-mails (without bodies)",
    description=(
        "Messages of the transactional outbox, oldest first, optionally of one `status` "
        "(`pending`, `retrying`, `sent`, `dead`). Bodies are not served. Messages name "
        "no school: a caller confined to schools gets an empty list. "
        + scope_doc("audit:read")
    ),
    response_model=OutboxMessageList,
    responses=problems(),
)
async def list_outbox_messages(
    uow: UowDep,
    principal: Annotated[Principal, Depends(require("audit:read"))],
    status: Annotated[OutboxStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> OutboxMessageList:
    found = await mail.list_messages(
        uow, principal, status=status, after_id=decode_id_cursor(cursor), limit=limit + 1
    )
    page, more = found[:limit], len(found) > limit
    return OutboxMessageList(
        items=[_out(m) for m in page],
        next_cursor=encode_cursor(page[-1].id) if more else None,
    )
