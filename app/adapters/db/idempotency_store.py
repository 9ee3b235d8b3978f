"""The idempotency-key store on the `idempotency_keys` table (port `IdempotencyStore`).

Every call is its own short transaction, committed at once: the claim must be visible to
a concurrent duplicate while the first request still runs, and must not hold the
business transaction's locks (on SQLite every transaction holds the write lock).

Expired keys are purged lazily: each claim first deletes every row whose `expires_at`
has passed (an indexed range), so no job is needed and an expired key is claimed anew.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.db.repositories import insert_ignoring_conflicts
from app.adapters.db.tables import IdempotencyKeyRow
from app.services.ports import IdempotencyRecord

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


def _record(row: IdempotencyKeyRow) -> IdempotencyRecord:
    return IdempotencyRecord(
        method=row.method,
        path=row.path,
        body_sha256=row.body_sha256,
        state=row.state,
        expires_at=row.expires_at,
        status_code=row.status_code,
        headers=dict(row.response_headers or {}),
        body=row.response_body,
    )


def _this_key(client_key: str, key: str):
    return (
        IdempotencyKeyRow.client_key == client_key,
        IdempotencyKeyRow.idempotency_key == key,
    )


class SqlIdempotencyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions

    async def claim(
        self, *, client_key: str, key: str, method: str, path: str, body_sha256: str,
        now: datetime, expires_at: datetime,
    ) -> IdempotencyRecord | None:
        # A holder may be released between our failed insert and our read: try again.
        for _ in range(3):
            async with self._sessions() as session, session.begin():
                await session.execute(
                    delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= now)  # type: ignore[arg-type]
                )
                inserted = await session.execute(
                    insert_ignoring_conflicts(session, IdempotencyKeyRow).values(
                        client_key=client_key,
                        idempotency_key=key,
                        method=method,
                        path=path,
                        body_sha256=body_sha256,
                        state=IN_PROGRESS,
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
                if inserted.rowcount == 1:  # type: ignore[attr-defined]
                    return None
                row = (
                    await session.execute(
                        select(IdempotencyKeyRow).where(*_this_key(client_key, key))
                    )
                ).scalar_one_or_none()
                if row is not None:
                    return _record(row)
        raise RuntimeError("could not claim an idempotency key")  # pragma: no cover

    async def complete(
        self, *, client_key: str, key: str, status_code: int, headers: dict[str, str],
        body: str,
    ) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyKeyRow)
                .where(*_this_key(client_key, key))
                .values(
                    state=COMPLETED,
                    status_code=status_code,
                    response_headers=headers,
                    response_body=body,
                )
            )

    async def release(self, *, client_key: str, key: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyKeyRow).where(
                    *_this_key(client_key, key), IdempotencyKeyRow.state == IN_PROGRESS
                )
            )
