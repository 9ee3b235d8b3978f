"""One winner per transition of the convention's lifecycle: amendments, termination
notices and their cure (R-CONV-2, R-CONV-3), suspensions, their restoration and lifting
(R-SUS-1, R-SUS-2), under N simultaneous calls on PostgreSQL, checked on the tables."""

from __future__ import annotations

import pytest

from tests.api.accounts_helpers import hosted_account
from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/convention/amendments"): "identical amendments",
    ("POST", "/api/v1/convention/termination-notices"): "identical letter; different letters",
    ("POST", "/api/v1/convention/termination-notices/{id}/cure"): "different cure dates",
    ("POST", "/api/v1/schools/{code}/suspensions"): "identical, one Idempotency-Key",
    ("POST", "/api/v1/suspensions/{id}/restoration-request"): "vs liftings",
    ("POST", "/api/v1/suspensions/{id}/lifting"): "different notices; vs restoration",
    ("POST", "/api/v1/suspensions/{id}/restoration-refusal"): "different refusals",
}


def _notice(client, headers, received_on, letter_ref):
    return client.post(
        "/api/v1/convention/termination-notices",
        json={"notifying_party": "region", "defaulting_party": "ut",
              "grounds": "inexécution de l'article 5", "letter_ref": letter_ref,
              "received_on": received_on},
        headers=headers,
    )


async def test_identical_amendments_at_once_record_one(app, client, staff):
    body = {"reference": "AV-C", "signed_on": "2025-01-10", "effective_on": "2025-02-01",
            "changes": {"rate_per_student_cents": 900}}
    answers = await burst([
        lambda: client.post("/api/v1/convention/amendments", json=body, headers=staff)
        for _ in range(N)
    ])
    assert statuses(answers) == [201] + [409] * (N - 1)
    assert codes(answers) == {"amendment-exists"}
    stored = await rows(app, "SELECT rate_per_student_cents FROM amendments "
                             "WHERE reference = 'AV-C'")
    assert stored == [{"rate_per_student_cents": 900}]


async def test_the_same_letter_at_once_records_one_notice_and_tells_its_id(app, client, staff,
                                                                           clock):
    clock.set("2027-03-01T12:00:00+01:00")
    answers = await burst([lambda: _notice(client, staff, "2027-02-15", "LRAR-C")
                           for _ in range(N)])
    assert statuses(answers) == [200] * (N - 1) + [201]
    stored = await rows(app, "SELECT id FROM termination_notices")
    assert len(stored) == 1
    assert {r.json()["id"] for r in answers} == {stored[0]["id"]}


async def test_different_letters_at_once_are_each_recorded_once(app, client, staff, clock):
    """R-CONV-3a: several notices may be pending: N different letters filed together are
    N notices, each stored once under the id its caller was told."""
    clock.set("2027-03-01T12:00:00+01:00")
    answers = await burst([
        (lambda i=i: _notice(client, staff, "2027-02-15", f"LRAR-{i}")) for i in range(N)
    ])
    assert statuses(answers) == [201] * N
    stored = await rows(app, "SELECT id, letter_ref FROM termination_notices")
    told = sorted((r.json()["id"], r.json()["letter_ref"]) for r in answers)
    assert sorted((r["id"], r["letter_ref"]) for r in stored) == told


async def test_letters_at_once_after_a_governing_effective_date_are_all_refused(
    app, client, staff, clock
):
    """R-CONV-3a: with a notice effective on 2027-05-15, letters received on that day
    filed together are all refused, and only the first notice is stored."""
    clock.set("2027-05-20T12:00:00+02:00")
    first = await _notice(client, staff, "2027-02-15", "LRAR-0")
    assert first.status_code == 201
    answers = await burst([
        (lambda i=i: _notice(client, staff, "2027-05-15", f"LRAR-{i + 1}")) for i in range(N)
    ])
    assert statuses(answers) == [409] * N
    assert codes(answers) == {"convention-not-active"}
    stored = await rows(app, "SELECT letter_ref FROM termination_notices")
    assert stored == [{"letter_ref": "LRAR-0"}]


async def test_cures_on_different_days_at_once_record_one(app, client, staff, clock):
    clock.set("2027-03-10T12:00:00+01:00")
    notice = (await _notice(client, staff, "2027-02-15", "LRAR-1")).json()
    url = f"/api/v1/convention/termination-notices/{notice['id']}/cure"
    days = [f"2027-03-{d:02d}" for d in range(1, N + 1)]
    answers = await burst([
        (lambda d=d: client.post(url, json={"cured_on": d}, headers=staff)) for d in days
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"invalid-transition"}
    stored = await rows(app, "SELECT cured_on FROM termination_notices WHERE id = :id",
                        id=notice["id"])
    winner = next(r for r in answers if r.status_code == 200).json()
    assert str(stored[0]["cured_on"]) == winner["cured_on"]


@pytest.fixture
async def referent(client, staff, clock) -> str:
    done = await hosted_account(client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
                                fulfilled_at="2025-03-04T09:00:00+01:00")
    clock.set("2025-04-01T12:00:00+02:00")
    return done["uid"]


_SUSPENSION = {"ground": "breach_of_obligations", "scope": "platform",
               "notified_at": "2025-04-01T10:00:00+02:00", "notice_ref": "UT-2025-17",
               "details": "manquement à l'article 6"}


async def _suspension(client, staff) -> str:
    made = await client.post("/api/v1/schools/ifms-rodez/suspensions", json=_SUSPENSION,
                             headers=staff)
    assert made.status_code == 201, made.text
    return made.json()["id"]


async def test_one_suspension_posted_at_once_with_one_key_is_stored_once(
    app, client, staff, referent
):
    headers = staff | {"Idempotency-Key": "suspend-rodez-1"}
    answers = await burst([
        lambda: client.post("/api/v1/schools/ifms-rodez/suspensions", json=_SUSPENSION,
                            headers=headers)
        for _ in range(N)
    ])
    assert set(statuses(answers)) <= {201, 409}
    assert codes(answers) <= {"idempotency-key-in-progress"}
    stored = await rows(app, "SELECT id FROM suspensions")
    assert len(stored) == 1
    assert {r.json()["id"] for r in answers if r.status_code == 201} == {stored[0]["id"]}
    mails = await rows(app, "SELECT id FROM outbox_messages WHERE template = "
                            "'suspension-notice'")
    assert len(mails) == 1


async def test_five_liftings_with_different_notices_lift_once(app, client, staff, clock,
                                                              referent):
    suspension_id = await _suspension(client, staff)
    clock.set("2025-04-05T12:00:00+02:00")
    url = f"/api/v1/suspensions/{suspension_id}/lifting"
    answers = await burst([
        (lambda i=i: client.post(url, json={"notified_at": "2025-04-05T09:00:00+02:00",
                                            "notice_ref": f"UT-L-{i}"}, headers=staff))
        for i in range(N)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"invalid-transition"}
    stored = (await rows(app, "SELECT status, lifting_ref FROM suspensions WHERE id = :id",
                         id=suspension_id))[0]
    winner = next(r for r in answers if r.status_code == 200).json()
    assert stored == {"status": "lifted", "lifting_ref": winner["lifting_ref"]}
    mails = await rows(app, "SELECT id FROM outbox_messages WHERE template = "
                            "'suspension-lifted'")
    assert len(mails) == 1


async def test_restoration_requests_and_liftings_at_once_end_in_one_state(
    app, client, staff, clock, referent
):
    """R-SUS-2: a lifted suspension cannot be restored; a second restoration request with
    another instant is refused. Whatever the order, the stored state is a caller's 2xx."""
    suspension_id = await _suspension(client, staff)
    clock.set("2025-04-05T12:00:00+02:00")
    url = f"/api/v1/suspensions/{suspension_id}"
    plan = ["lifting" if i % 2 else "restoration-request" for i in range(N)]
    bodies = {
        "lifting": {"notified_at": "2025-04-05T09:00:00+02:00", "notice_ref": "UT-L"},
        "restoration-request": {"requested_at": "2025-04-04T09:00:00+02:00",
                                "corrective_actions": "mots de passe changés"},
    }
    answers = await burst([
        (lambda k=k: client.post(f"{url}/{k}", json=bodies[k], headers=staff)) for k in plan
    ])
    assert set(statuses(answers)) <= {200, 409}
    stored = (await rows(app, "SELECT status, lifting_ref, restoration_requested_at "
                              "FROM suspensions WHERE id = :id", id=suspension_id))[0]
    oks = [r.json() for r in answers if r.status_code == 200]
    assert oks
    assert stored["status"] in {o["status"] for o in oks}
    lifted = [r for k, r in zip(plan, answers, strict=True) if k == "lifting"]
    assert {r.status_code for r in lifted} == {200}  # a retry of one lifting, or after it
    assert stored["status"] == "lifted" and stored["lifting_ref"] == "UT-L"
    for kind, answer in zip(plan, answers, strict=True):
        if kind == "restoration-request" and answer.status_code == 409:
            assert answer.json()["code"] == "invalid-transition"


async def test_different_refusals_of_one_restoration_request_at_once_record_one(
    app, client, staff, clock, referent
):
    """R-SUS-2b: one written refusal answers one request: the others are 409
    `invalid-transition`, and the stored refusal is the winner's."""
    suspension_id = await _suspension(client, staff)
    clock.set("2025-04-05T12:00:00+02:00")
    url = f"/api/v1/suspensions/{suspension_id}"
    asked = await client.post(f"{url}/restoration-request", headers=staff,
                              json={"requested_at": "2025-04-04T09:00:00+02:00",
                                    "corrective_actions": "mots de passe changés"})
    assert asked.status_code == 200, asked.text
    answers = await burst([
        (lambda i=i: client.post(f"{url}/restoration-refusal", headers=staff,
                                 json={"notified_at": "2025-04-05T09:00:00+02:00",
                                       "notice_ref": f"UT-R-{i}"}))
        for i in range(N)
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"invalid-transition"}
    stored = (await rows(app, "SELECT status, restoration_refusal_ref FROM suspensions "
                              "WHERE id = :id", id=suspension_id))[0]
    winner = next(r for r in answers if r.status_code == 200).json()
    assert stored == {"status": "active",
                      "restoration_refusal_ref": winner["restoration_refusal_ref"]}
