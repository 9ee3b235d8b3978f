"""SQL repository of the audit trail. It never commits."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.dialect import is_postgres
from app.adapters.db.raw import transaction_connection
from app.adapters.db.tables import (
    AuditEventRow,
)
from app.ports.audit import AuditEvent

# The hot path's raw statement on PostgreSQL (app/adapters/db/raw.py).
_PG_AUDIT = (
    "INSERT INTO audit_events (occurred_at, actor, client_id, action, resource_type, "
    "resource_id, request_id, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json)"
)


def audit_event_from_row(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        client_id=row.client_id,
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        request_id=row.request_id,
        changes=dict(row.changes),
    )


class SqlAuditRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, event: AuditEvent) -> None:
        if is_postgres(self.session):  # one per state change, hot paths included (raw.py)
            statements = await transaction_connection(self.session)
            await statements.execute(
                _PG_AUDIT, event.occurred_at, event.actor, event.client_id, event.action,
                event.resource_type, event.resource_id, event.request_id,
                json.dumps(event.changes),
            )
            return
        await self.session.execute(
            insert(AuditEventRow).values(
                occurred_at=event.occurred_at,
                actor=event.actor,
                client_id=event.client_id,
                action=event.action,
                resource_type=event.resource_type,
                resource_id=event.resource_id,
                request_id=event.request_id,
                changes=event.changes,
            )
        )

    async def list(
        self,
        *,
        resource_type: str | None,
        resource_id: str | None,
        actor: str | None,
        since: datetime | None,
        before_id: int | None,
        limit: int,
    ) -> list[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)  # type: ignore[union-attr]
        if resource_type is not None:
            query = query.where(AuditEventRow.resource_type == resource_type)
        if resource_id is not None:
            query = query.where(AuditEventRow.resource_id == resource_id)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        if since is not None:
            query = query.where(AuditEventRow.occurred_at >= since)
        if before_id is not None:
            query = query.where(AuditEventRow.id < before_id)  # type: ignore[operator]
        rows = (await self.session.execute(query)).scalars().all()
        return [audit_event_from_row(r) for r in rows]
