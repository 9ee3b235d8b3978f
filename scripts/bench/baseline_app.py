"""The bare baselines: a minimal FastAPI app on the same database, raw asyncpg, no auth,
no middleware. Served by the harness with the same uvicorn options as the service:

    uvicorn --factory scripts.bench.baseline_app:create_app

(a) GET  /a/accounts/{uid}     one primary-key lookup
(b) POST /b/snapshots          the same 1,000-item body, rows inserted with `executemany`
                               into a copy of `storage_snapshots` (same indexes)
(c) POST /c/account-requests   the same body, one single-row INSERT into a copy of
                               `account_requests` (same indexes)

`BENCH_DSN` names the database (the harness creates the two copies before serving)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import asyncpg
from fastapi import FastAPI, HTTPException, Request, Response

SNAPSHOT_COPY = "bench_baseline_snapshots"
REQUEST_COPY = "bench_baseline_requests"

_PK_LOOKUP = (
    "SELECT uid, given_name, family_name, email, created_at, erased_at "
    "FROM accounts WHERE uid = $1"
)
_INSERT_SNAPSHOT = (
    f"INSERT INTO {SNAPSHOT_COPY} (snapshot_id, school_code, measured_at, bytes_used, "
    "files_count, bytes_backup, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
_INSERT_REQUEST = (
    f"INSERT INTO {REQUEST_COPY} (id, ticket_ref, content_sha256, school_code, kind, "
    "given_name, family_name, email, received_at, academic_year, due_on, status, "
    "created_at) VALUES ($1, $2, '', $3, $4, $5, $6, $7, $8, 2026, $9, 'received', $8)"
)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_DSN"]
    pool_size = int(os.environ.get("DATABASE_POOL_SIZE", "10"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2 * pool_size)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/a/accounts/{uid}")
    async def lookup(uid: str, request: Request) -> dict:
        row = await request.app.state.pool.fetchrow(_PK_LOOKUP, uid)
        if row is None:
            raise HTTPException(404)
        return dict(row)

    @app.post("/b/snapshots")
    async def snapshots(request: Request) -> dict:
        items = json.loads(await request.body())["items"]
        now = datetime.now(UTC)
        rows = [
            (i["snapshot_id"], i["school_code"], _instant(i["measured_at"]), i["bytes_used"],
             i.get("files_count"), i.get("bytes_backup"), now)
            for i in items
        ]
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            await conn.executemany(_INSERT_SNAPSHOT, rows)
        return {"inserted": len(rows)}

    @app.post("/c/account-requests", status_code=201)
    async def account_request(request: Request, response: Response) -> dict:
        body = json.loads(await request.body())
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        await request.app.state.pool.execute(
            _INSERT_REQUEST, request_id, body["ticket_ref"], body["school_code"],
            body["kind"], body["given_name"], body["family_name"], body["email"], now,
            date(now.year, 12, 31),
        )
        response.headers["Location"] = f"/c/account-requests/{request_id}"
        return {"id": request_id, "ticket_ref": body["ticket_ref"]}

    return app
