"""Wire models of the e-mail outbox (metadata only: bodies are never served)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

OutboxStatus = Literal["pending", "retrying", "sent", "dead"]


class OutboxMessageOut(BaseModel):
    id: int
    message_id: str = Field(description="The RFC 5322 Message-ID, the same on every attempt")
    dedupe_key: str
    template: str
    recipients: list[str]
    cc: list[str]
    subject: str
    status: OutboxStatus
    attempts: int = Field(description="Delivery attempts made so far")
    next_attempt_at: datetime | None = Field(
        description="When the dispatcher tries next (null once `sent` or `dead`)"
    )
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None = Field(
        description="The last SMTP failure or delivery note (never an address)"
    )


class OutboxMessageList(BaseModel):
    items: list[OutboxMessageOut]
    next_cursor: str | None
