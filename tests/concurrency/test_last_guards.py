"""The last guards behind the row locks, on both databases: the partial unique indexes
(one open lock per account, one role per fulfilled request) refuse a second row, and a
lost race the database reports (unique violation, deadlock, serialization failure) is a
409 `concurrent-change`, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.services import accounts as accounts_service
from tests.api.accounts_helpers import file_request, fulfil


@pytest.fixture
async def uid(client, admin_headers, clock) -> str:
    clock.set("2025-03-04T12:00:00+01:00")
    filed = await file_request(client, admin_headers, kind="trainer")
    done = await fulfil(client, admin_headers, filed.json()["id"])
    assert done.status_code == 200, done.text
    return done.json()["uid"]


async def _insert(app, sql: str, **params) -> None:
    async with app.state.container.engine.begin() as connection:
        await connection.execute(text(sql), params)


async def test_a_second_open_lock_of_an_account_is_refused_by_the_database(app, uid):
    at = datetime(2025, 3, 5, tzinfo=UTC)
    lock = ("INSERT INTO account_locks (id, uid, reason, locked_at, unlocked_at) "
            "VALUES (:id, :uid, 'fraude', :at, :until)")
    await _insert(app, lock, id="lock-1", uid=uid, at=at, until=None)
    await _insert(app, lock, id="lock-closed", uid=uid, at=at, until=at)  # closed: allowed
    with pytest.raises(IntegrityError):
        await _insert(app, lock, id="lock-2", uid=uid, at=at, until=None)


async def test_a_second_role_for_one_fulfilled_request_is_refused_by_the_database(app, uid):
    [request] = await _rows(app, "SELECT request_id FROM roles WHERE uid = :uid", uid=uid)
    at = datetime(2025, 3, 5, tzinfo=UTC)
    with pytest.raises(IntegrityError):
        await _insert(
            app, "INSERT INTO roles (id, uid, kind, school_code, valid_from, valid_until, "
                 "request_id, created_at, updated_at) VALUES ('role-2', :uid, 'trainer', "
                 "'ifms-albi', '2025-03-05', '2025-08-31', :request, :at, :at)",
            uid=uid, request=request["request_id"], at=at)


async def _rows(app, sql: str, **params) -> list[dict]:
    async with app.state.container.engine.connect() as connection:
        return [dict(r._mapping) for r in await connection.execute(text(sql), params)]


class _DriverError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__("driver error")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("error", "sqlstate"), [
    (IntegrityError, "23505"),  # unique violation
    (DBAPIError, "40P01"),  # deadlock detected
    (DBAPIError, "40001"),  # serialization failure
])
async def test_a_race_lost_in_the_database_is_a_409_concurrent_change(
    client, admin_headers, uid, monkeypatch, error, sqlstate
):
    async def lost(*args, **kwargs):
        raise error("INSERT …", {}, _DriverError(sqlstate))

    monkeypatch.setattr(accounts_service, "lock_account", lost)
    answer = await client.post(f"/api/v1/accounts/{uid}/lock", json={"reason": "fraude"},
                               headers=admin_headers)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "concurrent-change"


async def test_another_database_error_is_still_a_500(client, admin_headers, uid,
                                                     monkeypatch):
    async def broken(*args, **kwargs):
        raise DBAPIError("SELECT …", {}, _DriverError("42P01"))  # undefined table

    monkeypatch.setattr(accounts_service, "lock_account", broken)
    answer = await client.post(f"/api/v1/accounts/{uid}/lock", json={"reason": "fraude"},
                               headers=admin_headers)
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal-error"
