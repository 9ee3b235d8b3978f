"""The audit trail: who changed what, in which request (implemented in
app/adapters/db/audit_repo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.domain.auth import Principal


@dataclass(frozen=True)
class Actor:
    """Who does a change and in which request: the audit trail's attribution."""

    principal: Principal
    request_id: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    occurred_at: datetime
    actor: str
    client_id: str | None
    action: str
    resource_type: str
    resource_id: str
    request_id: str | None
    changes: dict[str, Any]
    id: int | None = None


class AuditRepository(Protocol):
    async def add(self, event: AuditEvent) -> None: ...
    async def list(
        self,
        *,
        resource_type: str | None,
        resource_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[AuditEvent]: ...
