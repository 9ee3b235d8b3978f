"""Students through the HTTP API: enrolment windows, bulk enrolment, cancellation, the
student role in the access check, the census (R-ACC-6, R-ACC-7, R-BIL-1)."""

from __future__ import annotations

import itertools
import json

import pytest

from app.domain.enrolments import MAX_BATCH_ITEMS
from app.services import enrolments as enrolment_service
from tests.conftest import bearer

_numbers = itertools.count(10_000_000)
# A call date after every enrolment date these tests send (R-ACC-6a refuses later ones).
LATE = "2028-09-30T12:00:00+02:00"


def item(enrolled_on: str, *, year: str = "2024-2025", number: str | None = None,
         school: str = "ifms-rodez", **extra) -> dict:
    return {
        "student_number": number or str(next(_numbers)),
        "school_code": school,
        "academic_year": year,
        "enrolled_on": enrolled_on,
        "given_name": "Léa",
        "family_name": "Dupont",
        "email": "lea.dupont@example.org",
        **extra,
    }


@pytest.fixture
def office(make_token) -> dict[str, str]:
    return bearer(make_token(profile="schooling-office", sub="scolarite"))


async def post(client, headers, *items: dict):
    response = await client.post("/api/v1/enrolments", json={"items": list(items)},
                                 headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def codes(result: dict) -> list[str]:
    return [e["code"] for e in result["errors"]]


async def access(client, headers, uid: str, at: str) -> str:
    response = await client.get(f"/api/v1/accounts/{uid}/access", params={"at": at},
                                headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def stored_count(client, headers) -> int:
    body = (await client.get("/api/v1/enrolments", params={"limit": 500},
                             headers=headers)).json()
    return len(body["items"])


# --- R-ACC-6: windows ----------------------------------------------------------------


async def test_the_first_and_last_days_of_the_main_campaign_are_accepted(client, office):
    body = await post(client, office, item("2024-07-01"), item("2024-10-31"),
                      item("2024-06-30"), item("2024-11-01"))
    assert [r["status"] for r in body["results"]] == [
        "created", "created", "rejected", "rejected"]
    assert codes(body["results"][2]) == codes(body["results"][3]) == ["enrolment-window-closed"]
    assert (body["created"], body["duplicates"], body["rejected"]) == (2, 0, 2)
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]


async def test_a_transfer_is_accepted_in_the_semester_2_window_only(client, office, clock):
    clock.set(LATE)  # R-ACC-6a: every date below is in the past
    body = await post(
        client, office,
        item("2025-02-28", transfer=True),
        item("2025-03-01", transfer=True),
        item("2028-02-29", year="2027-2028", transfer=True),
        item("2024-09-15", transfer=True),
        item("2025-01-15"),
    )
    assert [r["status"] for r in body["results"]] == [
        "created", "rejected", "created", "rejected", "rejected"]
    assert all(codes(r) == ["enrolment-window-closed"] for r in body["results"]
               if r["status"] == "rejected")


# --- R-ACC-7: the student role in the account and the access check ---------------------


async def test_a_continuing_student_keeps_access_in_grace_until_the_close_of_the_next_campaign(
    client, office, admin_headers, clock
):
    clock.set("2025-10-15T12:00:00+02:00")  # the re-enrolment's own day (R-ACC-6a)
    number = str(next(_numbers))
    uid = (await post(client, office, item("2024-09-15", number=number)))["results"][0]["uid"]
    assert await access(client, admin_headers, uid, "2025-08-31T23:59:00+02:00") == "active"
    assert await access(client, admin_headers, uid, "2025-09-01T00:00:00+02:00") == "grace"
    assert await access(client, admin_headers, uid, "2025-10-31T23:59:00+01:00") == "grace"
    assert await access(client, admin_headers, uid, "2025-11-01T00:00:00+01:00") == "expired"

    again = await post(client, office, item("2025-10-15", year="2025-2026", number=number))
    assert again["results"][0]["uid"] == uid
    assert await access(client, admin_headers, uid, "2025-10-15T12:00:00+02:00") == "active"
    assert await access(client, admin_headers, uid, "2025-11-01T00:00:00+01:00") == "active"

    account = (await client.get(f"/api/v1/accounts/{uid}", headers=admin_headers)).json()
    assert [(r["kind"], r["school_code"], r["valid_from"], r["valid_until"], r["grace_until"])
            for r in account["roles"]] == [
        ("student", "ifms-rodez", "2024-09-15", "2025-08-31", "2025-10-14"),
        ("student", "ifms-rodez", "2025-10-15", "2026-08-31", "2026-10-31"),
    ]
    assert account["given_name"] == "Léa"


async def test_r_acc_7a_a_student_who_moves_school_loses_the_old_school_s_grace(
    client, office, admin_headers, clock
):
    """R-ACC-7a: enrolled at Rodez for 2024-2025, then at Albi for 2025-2026 on 2 Oct
    and cancelled there on 10 Oct: Rodez's grace ends on 1 Oct and does not come back."""
    clock.set("2025-10-10T12:00:00+02:00")
    number = str(next(_numbers))
    uid = (await post(client, office, item("2024-09-15", number=number)))["results"][0]["uid"]
    moved = await post(client, office, item("2025-10-02", year="2025-2026", number=number,
                                            school="ifms-albi"))
    assert moved["results"][0]["uid"] == uid
    url = f"/api/v1/enrolments/{moved['results'][0]['enrolment_id']}/cancellation"
    assert (await client.post(url, json={"cancelled_on": "2025-10-10"}, headers=office)
            ).status_code == 200
    account = (await client.get(f"/api/v1/accounts/{uid}", headers=admin_headers)).json()
    assert [(r["school_code"], r["valid_until"], r["grace_until"]) for r in account["roles"]
            ] == [("ifms-rodez", "2025-08-31", "2025-10-01"),
                  ("ifms-albi", "2025-10-09", None)]
    assert await access(client, admin_headers, uid, "2025-10-01T23:59:00+02:00") == "grace"
    assert await access(client, admin_headers, uid, "2025-10-02T00:00:00+02:00") == "active"
    assert await access(client, admin_headers, uid, "2025-10-10T00:00:00+02:00") == "expired"
    assert await access(client, admin_headers, uid, "2025-10-31T12:00:00+01:00") == "expired"


async def test_a_final_year_student_has_no_grace(client, office, admin_headers):
    body = await post(client, office, item("2024-09-15", final_year=True))
    uid = body["results"][0]["uid"]
    assert await access(client, admin_headers, uid, "2025-08-31T12:00:00+02:00") == "active"
    assert await access(client, admin_headers, uid, "2025-09-01T00:00:00+02:00") == "expired"


async def test_changed_windows_of_the_next_year_move_the_grace_end(client, office, admin_headers):
    uid = (await post(client, office, item("2024-09-15")))["results"][0]["uid"]
    current = await client.get("/api/v1/enrolment-campaigns/2025-2026", headers=admin_headers)
    changed = await client.put(
        "/api/v1/enrolment-campaigns/2025-2026",
        json={"main_opens_on": "2025-07-01", "main_closes_on": "2025-11-30",
              "s2_opens_on": "2026-01-01", "s2_closes_on": "2026-02-28"},
        headers=admin_headers | {"If-Match": current.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert await access(client, admin_headers, uid, "2025-11-15T12:00:00+01:00") == "grace"
    assert await access(client, admin_headers, uid, "2025-12-01T00:00:00+01:00") == "expired"


async def test_students_are_listed_as_accounts_of_kind_student(client, office, admin_headers):
    uid = (await post(client, office, item("2024-09-15", school="ifms-albi")))["results"][0]["uid"]
    students = await client.get("/api/v1/accounts", params={"kind": "student"},
                                headers=admin_headers)
    assert [a["uid"] for a in students.json()["items"]] == [uid]
    referents = await client.get("/api/v1/accounts", params={"kind": "referent"},
                                 headers=admin_headers)
    assert uid not in [a["uid"] for a in referents.json()["items"]]
    in_school = await client.get("/api/v1/accounts", params={"school_code": "ifms-albi"},
                                 headers=admin_headers)
    assert uid in [a["uid"] for a in in_school.json()["items"]]
    elsewhere = await client.get("/api/v1/accounts", params={"school_code": "ifms-rodez"},
                                 headers=admin_headers)
    assert uid not in [a["uid"] for a in elsewhere.json()["items"]]


# --- batches -----------------------------------------------------------------------------


async def test_a_thousand_items_with_three_bad_ones_store_997_and_again_answer_duplicates(
    client, office
):
    items = [item("2024-09-02", school="ifms-tarbes") for _ in range(MAX_BATCH_ITEMS)]
    items[10]["enrolled_on"] = "2024-11-02"  # outside the window
    items[500]["school_code"] = "nowhere"
    items[999]["email"] = "not an e-mail"  # fails field validation on its own
    first = await post(client, office, *items)
    assert (first["created"], first["duplicates"], first["rejected"]) == (997, 0, 3)
    assert codes(first["results"][10]) == ["enrolment-window-closed"]
    assert codes(first["results"][500]) == ["unknown-school"]
    assert first["results"][999]["errors"][0]["code"] == "validation-error"
    assert first["results"][999]["errors"][0]["field"] == "email"
    assert "not an e-mail" not in json.dumps(first)

    again = await post(client, office, *items)
    assert (again["created"], again["duplicates"], again["rejected"]) == (0, 997, 3)
    assert [r["enrolment_id"] for r in again["results"]] == [
        r["enrolment_id"] for r in first["results"]]
    assert [r["uid"] for r in again["results"]] == [r["uid"] for r in first["results"]]
    assert len({r["uid"] for r in first["results"] if r["uid"]}) == 997


async def test_more_than_a_thousand_items_is_413_and_nothing_is_stored(client, office):
    items = [item("2024-09-02") for _ in range(MAX_BATCH_ITEMS + 1)]
    response = await client.post("/api/v1/enrolments", json={"items": items}, headers=office)
    assert response.status_code == 413
    assert response.json()["code"] == "batch-too-large"
    assert await stored_count(client, office) == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"items": [' + json.dumps(item("2024-09-02")) + '], "n": NaN}',
        '{"items": [{"student_number": "1", "final_year": NaN}]}',
        "[]",
        '{"items": {}}',
        '{"items": [], "extra": 1}',
        '{"item": []}',
    ],
)
async def test_a_body_that_is_not_a_strict_envelope_is_422_and_nothing_is_stored(
    client, office, body
):
    response = await client.post(
        "/api/v1/enrolments", content=body,
        headers=office | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await stored_count(client, office) == 0


async def test_items_failing_field_validation_are_rejected_one_by_one(client, office):
    body = await post(
        client, office,
        item("2024-13-01"),
        {"student_number": "42"},
        item("2024-09-02", year="2024-2026"),
        item("2024-09-02", final_year="yes"),
        "not an object",
        item("2024-09-02", unexpected=True),
        item("2024-09-02"),
    )
    assert [r["status"] for r in body["results"]] == ["rejected"] * 6 + ["created"]
    assert codes(body["results"][0]) == ["validation-error"]
    assert {e["field"] for e in body["results"][1]["errors"]} >= {
        "school_code", "academic_year", "enrolled_on", "email"}
    assert codes(body["results"][2]) == ["invalid-academic-year"]


async def test_an_empty_batch_stores_nothing(client, office):
    body = await post(client, office)
    assert body == {"created": 0, "duplicates": 0, "rejected": 0, "results": []}


async def test_a_different_second_enrolment_for_the_same_year_is_a_conflict(
    client, office, clock
):
    clock.set(LATE)  # R-ACC-6a
    first = item("2024-09-02", school="ifms-albi")
    other_school = {**first, "school_code": "ifms-rodez"}
    other_year = {**first, "academic_year": "2025-2026", "enrolled_on": "2025-09-02"}
    body = await post(client, office, first, other_school, first, other_year)
    assert [r["status"] for r in body["results"]] == [
        "created", "rejected", "duplicate", "created"]
    assert codes(body["results"][1]) == ["enrolment-conflict"]
    assert body["results"][3]["uid"] == body["results"][0]["uid"]
    later = await post(client, office, {**first, "final_year": True})
    assert codes(later["results"][0]) == ["enrolment-conflict"]


async def test_a_given_uid_is_used_checked_and_never_another_student_s(client, office, clock):
    clock.set(LATE)  # R-ACC-6a
    body = await post(
        client, office,
        item("2024-09-02", number="S-1", uid="abc1234d"),
        item("2024-09-02", number="S-2", uid="abc1234d"),
        item("2024-09-02", number="S-3", uid="ABC1234D"),
        item("2025-09-02", year="2025-2026", number="S-1", uid="xyz9876q"),
        item("2025-09-02", year="2025-2026", number="S-1", uid="abc1234d"),
    )
    assert [r["status"] for r in body["results"]] == [
        "created", "rejected", "rejected", "rejected", "created"]
    assert body["results"][0]["uid"] == "abc1234d"
    assert codes(body["results"][1]) == ["uid-conflict"]
    assert codes(body["results"][2]) == ["invalid-uid"]
    assert codes(body["results"][3]) == ["uid-conflict"]


async def test_a_hosted_account_without_a_student_number_becomes_the_student_s(
    client, office, admin_headers, clock
):
    from tests.api.accounts_helpers import hosted_account

    fulfilled = await hosted_account(
        client, admin_headers, clock, kind="trainer", received_at="2025-03-03T09:00:00+01:00",
        fulfilled_at="2025-03-04T09:00:00+01:00",
    )
    uid = fulfilled["uid"]
    clock.set("2025-09-02T08:00:00+02:00")  # R-ACC-6a: the enrolment's own day
    body = await post(client, office, item("2025-09-02", year="2025-2026", number="T-1",
                                           uid=uid, school="ifms-albi"))
    assert body["results"][0]["status"] == "created"
    assert body["results"][0]["uid"] == uid
    account = (await client.get(f"/api/v1/accounts/{uid}", headers=admin_headers)).json()
    assert sorted(r["kind"] for r in account["roles"]) == ["student", "trainer"]
    again = await post(client, office, item("2025-09-02", year="2025-2026", number="T-1",
                                            school="ifms-albi"))
    assert again["results"][0]["status"] == "duplicate"


async def test_a_year_outside_the_convention_is_refused_per_item(client, office, clock):
    clock.set("2029-09-03T12:00:00+02:00")  # R-ACC-6a: not in the future, so the 409 shows
    body = await post(client, office, item("2023-09-02", year="2023-2024"),
                      item("2029-09-03", year="2029-2030"), item("2028-09-04", year="2028-2029"))
    assert [codes(r) for r in body["results"]] == [
        ["convention-not-active"], ["convention-not-active"], []]


async def test_r_acc_6a_an_enrolment_dated_after_the_paris_date_of_the_call_is_refused_per_item(
    client, office, clock
):
    """R-ACC-6a: 2024-10-31T23:30Z is already 1 Nov in Paris, so 1 Nov is today and
    passes; 2 Nov is refused (422 `enrolment-in-future`, that item only). Order of checks:
    a field error first, then `enrolment-in-future`, then the 409s (the window, the
    convention)."""
    clock.set("2024-10-31T23:30:00+00:00")
    body = await post(
        client, office,
        item("2024-11-01", year="2024-2025"),  # today in Paris: window closed (409)
        item("2024-10-31"),  # yesterday, in the window
        item("2024-11-02"),  # tomorrow
        item("2024-11-02", uid="ABC1234D"),  # a field error wins
        item("2029-09-03", year="2029-2030"),  # in the future and outside the convention
        item("2024-11-02", transfer=True),  # in the future and outside its window
    )
    assert [r["status"] for r in body["results"]] == [
        "rejected", "created", "rejected", "rejected", "rejected", "rejected"]
    assert [codes(r) for r in body["results"]] == [
        ["enrolment-window-closed"], [], ["enrolment-in-future"], ["invalid-uid"],
        ["enrolment-in-future"], ["enrolment-in-future"],
    ]
    assert body["results"][2]["errors"][0]["field"] == "enrolled_on"


async def test_r_acc_6a_a_cancellation_dated_after_the_paris_date_of_the_call_is_refused(
    client, office, clock
):
    """R-ACC-6a: the cancellation's own date may be today (Paris), not tomorrow; the
    refusal changes nothing."""
    clock.set("2025-03-29T12:00:00+01:00")
    body = await post(client, office, item("2024-09-15"))
    url = f"/api/v1/enrolments/{body['results'][0]['enrolment_id']}/cancellation"
    # 2025-03-30 is the spring DST Sunday; at 23:30Z on the 29th it is already the 30th
    # in Paris (00:30, still UTC+1).
    clock.set("2025-03-29T23:30:00+00:00")
    tomorrow = await client.post(url, json={"cancelled_on": "2025-03-31"}, headers=office)
    assert tomorrow.status_code == 422, tomorrow.text
    assert tomorrow.json()["code"] == "enrolment-in-future"
    assert tomorrow.json()["errors"][0]["field"] == "cancelled_on"
    before = await client.post(url, json={"cancelled_on": "2024-09-14"}, headers=office)
    assert before.json()["code"] == "cancelled-before-enrolment"
    today = await client.post(url, json={"cancelled_on": "2025-03-30"}, headers=office)
    assert today.status_code == 200, today.text
    assert today.json()["cancelled_on"] == "2025-03-30"


async def test_a_batch_is_one_audit_event_with_counts_and_no_personal_data(
    client, office, admin_headers
):
    await post(client, office, item("2024-09-02"), item("2024-09-03"), item("2024-12-01"))
    events = (await client.get("/api/v1/audit-events",
                               params={"resource_type": "enrolment_batch"},
                               headers=admin_headers)).json()["items"]
    assert len(events) == 1
    changes = events[0]["changes"]
    assert changes["created"]["new"] == 2 and changes["rejected"]["new"] == 1
    assert "Dupont" not in json.dumps(events) and "example.org" not in json.dumps(events)


async def test_posting_enrolments_needs_the_enrolments_write_scope(client, make_token):
    response = await client.post(
        "/api/v1/enrolments", json={"items": [item("2024-09-02")]},
        headers=bearer(make_token("enrolments:read")),
    )
    assert response.status_code == 403


# --- cancellation, listing --------------------------------------------------------------


async def test_a_cancellation_is_idempotent_and_another_date_is_a_conflict(
    client, office, admin_headers
):
    body = await post(client, office, item("2024-09-15"))
    enrolment_id, uid = body["results"][0]["enrolment_id"], body["results"][0]["uid"]
    url = f"/api/v1/enrolments/{enrolment_id}/cancellation"
    early = await client.post(url, json={"cancelled_on": "2024-09-14"}, headers=office)
    assert early.status_code == 422 and early.json()["code"] == "cancelled-before-enrolment"
    done = await client.post(url, json={"cancelled_on": "2025-03-01"}, headers=office)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["cancelled_on"]) == ("cancelled", "2025-03-01")
    again = await client.post(url, json={"cancelled_on": "2025-03-01"}, headers=office)
    assert again.status_code == 200 and again.json() == done.json()
    other = await client.post(url, json={"cancelled_on": "2025-03-02"}, headers=office)
    assert other.status_code == 409 and other.json()["code"] == "already-cancelled"
    missing = await client.post("/api/v1/enrolments/nope/cancellation",
                                json={"cancelled_on": "2025-03-01"}, headers=office)
    assert missing.status_code == 404
    assert await access(client, admin_headers, uid, "2025-02-28T12:00:00+01:00") == "active"
    assert await access(client, admin_headers, uid, "2025-03-01T00:00:00+01:00") == "expired"
    assert await access(client, admin_headers, uid, "2025-09-15T12:00:00+02:00") == "expired"


async def test_the_list_filters_pages_and_confines_a_school_token(
    client, office, make_token, clock
):
    clock.set(LATE)  # R-ACC-6a
    await post(client, office, *[item("2024-09-02", school="ifms-albi") for _ in range(3)],
               *[item("2024-09-02", school="ifms-rodez") for _ in range(2)],
               item("2025-09-02", year="2025-2026", school="ifms-albi"))
    seen, cursor = [], None
    while True:
        params = {"academic_year": "2024-2025", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/enrolments", params=params, headers=office)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and [e["id"] for e in seen] == sorted(e["id"] for e in seen)
    assert {e["academic_year"] for e in seen} == {"2024-2025"}

    confined = bearer(make_token("enrolments:read", schools=["ifms-albi"]))
    mine = (await client.get("/api/v1/enrolments", headers=confined)).json()["items"]
    assert len(mine) == 4 and {e["school_code"] for e in mine} == {"ifms-albi"}
    theirs = await client.get("/api/v1/enrolments", params={"school_code": "ifms-rodez"},
                              headers=confined)
    assert theirs.json()["items"] == []
    other_id = seen[-1]["id"] if seen[-1]["school_code"] == "ifms-rodez" else next(
        e["id"] for e in seen if e["school_code"] == "ifms-rodez")
    hidden = await client.get(f"/api/v1/enrolments/{other_id}", headers=confined)
    assert hidden.status_code == 404

    cancelled = await client.get("/api/v1/enrolments", params={"status": "cancelled"},
                                 headers=office)
    assert cancelled.json()["items"] == []
    bad_year = await client.get("/api/v1/enrolments", params={"academic_year": "2024"},
                                headers=office)
    assert bad_year.status_code == 422
    outside = await client.get("/api/v1/enrolments", params={"academic_year": "2031-2032"},
                               headers=office)
    assert outside.status_code == 409 and outside.json()["code"] == "convention-not-active"


# --- enrolment windows -------------------------------------------------------------------


async def test_the_default_windows_are_read_with_an_etag(client, make_token):
    region = bearer(make_token(profile="region"))
    response = await client.get("/api/v1/enrolment-campaigns/2024-2025", headers=region)
    assert response.status_code == 200
    assert response.headers["etag"] == '"0"'
    assert response.json() == {
        "academic_year": "2024-2025", "main_opens_on": "2024-07-01",
        "main_closes_on": "2024-10-31", "s2_opens_on": "2025-01-01",
        "s2_closes_on": "2025-02-28", "census_on": "2024-10-31", "is_default": True,
        "updated_at": None,
    }
    leap = await client.get("/api/v1/enrolment-campaigns/2027-2028", headers=region)
    assert leap.json()["s2_closes_on"] == "2028-02-29"


@pytest.mark.parametrize(
    ("year", "status", "code"),
    [("2024", 422, "invalid-academic-year"), ("2024-2026", 422, "invalid-academic-year"),
     ("2023-2024", 409, "convention-not-active"), ("2029-2030", 409, "convention-not-active")],
)
async def test_a_malformed_or_outside_year_is_refused(client, admin_headers, year, status, code):
    response = await client.get(f"/api/v1/enrolment-campaigns/{year}", headers=admin_headers)
    assert response.status_code == status
    assert response.json()["code"] == code


WINDOWS = {"main_opens_on": "2024-07-01", "main_closes_on": "2024-11-30",
           "s2_opens_on": "2025-01-01", "s2_closes_on": "2025-02-28"}


async def test_changing_the_windows_needs_a_fresh_if_match(client, admin_headers):
    url = "/api/v1/enrolment-campaigns/2024-2025"
    missing = await client.put(url, json=WINDOWS, headers=admin_headers)
    assert missing.status_code == 428
    stale = await client.put(url, json=WINDOWS, headers=admin_headers | {"If-Match": '"7"'})
    assert stale.status_code == 412
    changed = await client.put(url, json=WINDOWS, headers=admin_headers | {"If-Match": '"0"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"1"'
    assert changed.json()["census_on"] == "2024-11-30" and not changed.json()["is_default"]
    retried = await client.put(url, json=WINDOWS, headers=admin_headers | {"If-Match": '"0"'})
    assert retried.status_code == 200 and retried.headers["etag"] == '"1"'
    other = await client.put(url, json={**WINDOWS, "main_closes_on": "2024-11-15"},
                             headers=admin_headers | {"If-Match": '"0"'})
    assert other.status_code == 412
    read = await client.get(url, headers=admin_headers)
    assert read.json()["main_closes_on"] == "2024-11-30" and read.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"main_closes_on": "2024-06-30"}, "invalid-enrolment-windows"),
        ({"s2_opens_on": "2024-10-31"}, "invalid-enrolment-windows"),
        ({"s2_closes_on": "2024-12-31"}, "invalid-enrolment-windows"),
        ({"census_on": "2024-10-31"}, "census-read-only"),
    ],
)
async def test_reversed_or_overlapping_windows_and_another_census_date_are_422(
    client, admin_headers, changes, code
):
    response = await client.put(
        "/api/v1/enrolment-campaigns/2024-2025", json={**WINDOWS, **changes},
        headers=admin_headers | {"If-Match": '"0"'},
    )
    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_census_on_equal_to_the_close_of_the_main_campaign_is_accepted(
    client, admin_headers
):
    response = await client.put(
        "/api/v1/enrolment-campaigns/2024-2025", json={**WINDOWS, "census_on": "2024-11-30"},
        headers=admin_headers | {"If-Match": '"0"'},
    )
    assert response.status_code == 200


async def test_changing_the_windows_needs_convention_write(client, make_token):
    response = await client.put(
        "/api/v1/enrolment-campaigns/2024-2025", json=WINDOWS,
        headers=bearer(make_token("convention:read")) | {"If-Match": '"0"'},
    )
    assert response.status_code == 403


# --- R-BIL-1: the census -------------------------------------------------------------------


async def test_the_census_counts_what_the_rule_says_and_moves_with_the_windows(
    client, office, admin_headers, make_token, app
):
    body = await post(
        client, office,
        item("2024-07-01", school="ifms-albi"),
        item("2024-10-31", school="ifms-albi"),
        item("2024-09-02", school="ifms-albi"),  # cancelled 2024-10-15
        item("2024-09-02", school="ifms-albi"),  # cancelled 2024-11-15
        item("2025-01-10", school="ifms-albi", transfer=True),
        item("2024-09-02", school="ifms-rodez"),
        item("2025-09-02", year="2025-2026", school="ifms-rodez"),
    )
    ids = [r["enrolment_id"] for r in body["results"]]
    for enrolment_id, on in ((ids[2], "2024-10-15"), (ids[3], "2024-11-15")):
        response = await client.post(f"/api/v1/enrolments/{enrolment_id}/cancellation",
                                     json={"cancelled_on": on}, headers=office)
        assert response.status_code == 200

    counted = await enrolment_service.census(app.state.container.uow_factory(), 2024)
    assert counted == {"ifms-albi": 3, "ifms-rodez": 1}

    via_api = await client.get("/api/v1/enrolment-campaigns/2024-2025/census",
                               headers=bearer(make_token(profile="region")))
    assert via_api.json() == {
        "academic_year": "2024-2025", "census_on": "2024-10-31", "total": 4,
        "schools": [{"school_code": "ifms-albi", "students": 3},
                    {"school_code": "ifms-rodez", "students": 1}],
    }

    moved = await client.put("/api/v1/enrolment-campaigns/2024-2025", json=WINDOWS,
                             headers=admin_headers | {"If-Match": '"0"'})
    assert moved.status_code == 200
    assert await enrolment_service.census(app.state.container.uow_factory(), 2024) == {
        "ifms-albi": 2, "ifms-rodez": 1}


async def test_an_idempotency_key_replays_the_first_answer_of_a_batch(client, office):
    body = {"items": [item("2024-09-02"), item("2024-12-02")]}
    headers = office | {"Idempotency-Key": "batch-2024-09-02"}
    first = await client.post("/api/v1/enrolments", json=body, headers=headers)
    again = await client.post("/api/v1/enrolments", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert (first.json()["created"], first.json()["rejected"]) == (1, 1)
    assert await stored_count(client, office) == 1
