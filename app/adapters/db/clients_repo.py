"""SQL repository of registered machine clients. It never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.db.tables import (
    ApiClientRow,
)
from app.ports.clients import ApiClient


def _client(row: ApiClientRow) -> ApiClient:
    return ApiClient(
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=tuple(row.scopes.split()),
        schools=tuple(row.schools) if row.schools is not None else None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlClientRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def get(self, client_id: str) -> ApiClient | None:
        row = (
            await self.session.execute(
                select(ApiClientRow).where(ApiClientRow.client_id == client_id)
            )
        ).scalar_one_or_none()
        return _client(row) if row else None

    async def add(self, client: ApiClient) -> None:
        self.session.add(
            ApiClientRow(
                client_id=client.client_id,
                name=client.name,
                secret_hash=client.secret_hash,
                scopes=" ".join(client.scopes),
                schools=list(client.schools) if client.schools is not None else None,
                created_at=client.created_at,
                revoked_at=client.revoked_at,
            )
        )
        await self.session.flush()

    async def list(self) -> list[ApiClient]:
        rows = (
            await self.session.execute(select(ApiClientRow).order_by(ApiClientRow.client_id))
        ).scalars()
        return [_client(r) for r in rows]

    async def revoke(self, client_id: str, at: datetime) -> bool:
        result = await self.session.execute(
            update(ApiClientRow)
            .where(ApiClientRow.client_id == client_id, ApiClientRow.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]
