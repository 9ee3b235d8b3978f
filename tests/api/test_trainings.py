"""Referent trainings through the HTTP API (R-REF-2, R-TIME-4): due dates across a
holiday, the overdue flag, transitions and their retries, confinement to schools."""

from __future__ import annotations

from app.domain.auth import SCOPES
from tests.api.hosted_helpers import hosted
from tests.conftest import bearer


def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


async def trainings(client, headers, **params) -> list[dict]:
    response = await client.get("/api/v1/trainings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def only_training(client, make_token, uid: str) -> dict:
    [item] = [t for t in await trainings(client, admin(make_token)) if t["uid"] == uid]
    return item


async def test_a_new_referent_has_a_training_due_fifteen_days_after_daip_notice_past_a_holiday(
    app, client, clock, make_token
):
    # 2025-04-23 + 15 days = Thursday 8 May 2025 (Victoire 1945): due Friday 9 May.
    uid = await hosted(app, clock, at="2025-04-23T10:00:00+02:00")
    item = await only_training(client, make_token, uid)
    assert item["status"] == "due"
    assert item["school_code"] == "ifms-rodez"
    assert item["daip_notified_on"] == "2025-04-23"
    assert item["due_on"] == "2025-05-09"
    assert item["overdue"] is False
    assert item["proposed_on"] is item["session_on"] is item["completed_on"] is None


async def test_the_training_deadline_counts_from_the_daip_notice_not_the_fulfilment(
    app, client, clock, make_token
):
    from datetime import date

    uid = await hosted(app, clock, at="2025-03-12T10:00:00+01:00",
                       daip_notified_on=date(2025, 3, 3))
    assert (await only_training(client, make_token, uid))["due_on"] == "2025-03-18"


async def test_a_proposal_on_the_due_day_is_on_time_and_the_day_after_is_overdue(
    app, client, clock, make_token
):
    on_time = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    late = await hosted(app, clock, at="2025-03-10T11:00:00+01:00")
    clock.set("2025-03-25T20:00:00+01:00")
    items = {t["uid"]: t for t in await trainings(client, admin(make_token))}
    assert items[on_time]["due_on"] == items[late]["due_on"] == "2025-03-25"
    assert not items[on_time]["overdue"] and not items[late]["overdue"]
    not_overdue = await trainings(client, admin(make_token), overdue="false")
    assert sorted(t["uid"] for t in not_overdue) == sorted([on_time, late])
    assert await trainings(client, admin(make_token), overdue="true") == []
    response = await client.post(
        f"/api/v1/trainings/{items[on_time]['id']}/proposal",
        json={"session_on": "2025-04-14"}, headers=admin(make_token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["proposed_on"] == "2025-03-25"
    assert response.json()["status"] == "proposed"
    assert response.json()["overdue"] is False

    clock.set("2025-03-26T00:00:00+01:00")
    headers = admin(make_token)
    assert (await only_training(client, make_token, late))["overdue"] is True
    response = await client.post(
        f"/api/v1/trainings/{items[late]['id']}/proposal",
        json={"session_on": "2025-04-14"}, headers=headers,
    )
    assert response.json()["proposed_on"] == "2025-03-26"
    assert response.json()["overdue"] is True

    clock.set("2025-05-01T10:00:00+02:00")
    headers = admin(make_token)
    assert [t["uid"] for t in await trainings(client, headers, overdue="true")] == [late]
    assert [t["uid"] for t in await trainings(client, headers, overdue="false")] == [on_time]


async def test_transitions_answer_retries_with_the_same_state_and_refuse_conflicts(
    app, client, clock, make_token
):
    uid = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    clock.set("2025-03-20T10:00:00+01:00")
    headers = admin(make_token)
    training_id = (await only_training(client, make_token, uid))["id"]
    base = f"/api/v1/trainings/{training_id}"

    early = await client.post(f"{base}/completion", json={}, headers=headers)
    assert early.status_code == 409 and early.json()["code"] == "invalid-transition"

    body = {"proposed_on": "2025-03-18", "session_on": "2025-04-07"}
    first = await client.post(f"{base}/proposal", json=body, headers=headers)
    again = await client.post(f"{base}/proposal", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    other = await client.post(
        f"{base}/proposal", json={"proposed_on": "2025-03-18", "session_on": "2025-04-08"},
        headers=headers,
    )
    assert other.status_code == 409 and other.json()["code"] == "invalid-transition"

    clock.set("2025-04-09T10:00:00+02:00")
    headers = admin(make_token)
    done = await client.post(f"{base}/completion", json={"completed_on": "2025-04-08"},
                             headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["completed_on"] == "2025-04-08"
    retry = await client.post(f"{base}/completion", json={"completed_on": "2025-04-08"},
                              headers=headers)
    assert retry.status_code == 200 and retry.json() == done.json()
    moved = await client.post(f"{base}/completion", json={"completed_on": "2025-04-09"},
                              headers=headers)
    assert moved.status_code == 409
    assert (await client.post(f"{base}/proposal", json=body, headers=headers)).status_code == 200
    assert [t["uid"] for t in await trainings(client, headers, status="completed")] == [uid]
    assert await trainings(client, headers, status="due") == []


async def test_dates_out_of_order_or_in_the_future_are_refused(app, client, clock, make_token):
    uid = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    clock.set("2025-03-20T10:00:00+01:00")
    headers = admin(make_token)
    base = f"/api/v1/trainings/{(await only_training(client, make_token, uid))['id']}"
    for body in (
        {"proposed_on": "2025-03-18", "session_on": "2025-03-17"},  # session before
        {"proposed_on": "2025-03-09", "session_on": "2025-04-01"},  # before the notice
        {"proposed_on": "2025-03-21", "session_on": "2025-04-01"},  # tomorrow
        {"proposed_on": "2025-3-18", "session_on": "2025-04-01"},  # not YYYY-MM-DD
    ):
        response = await client.post(f"{base}/proposal", json=body, headers=headers)
        assert response.status_code == 422, body
    assert (await only_training(client, make_token, uid))["status"] == "due"
    await client.post(f"{base}/proposal", json={"session_on": "2025-03-25"}, headers=headers)
    before = await client.post(f"{base}/completion", json={"completed_on": "2025-03-19"},
                               headers=headers)
    assert before.status_code == 422


async def test_a_referent_sees_and_changes_only_its_schools_trainings(
    app, client, clock, make_token
):
    rodez = await hosted(app, clock, at="2025-03-10T10:00:00+01:00", school="ifms-rodez")
    albi = await hosted(app, clock, at="2025-03-10T11:00:00+01:00", school="ifms-albi")
    clock.set("2025-03-12T10:00:00+01:00")
    reader = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    assert [t["uid"] for t in await trainings(client, reader)] == [albi]
    assert await trainings(client, reader, school_code="ifms-rodez") == []
    rodez_id = (await only_training(client, make_token, rodez))["id"]
    albi_id = (await only_training(client, make_token, albi))["id"]
    writer = bearer(make_token("trainings:write", schools=["ifms-albi"]))
    hidden = await client.post(f"/api/v1/trainings/{rodez_id}/proposal",
                               json={"session_on": "2025-04-01"}, headers=writer)
    missing = await client.post("/api/v1/trainings/nope/proposal",
                                json={"session_on": "2025-04-01"}, headers=writer)
    assert hidden.status_code == missing.status_code == 404
    own = await client.post(f"/api/v1/trainings/{albi_id}/proposal",
                            json={"session_on": "2025-04-01"}, headers=writer)
    assert own.status_code == 200
    forbidden = await client.post(f"/api/v1/trainings/{albi_id}/completion", json={},
                                  headers=reader)
    assert forbidden.status_code == 403
    assert (await client.get("/api/v1/trainings")).status_code == 401


async def test_the_training_list_pages_with_a_cursor(app, client, clock, make_token):
    uids = [
        await hosted(app, clock, at=f"2025-03-10T1{i}:00:00+01:00", school=school)
        for i, school in enumerate(["ifms-rodez", "ifms-albi", "ifms-lot"])
    ]
    clock.set("2025-03-12T10:00:00+01:00")
    headers = admin(make_token)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/trainings", params=params, headers=headers)).json()
        seen += [t["uid"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(uids) and len(seen) == 3
