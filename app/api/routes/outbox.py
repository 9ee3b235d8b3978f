"""The e-mail outbox: message metadata and delivery state (never bodies), and the
requeue of a message the dispatcher gave up (`dead`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from app.api.caller import Caller, Router, caller_with
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    decode_id_cursor,
    paged,
)
from app.api.responses import problems
from app.ports.outbox import OutboxMessage
from app.schemas.outbox import OutboxMessageList, OutboxMessageOut, OutboxStatus
from app.services import mail

router = Router(prefix="/api/v1", tags=["operations"])

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
        "no school: a caller confined to schools gets an empty list."
    ),
    response_model=OutboxMessageList,
    responses=problems(),
)
async def list_outbox_messages(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("audit:read"))],
    status: Annotated[OutboxStatus | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OutboxMessageList:
    found = await mail.list_messages(
        uow, caller.principal, status=status, after_id=decode_id_cursor(cursor), limit=limit + 1
    )
    page, next_cursor = paged(found, limit, lambda m: m.id)
    return OutboxMessageList(
        items=[_out(m) for m in page],
        next_cursor=next_cursor,
    )


@router.post(
    "/outbox-messages/{id}/requeue",
    operation_id="requeue_outbox_message",
    summary="Requeue an e-mail the dispatcher gave up",
    description=(
        "A `dead` message goes back to `pending`, due now, with a new budget of attempts "
        "(`attempts` restarts at 0; the past attempts stay recorded); audited "
        "(`mail.requeued`). The same message again while it is queued (`pending`, "
        "`retrying`) → 200 as it is, nothing changed; a `sent` message → 409 "
        "`message-sent`; one left without recipient (erased) → 409 "
        "`message-without-recipient`. Not for callers confined to schools (404)."
    ),
    response_model=OutboxMessageOut,
    responses=problems(404, 409),
)
async def requeue_outbox_message(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("outbox:write"))],
    id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> OutboxMessageOut:
    message, _ = await mail.requeue_message(uow, clock, caller.actor, id)
    return _out(message)
