"""The idempotency-key store on the `idempotency_keys` table (port `IdempotencyStore`).

Every call is its own short transaction, committed at once: the claim must be visible to
a concurrent duplicate while the first request still runs, and must not hold the
business transaction's locks (on SQLite every transaction holds the write lock).

Expired keys are purged lazily: each claim first deletes every row whose `expires_at`
has passed (an indexed range), so no job is needed and an expired key is claimed anew.

A claim left `in_progress` past its lease (`stale_before`: the process that made it died
between the claim and the completion) is taken over like an expired one. Completion and
release name their claim by its instant (`created_at`), so a holder that was only slow
and lost its claim neither overwrites nor drops the new holder's.

On PostgreSQL every call is one statement on the pool's raw asyncpg connection (each
commits on its own; app/adapters/db/raw.py), as it runs on every keyed POST: the claim
is an INSERT … ON CONFLICT DO UPDATE that takes over an expired or stale row only, so
such a key is claimed anew; the sweep of the other expired rows runs at most once per
PURGE_INTERVAL_SECONDS per process (and the daily retention job deletes them too).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.adapters.db.dialect import insert_ignoring_conflicts, is_postgres
from app.adapters.db.raw import raw_connection
from app.adapters.db.tables import IdempotencyKeyRow
from app.ports.idempotency import IdempotencyRecord

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


PURGE_INTERVAL_SECONDS = 60.0

_COLUMNS = ("method", "path", "body_sha256", "state", "expires_at", "status_code",
            "response_headers", "response_body")
_PG_CLAIM = (
    "INSERT INTO idempotency_keys (client_key, idempotency_key, method, path, body_sha256, "
    "state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7) "
    "ON CONFLICT (client_key, idempotency_key) DO UPDATE SET method = EXCLUDED.method, "
    "path = EXCLUDED.path, body_sha256 = EXCLUDED.body_sha256, state = EXCLUDED.state, "
    "status_code = NULL, response_headers = NULL, response_body = NULL, "
    "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at "
    "WHERE idempotency_keys.expires_at <= $6 OR (idempotency_keys.state = 'in_progress' "
    "AND idempotency_keys.created_at <= $8) RETURNING id"
)
_PG_HELD = (
    f"SELECT {', '.join(_COLUMNS[:-2])}, response_headers::text, response_body "
    "FROM idempotency_keys WHERE client_key = $1 AND idempotency_key = $2"
)
_PG_COMPLETE = (
    "UPDATE idempotency_keys SET state = 'completed', status_code = $3, "
    "response_headers = $4::json, response_body = $5 "
    "WHERE client_key = $1 AND idempotency_key = $2 AND state = 'in_progress' "
    "AND created_at = $6"
)
_PG_RELEASE = (
    "DELETE FROM idempotency_keys WHERE client_key = $1 AND idempotency_key = $2 "
    "AND state = 'in_progress' AND created_at = $3"
)
_PG_PURGE = "DELETE FROM idempotency_keys WHERE expires_at <= $1"


class SqlIdempotencyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]):
        self._sessions = sessions
        engine = sessions.kw.get("bind")
        self._pg_engine = engine if is_postgres(engine) else None
        self._purged_at: float | None = None

    async def claim(
        self, *, client_key: str, key: str, method: str, path: str, body_sha256: str,
        now: datetime, expires_at: datetime, stale_before: datetime,
    ) -> IdempotencyRecord | None:
        if self._pg_engine is not None:
            return await self._pg_claim(client_key, key, method, path, body_sha256, now,
                                        expires_at, stale_before)
        # A holder may be released between our failed insert and our read: try again.
        for _ in range(3):
            async with self._sessions() as session, session.begin():
                await session.execute(
                    delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= now)  # type: ignore[arg-type]
                )
                await session.execute(
                    delete(IdempotencyKeyRow).where(
                        *_this_key(client_key, key), IdempotencyKeyRow.state == IN_PROGRESS,
                        IdempotencyKeyRow.created_at <= stale_before,  # type: ignore[arg-type]
                    )
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

    async def _pg_claim(
        self, client_key: str, key: str, method: str, path: str, body_sha256: str,
        now: datetime, expires_at: datetime, stale_before: datetime,
    ) -> IdempotencyRecord | None:
        assert self._pg_engine is not None
        async with raw_connection(self._pg_engine) as connection:
            if self._purged_at is None or \
                    time.monotonic() - self._purged_at >= PURGE_INTERVAL_SECONDS:
                self._purged_at = time.monotonic()
                await connection.execute(_PG_PURGE, now)
            for _ in range(3):  # a holder may be released between our upsert and our read
                if await connection.fetchval(_PG_CLAIM, client_key, key, method, path,
                                             body_sha256, now, expires_at,
                                             stale_before) is not None:
                    return None
                row = await connection.fetchrow(_PG_HELD, client_key, key)
                if row is not None:
                    values = dict(zip(_COLUMNS, row, strict=True))
                    values["response_headers"] = json.loads(values["response_headers"] or "{}")
                    return _record(SimpleNamespace(**values))  # type: ignore[arg-type]
        raise RuntimeError("could not claim an idempotency key")  # pragma: no cover

    async def complete(
        self, *, client_key: str, key: str, claimed_at: datetime, status_code: int,
        headers: dict[str, str], body: str,
    ) -> None:
        if self._pg_engine is not None:
            async with raw_connection(self._pg_engine) as connection:
                await connection.execute(_PG_COMPLETE, client_key, key, status_code,
                                         json.dumps(headers), body, claimed_at)
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyKeyRow)
                .where(*_this_key(client_key, key), IdempotencyKeyRow.state == IN_PROGRESS,
                       IdempotencyKeyRow.created_at == claimed_at)
                .values(
                    state=COMPLETED,
                    status_code=status_code,
                    response_headers=headers,
                    response_body=body,
                )
            )

    async def release(self, *, client_key: str, key: str, claimed_at: datetime) -> None:
        if self._pg_engine is not None:
            async with raw_connection(self._pg_engine) as connection:
                await connection.execute(_PG_RELEASE, client_key, key, claimed_at)
            return
        async with self._sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyKeyRow).where(
                    *_this_key(client_key, key), IdempotencyKeyRow.state == IN_PROGRESS,
                    IdempotencyKeyRow.created_at == claimed_at,
                )
            )
