"""Wire models of the audit trail (R-GDPR-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.schemas.common import Output


class AuditEventOut(Output):
    id: int
    occurred_at: datetime
    actor: str
    client_id: str | None
    action: str
    resource_type: str
    resource_id: str
    request_id: str | None
    changes: dict[str, Any]


class AuditEventList(BaseModel):
    items: list[AuditEventOut]
    next_cursor: str | None
