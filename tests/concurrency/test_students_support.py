"""One winner per transition of enrolments (R-ACC-6, R-ACC-7) and support requests
(R-SUP-1, R-SUP-2), under N simultaneous calls on PostgreSQL, checked on the tables."""

from __future__ import annotations

import pytest

from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("PUT", "/api/v1/enrolment-campaigns/{academic_year}"): "different windows, one If-Match",
    ("POST", "/api/v1/enrolments"): "identical batches",
    ("POST", "/api/v1/enrolments/{id}/cancellation"): "different days",
    ("POST", "/api/v1/support-requests"): "identical e-mails",
    ("POST", "/api/v1/support-requests/{id}/first-response"): "different instants",
    ("POST", "/api/v1/support-requests/{id}/closure"): "different instants; vs responses",
}

STUDENT = {"student_number": "20240001", "school_code": "ifms-rodez",
           "academic_year": "2024-2025", "enrolled_on": "2024-09-15", "given_name": "Léa",
           "family_name": "Dupont", "email": "lea.dupont@example.org"}


async def test_windows_changed_at_once_on_one_if_match_store_one_callers_windows(
    app, client, admin
):
    url = "/api/v1/enrolment-campaigns/2025-2026"
    etag = (await client.get(url, headers=admin)).headers["etag"]
    answers = await burst([
        (lambda d=d: client.put(url, headers=admin | {"If-Match": etag}, json={
            "main_opens_on": "2025-07-01", "main_closes_on": f"2025-11-{d:02d}",
            "s2_opens_on": "2026-01-01", "s2_closes_on": "2026-02-28"}))
        for d in range(11, 11 + N)
    ])
    assert set(statuses(answers)) <= {200, 409, 412}, [r.text for r in answers]
    stored = await rows(app, "SELECT main_closes_on FROM enrolment_campaigns "
                             "WHERE academic_year = 2025")
    oks = [r.json() for r in answers if r.status_code == 200]
    assert len(stored) == 1 and len(oks) == 1
    assert oks[0]["main_closes_on"] == str(stored[0]["main_closes_on"])


async def test_identical_batches_at_once_enrol_the_student_once(app, client, admin):
    answers = await burst([
        lambda: client.post("/api/v1/enrolments", json={"items": [STUDENT]}, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [200] * N
    results = [r.json()["results"][0] for r in answers]
    assert sorted(r["status"] for r in results) == ["created"] + ["duplicate"] * (N - 1)
    stored = await rows(app, "SELECT id, uid FROM enrolments")
    assert len(stored) == 1
    assert {(r["enrolment_id"], r["uid"]) for r in results} == {
        (stored[0]["id"], stored[0]["uid"])}
    assert len(await rows(app, "SELECT uid FROM accounts")) == 1


async def test_cancellations_on_different_days_at_once_record_one(app, client, admin,
                                                                  clock):
    clock.set("2025-03-20T12:00:00+01:00")  # every cancellation date is past
    made = await client.post("/api/v1/enrolments", json={"items": [STUDENT]}, headers=admin)
    enrolment_id = made.json()["results"][0]["enrolment_id"]
    url = f"/api/v1/enrolments/{enrolment_id}/cancellation"
    answers = await burst([
        (lambda d=d: client.post(url, json={"cancelled_on": f"2025-03-{d:02d}"},
                                 headers=admin)) for d in range(1, N + 1)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"already-cancelled"}
    winner = next(r for r in answers if r.status_code == 200).json()
    stored = await rows(app, "SELECT cancelled_on FROM enrolments WHERE id = :id",
                        id=enrolment_id)
    assert str(stored[0]["cancelled_on"]) == winner["cancelled_on"]


def _mail(message_id: str) -> dict:
    return {"message_id": message_id, "received_at": "2025-03-03T09:00:00+01:00",
            "from_email": "secretariat@ifsi.example", "subject": "Accès à Moodle",
            "school_code": "ifms-rodez"}


async def test_identical_support_mails_at_once_record_one_request(app, client, admin, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    answers = await burst([
        lambda: client.post("/api/v1/support-requests", json=_mail("<c1@ifsi.example>"),
                            headers=admin) for _ in range(N)
    ])
    assert statuses(answers) == [200] * (N - 1) + [201]
    stored = await rows(app, "SELECT id FROM support_requests")
    assert len(stored) == 1 and {r.json()["id"] for r in answers} == {stored[0]["id"]}


async def _support_request(client, admin, clock) -> str:
    clock.set("2025-03-03T12:00:00+01:00")
    made = await client.post("/api/v1/support-requests", json=_mail("<c2@ifsi.example>"),
                             headers=admin)
    assert made.status_code == 201, made.text
    clock.set("2025-03-04T18:00:00+01:00")
    return made.json()["id"]


async def test_first_responses_at_different_instants_at_once_record_one(app, client, admin,
                                                                        clock):
    request_id = await _support_request(client, admin, clock)
    url = f"/api/v1/support-requests/{request_id}/first-response"
    answers = await burst([
        (lambda m=m: client.post(url, json={"responded_at": f"2025-03-04T10:{m:02d}:00+01:00"},
                                 headers=admin)) for m in range(N)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"already-answered"}
    winner = next(r for r in answers if r.status_code == 200).json()
    stored = await rows(app, "SELECT status, responded_at FROM support_requests "
                             "WHERE id = :id", id=request_id)
    assert stored[0]["status"] == "answered"
    assert stored[0]["responded_at"].isoformat().replace("+00:00", "Z") == winner[
        "responded_at"].replace("+00:00", "Z")


async def test_closures_and_responses_at_once_end_in_one_stored_state(app, client, admin,
                                                                      clock):
    request_id = await _support_request(client, admin, clock)
    url = f"/api/v1/support-requests/{request_id}"
    plan = ["closure" if i % 2 else "first-response" for i in range(N)]
    bodies = {"closure": {"closed_at": "2025-03-04T11:00:00+01:00"},
              "first-response": {"responded_at": "2025-03-04T10:00:00+01:00"}}
    answers = await burst([
        (lambda k=k: client.post(f"{url}/{k}", json=bodies[k], headers=admin)) for k in plan
    ])
    assert set(statuses(answers)) <= {200, 409}
    stored = (await rows(app, "SELECT status, closed_at FROM support_requests "
                              "WHERE id = :id", id=request_id))[0]
    assert stored["status"] == "closed"
    closures = [r for k, r in zip(plan, answers, strict=True) if k == "closure"]
    assert {r.status_code for r in closures} == {200}
    assert {r.json()["status"] for r in closures} == {"closed"}
    for kind, answer in zip(plan, answers, strict=True):
        if kind == "first-response" and answer.status_code == 409:
            assert answer.json()["code"] in {"already-closed", "concurrent-change"}
