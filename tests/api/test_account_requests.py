"""Account-creation requests and fulfilment (R-ACC-1, R-ACC-2, R-ACC-3, R-ACC-4, R-ACC-9, R-REF-1,
R-REF-2, R-CONV-4)."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.accounts_helpers import file_request, fulfil, hosted_account
from tests.conftest import bearer


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-staff"))


async def test_a_request_is_due_fifteen_days_after_reception(client, staff, clock):
    clock.set("2025-05-02T12:00:00+02:00")
    response = await file_request(client, staff, received_at="2025-05-02T10:00:00+02:00")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received"
    assert body["due_on"] == "2025-05-19"  # the 17th is a Saturday
    assert body["overdue"] is False
    assert body["academic_year"] == "2024-2025"
    assert response.headers["location"] == f"/api/v1/account-requests/{body['id']}"


async def test_a_request_received_in_june_targets_the_next_academic_year(client, staff, clock):
    clock.set("2025-06-02T12:00:00+02:00")
    response = await file_request(client, staff, received_at="2025-06-02T10:00:00+02:00")
    assert response.json()["academic_year"] == "2025-2026"


async def test_the_same_ticket_twice_answers_200_with_the_stored_request(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    first = await file_request(client, staff, ticket="T-SAME")
    again = await file_request(client, staff, ticket="T-SAME")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


async def test_the_same_ticket_with_other_content_is_a_conflict(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    await file_request(client, staff, ticket="T-X")
    other = await file_request(client, staff, ticket="T-X", school="ifms-albi")
    assert other.status_code == 409
    assert other.json()["code"] == "ticket-conflict"


async def test_the_same_ticket_posted_twice_at_once_files_one_request(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    responses = await asyncio.gather(
        *(file_request(client, staff, ticket="T-RACE") for _ in range(4))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    listing = await client.get("/api/v1/account-requests", headers=staff)
    assert [i["ticket_ref"] for i in listing.json()["items"]] == ["T-RACE"]


@pytest.mark.parametrize("uid", ["ABC1234D", "abc1234", "abc12345", "abc1234d "])
async def test_malformed_uids_are_refused(client, staff, clock, uid):
    clock.set("2025-03-03T12:00:00+01:00")
    response = await file_request(client, staff, existing_uid=uid)
    assert response.status_code == 422


async def test_a_student_kind_or_unknown_school_is_refused(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    assert (await file_request(client, staff, kind="student")).status_code == 422
    unknown = await file_request(client, staff, school="ifsi-nowhere")
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown-school"


async def test_a_reception_more_than_five_minutes_ahead_is_refused(client, staff, clock):
    clock.set("2025-03-03T09:00:00+00:00")
    ahead = await file_request(client, staff, received_at="2025-03-03T09:05:01+00:00")
    assert ahead.status_code == 422
    assert ahead.json()["code"] == "instant-in-future"
    within = await file_request(client, staff, received_at="2025-03-03T09:05:00+00:00")
    assert within.status_code == 201


async def test_a_naive_reception_instant_is_refused(client, staff, clock):
    response = await file_request(client, staff, received_at="2025-03-03T09:00:00")
    assert response.status_code == 422


async def test_referent_fulfilled_in_march_is_valid_until_the_end_of_august(client, staff, clock):
    done = await hosted_account(
        client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
        fulfilled_at="2025-03-10T10:00:00+01:00",
    )
    uid = done["uid"]
    assert done["status"] == "fulfilled" and done["on_time"] is True
    account = (await client.get(f"/api/v1/accounts/{uid}", headers=staff)).json()
    assert account["roles"] == [{"kind": "referent", "school_code": "ifms-rodez",
                                 "valid_from": "2025-03-10", "valid_until": "2025-08-31",
                                 "grace_until": None}]
    before = await client.get(f"/api/v1/accounts/{uid}/access",
                              params={"at": "2025-08-31T21:59:00Z"}, headers=staff)
    after = await client.get(f"/api/v1/accounts/{uid}/access",
                             params={"at": "2025-08-31T22:30:00Z"}, headers=staff)
    assert before.json()["allowed"] is True and before.json()["status"] == "active"
    assert after.json()["allowed"] is False and after.json()["status"] == "expired"
    assert "given_name" not in after.json() and "email" not in after.json()


async def test_referent_fulfilled_in_june_is_valid_until_the_next_august(client, staff, clock):
    done = await hosted_account(
        client, staff, clock, received_at="2025-06-02T09:00:00+02:00",
        fulfilled_at="2025-06-08T10:00:00+02:00",
    )
    account = (await client.get(f"/api/v1/accounts/{done['uid']}", headers=staff)).json()
    assert account["roles"][0]["valid_until"] == "2026-08-31"
    assert account["access_until"] == "2026-08-31"


async def test_a_late_fulfilment_is_flagged_not_on_time(client, staff, clock):
    clock.set("2025-08-20T10:00:00+02:00")
    filed = await file_request(client, staff, received_at="2025-08-20T09:00:00+02:00")
    assert filed.json()["due_on"] == "2025-09-04"
    clock.set("2025-09-05T10:00:00+02:00")
    listed = await client.get("/api/v1/account-requests", params={"overdue": "true"},
                              headers=staff)
    assert [i["id"] for i in listed.json()["items"]] == [filed.json()["id"]]
    clock.set("2025-09-06T10:00:00+02:00")
    done = await fulfil(client, staff, filed.json()["id"])
    assert done.status_code == 200
    assert done.json()["on_time"] is False
    assert done.json()["overdue"] is False


async def test_fulfilment_creates_a_uid_queues_the_mail_and_repeats_safely(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    filed = (await file_request(client, staff, kind="trainer")).json()
    first = await fulfil(client, staff, filed["id"])
    again = await fulfil(client, staff, filed["id"])
    assert first.status_code == again.status_code == 200
    uid = first.json()["uid"]
    assert again.json()["uid"] == uid
    assert len(uid) == 8 and uid[:3].isalpha() and uid[3:7].isdigit() and uid[7].isalpha()
    other = await fulfil(client, staff, filed["id"], uid="zzz9999z")
    assert other.status_code == 409 and other.json()["code"] == "already-fulfilled"
    outbox = await client.get("/api/v1/outbox-messages", headers=staff)
    templates = [m["template"] for m in outbox.json()["items"]]
    assert templates.count("account-created") == 1


async def test_a_person_with_two_roles_keeps_one_uid_and_the_longest_access(client, staff, clock):
    trainer = await hosted_account(
        client, staff, clock, kind="trainer", received_at="2025-09-10T09:00:00+02:00",
        fulfilled_at="2025-09-15T09:00:00+02:00",
    )
    uid = trainer["uid"]
    referent = await hosted_account(
        client, staff, clock, kind="referent", received_at="2026-06-10T09:00:00+02:00",
        fulfilled_at="2026-06-15T09:00:00+02:00", existing_uid=uid,
    )
    assert referent["uid"] == uid
    account = (await client.get(f"/api/v1/accounts/{uid}", headers=staff)).json()
    assert sorted(r["valid_until"] for r in account["roles"]) == ["2026-08-31", "2027-08-31"]
    assert account["access_until"] == "2027-08-31"
    outbox = await client.get("/api/v1/outbox-messages", headers=staff)
    assert [m["template"] for m in outbox.json()["items"]].count("account-created") == 1


async def _referents(client, staff, clock, n, school="ifms-rodez"):
    uids = []
    for i in range(n):
        done = await hosted_account(
            client, staff, clock, school=school, received_at=f"2025-01-0{i + 2}T09:00:00+01:00",
            fulfilled_at=f"2025-01-1{i}T09:00:00+01:00",
        )
        uids.append(done["uid"])
    return uids


async def test_a_fourth_referent_is_refused_at_creation(client, staff, clock):
    await _referents(client, staff, clock, 3)
    clock.set("2025-02-01T12:00:00+01:00")
    fourth = await file_request(client, staff, received_at="2025-02-01T09:00:00+01:00")
    assert fourth.status_code == 409
    assert fourth.json()["code"] == "referent-cap-reached"
    trainer = await file_request(client, staff, kind="trainer",
                                 received_at="2025-02-01T09:00:00+01:00")
    assert trainer.status_code == 201


async def test_a_replacement_keeps_the_count_at_three(client, staff, clock):
    uids = await _referents(client, staff, clock, 3)
    clock.set("2025-02-01T12:00:00+01:00")
    filed = await file_request(client, staff, received_at="2025-02-01T09:00:00+01:00",
                               replaces_uid=uids[0])
    assert filed.status_code == 201, filed.text
    clock.set("2025-02-05T12:00:00+01:00")
    done = await fulfil(client, staff, filed.json()["id"])
    assert done.status_code == 200, done.text
    replaced = (await client.get(f"/api/v1/accounts/{uids[0]}", headers=staff)).json()
    assert replaced["roles"][0]["valid_until"] == "2025-02-05"
    clock.set("2025-02-06T12:00:00+01:00")
    fourth = await file_request(client, staff, received_at="2025-02-06T09:00:00+01:00")
    assert fourth.status_code == 409


async def test_two_concurrent_referent_requests_for_the_third_place_accept_one(
    client, staff, clock
):
    await _referents(client, staff, clock, 2)
    clock.set("2025-02-01T12:00:00+01:00")
    responses = await asyncio.gather(
        file_request(client, staff, received_at="2025-02-01T09:00:00+01:00", ticket="A"),
        file_request(client, staff, received_at="2025-02-01T09:00:00+01:00", ticket="B"),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]


@pytest.mark.parametrize(("june_requests", "expected"), [(2, 200), (3, 409)])
async def test_a_may_request_fulfilled_in_june_is_checked_against_both_years(
    client, staff, clock, june_requests, expected
):
    # A and B are valid until 2026-08-31: in 2025-2026 only.
    for day in (2, 3):
        await hosted_account(client, staff, clock, received_at=f"2025-09-0{day}T09:00:00+02:00",
                             fulfilled_at=f"2025-09-1{day}T09:00:00+02:00")
    clock.set("2026-05-20T12:00:00+02:00")
    may = await file_request(client, staff, received_at="2026-05-20T09:00:00+02:00")
    assert may.status_code == 201 and may.json()["academic_year"] == "2025-2026"
    # Requests received in June target 2026-2027 and count there only while pending.
    clock.set("2026-06-01T12:00:00+02:00")
    for _ in range(june_requests):
        june = await file_request(client, staff, received_at="2026-06-01T09:00:00+02:00")
        assert june.status_code == 201 and june.json()["academic_year"] == "2026-2027"
    # Fulfilled on 2026-06-03, the May request's role runs to 2027-08-31: it is checked
    # for 2025-2026 (A, B and itself: 3) and for 2026-2027 (June requests and itself).
    clock.set("2026-06-03T12:00:00+02:00")
    done = await fulfil(client, staff, may.json()["id"])
    assert done.status_code == expected, done.text
    if expected == 409:
        assert done.json()["code"] == "referent-cap-reached"


async def test_rejection_and_cancellation_are_final_and_repeatable(client, staff, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    filed = (await file_request(client, staff)).json()
    url = f"/api/v1/account-requests/{filed['id']}"
    first = await client.post(f"{url}/rejection", json={"reason": "doublon"}, headers=staff)
    again = await client.post(f"{url}/rejection", json={"reason": "doublon"}, headers=staff)
    assert first.status_code == again.status_code == 200
    assert again.json()["status"] == "rejected"
    cancel = await client.post(f"{url}/cancellation", json={}, headers=staff)
    assert cancel.status_code == 409 and cancel.json()["code"] == "invalid-transition"
    assert (await fulfil(client, staff, filed["id"])).status_code == 409


async def test_the_ticketing_tool_files_but_cannot_fulfil(client, make_token, clock):
    token = bearer(make_token(profile="ticketing"))
    clock.set("2025-03-03T12:00:00+01:00")
    filed = await file_request(client, token)
    assert filed.status_code == 201
    assert (await client.get(f"/api/v1/account-requests/{filed.json()['id']}",
                             headers=token)).status_code == 200
    assert (await fulfil(client, token, filed.json()["id"])).status_code == 403


async def test_a_referent_sees_only_its_schools_requests(client, staff, make_token, clock):
    clock.set("2025-03-03T12:00:00+01:00")
    own = (await file_request(client, staff, school="ifms-rodez")).json()
    other = (await file_request(client, staff, school="ifms-albi")).json()
    referent = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    assert (await client.get(f"/api/v1/account-requests/{other['id']}",
                             headers=referent)).status_code == 404
    listing = await client.get("/api/v1/account-requests", headers=referent)
    assert [i["id"] for i in listing.json()["items"]] == [own["id"]]
