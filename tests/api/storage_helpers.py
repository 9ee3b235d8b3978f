"""Helpers of the storage tests: snapshots, posting at an instant, referents, jobs."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.adapters.db.tables import StorageSnapshotRow
from app.domain.accounts import Account, RoleKind, StoredRole
from app.services.jobs import run_job
from tests.conftest import bearer

GB = 1_000_000_000
_ids = itertools.count(1)
_uids = itertools.count(1000)


def snap(
    school: str = "ifms-rodez", at: str = "2025-03-03T08:00:00Z", bytes_used: object = GB,
    sid: str | None = None, **extra: object,
) -> dict[str, object]:
    return {"snapshot_id": sid or f"snap-{next(_ids):06d}", "school_code": school,
            "measured_at": at, "bytes_used": bytes_used, **extra}


async def post(client, token: str, items: list, clock=None, at: str | None = None):
    if at is not None:
        clock.set(at)
    return await client.post(
        "/api/v1/storage/snapshots", json={"items": items}, headers=bearer(token)
    )


async def measure(client, clock, token: str, school: str, at: str, bytes_used: int) -> dict:
    """One snapshot measured and posted at `at`; its result."""
    response = await post(client, token, [snap(school, at, bytes_used)], clock, at)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["status"] == "accepted", result
    return result


async def stored_count(app) -> int:
    uow = app.state.container.uow_factory()
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(StorageSnapshotRow)))


async def add_referent(
    app, school: str, email: str, *, valid_from: date = date(2024, 9, 1),
    valid_until: date = date(2029, 8, 31),
) -> str:
    n = next(_uids)
    uid = f"ref{n:04d}a"
    now = datetime(2024, 9, 1, tzinfo=UTC)
    uow = app.state.container.uow_factory()
    async with uow:
        await uow.accounts.add(Account(uid=uid, given_name="Camille", family_name=f"Martin{n}",
                                       email=email, created_at=now))
        await uow.accounts.add_role(
            StoredRole(id=f"role-{uid}", uid=uid, kind=RoleKind.REFERENT, school_code=school,
                       valid_from=valid_from, valid_until=valid_until),
            request_id=None, now=now,
        )
        await uow.commit()
    return uid


async def run(app, clock, name: str, at: str) -> dict[str, int]:
    services = app.state.container
    outcome = await run_job(
        services.jobs, name, uow_factory=services.uow_factory, locks=services.job_locks,
        clock=clock, at=datetime.fromisoformat(at.replace("Z", "+00:00")),
    )
    assert outcome.outcome == "succeeded", outcome.error
    return dict(outcome.counts)


async def alerts(client, token: str, **params) -> list[dict]:
    response = await client.get("/api/v1/storage/alerts", params={"limit": 500, **params},
                                headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def queued(app, template: str) -> list:
    uow = app.state.container.uow_factory()
    async with uow:
        return [m for m in await uow.outbox.list(status=None, after_id=None, limit=500)
                if m.template == template]
