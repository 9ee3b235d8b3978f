"""One winner per transition of account requests and account locks (R-ACC-4, R-ACC-8),
under N simultaneous calls on PostgreSQL, checked on the tables."""

from __future__ import annotations

import pytest

from tests.api.accounts_helpers import file_request, fulfil
from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/account-requests"): "identical filings of one ticket",
    ("POST", "/api/v1/account-requests/{id}/fulfilment"): "identical; vs rejection/cancellation",
    ("POST", "/api/v1/account-requests/{id}/rejection"): "vs fulfilment/cancellation",
    ("POST", "/api/v1/account-requests/{id}/cancellation"): "vs fulfilment/rejection",
    ("POST", "/api/v1/accounts/{uid}/lock"): "different reasons; interleaved with unlocks",
    ("POST", "/api/v1/accounts/{uid}/unlock"): "interleaved with locks",
}


async def _filed(client, staff, clock, **extra) -> str:
    clock.set("2025-03-04T12:00:00+01:00")
    filed = await file_request(client, staff, kind="trainer", **extra)
    assert filed.status_code == 201, filed.text
    return filed.json()["id"]


async def test_identical_filings_of_one_ticket_store_one_request(app, client, staff, clock):
    clock.set("2025-03-04T12:00:00+01:00")
    answers = await burst([lambda: file_request(client, staff, kind="trainer", ticket="T-C1")
                           for _ in range(N)])
    assert statuses(answers) == [200] * (N - 1) + [201]
    stored = await rows(app, "SELECT id FROM account_requests WHERE ticket_ref = 'T-C1'")
    assert len(stored) == 1
    assert {r.json()["id"] for r in answers} == {stored[0]["id"]}


async def test_ten_identical_fulfilments_make_one_account_one_mail_and_tell_its_uid(
    app, client, staff, clock
):
    """R-ACC-4: every caller is told the one stored uid."""
    request_id = await _filed(client, staff, clock)
    answers = await burst([lambda: fulfil(client, staff, request_id) for _ in range(N)])
    assert statuses(answers) == [200] * N, [r.text for r in answers]
    stored = await rows(app, "SELECT uid, status FROM account_requests WHERE id = :id",
                        id=request_id)
    assert stored[0]["status"] == "fulfilled"
    assert {r.json()["uid"] for r in answers} == {stored[0]["uid"]}
    roles = await rows(app, "SELECT uid FROM roles WHERE request_id = :id", id=request_id)
    assert [r["uid"] for r in roles] == [stored[0]["uid"]]
    accounts = await rows(app, "SELECT uid FROM accounts WHERE family_name = 'Martin'")
    assert [a["uid"] for a in accounts] == [stored[0]["uid"]]
    mails = await rows(app, "SELECT id FROM outbox_messages WHERE template = 'account-created'")
    assert len(mails) == 1


@pytest.mark.parametrize(("kind", "body", "target"), [
    ("rejection", {"reason": "doublon"}, "rejected"),
    ("cancellation", {}, "cancelled"),
])
async def test_identical_closings_of_a_request_at_once_all_answer_the_stored_state(
    app, client, staff, clock, kind, body, target
):
    request_id = await _filed(client, staff, clock)
    url = f"/api/v1/account-requests/{request_id}/{kind}"
    answers = await burst([lambda: client.post(url, json=body, headers=staff)
                           for _ in range(N)])
    assert statuses(answers) == [200] * N
    stored = await rows(app, "SELECT status, closed_at FROM account_requests WHERE id = :id",
                        id=request_id)
    assert stored[0]["status"] == target
    assert {r.json()["status"] for r in answers} == {target}
    audited = await rows(app, "SELECT id FROM audit_events WHERE resource_id = :id "
                              "AND action = :action", id=request_id,
                         action=f"account-request.{target}")
    assert len(audited) == 1


@pytest.mark.parametrize("mix", ["fulfil-reject-cancel", "reject-cancel"])
async def test_a_request_closed_at_once_three_ways_ends_in_one_terminal_state(
    app, client, staff, clock, mix
):
    request_id = await _filed(client, staff, clock)
    url = f"/api/v1/account-requests/{request_id}"
    kinds = ["rejection", "cancellation"] + (["fulfilment"] if mix.startswith("fulfil") else [])
    bodies = {"rejection": {"reason": "doublon"}, "cancellation": {}, "fulfilment": {}}
    targets = {"rejection": "rejected", "cancellation": "cancelled", "fulfilment": "fulfilled"}
    plan = [kinds[i % len(kinds)] for i in range(N)]
    answers = await burst([
        (lambda k=k: client.post(f"{url}/{k}", json=bodies[k], headers=staff)) for k in plan
    ])
    stored = (await rows(app, "SELECT status, uid FROM account_requests WHERE id = :id",
                         id=request_id))[0]
    winners = {k for k, r in zip(plan, answers, strict=True) if r.status_code == 200}
    assert len(winners) == 1, [(k, r.status_code) for k, r in zip(plan, answers, strict=True)]
    (winner,) = winners
    assert stored["status"] == targets[winner]
    for kind, answer in zip(plan, answers, strict=True):
        if kind == winner:
            assert answer.json()["status"] == stored["status"]
        else:
            assert answer.status_code == 409
            assert answer.json()["code"] == "invalid-transition"
            assert stored["status"] in answer.json()["detail"]  # the state it lost to
    roles = await rows(app, "SELECT id FROM roles WHERE request_id = :id", id=request_id)
    assert len(roles) == (1 if winner == "fulfilment" else 0)


@pytest.fixture
async def account_uid(client, staff, clock) -> str:
    request_id = await _filed(client, staff, clock)
    done = await fulfil(client, staff, request_id)
    assert done.status_code == 200, done.text
    clock.set("2025-04-01T12:00:00+02:00")
    return done.json()["uid"]


async def _open_locks(app, uid: str) -> list[dict]:
    return await rows(app, "SELECT reason FROM account_locks WHERE uid = :uid "
                           "AND unlocked_at IS NULL", uid=uid)


async def test_locks_with_different_reasons_at_once_open_one_lock(
    app, client, staff, account_uid
):
    url = f"/api/v1/accounts/{account_uid}"
    answers = await burst([
        (lambda i=i: client.post(f"{url}/lock", json={"reason": f"motif {i}"}, headers=staff))
        for i in range(N)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"already-locked"}
    open_locks = await _open_locks(app, account_uid)
    assert len(open_locks) == 1
    winner = next(r for r in answers if r.status_code == 200).json()
    assert winner["locked"] is True and winner["status"] == "suspended"


async def test_interleaved_locks_and_unlocks_leave_at_most_one_open_lock_and_access_agrees(
    app, client, staff, clock, account_uid
):
    """R-ACC-8: after any sequence, one open lock at most, and the access check refuses
    exactly when a lock is open."""
    url = f"/api/v1/accounts/{account_uid}"
    for round_ in range(3):
        answers = await burst([
            (lambda: client.post(f"{url}/lock", json={"reason": "fraude"}, headers=staff))
            if i % 2 == round_ % 2 else
            (lambda: client.post(f"{url}/unlock", json={}, headers=staff))
            for i in range(N)
        ])
        assert set(statuses(answers)) <= {200, 409}, [r.text for r in answers]
        open_locks = await _open_locks(app, account_uid)
        assert len(open_locks) <= 1
        access = await client.get(f"{url}/access", headers=staff)
        assert access.status_code == 200
        assert access.json()["allowed"] is not bool(open_locks), access.json()
        clock.advance(seconds=60)
