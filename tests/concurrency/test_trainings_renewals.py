"""One winner per transition of referent trainings (R-REF-2) and June renewal campaigns
(R-ACC-5, R-REF-1), under N simultaneous calls on PostgreSQL, checked on the tables."""

from __future__ import annotations

import pytest

from tests.api.hosted_helpers import hosted
from tests.concurrency.conftest import N, burst, codes, rows, statuses

pytestmark = pytest.mark.postgres_only

COVERS = {
    ("POST", "/api/v1/trainings/{training_id}/proposal"): "identical; different sessions",
    ("POST", "/api/v1/trainings/{training_id}/completion"): "identical; different days",
    ("POST", "/api/v1/renewal-campaigns"): "identical openings",
    ("PUT", "/api/v1/renewal-campaigns/{academic_year}/schools/{code}/decisions"):
        "renew vs remove on one If-Match",
    ("POST", "/api/v1/renewal-campaigns/{academic_year}/closing"):
        "identical closings; vs late decisions",
}

BASE = "/api/v1/renewal-campaigns"
RODEZ = f"{BASE}/2025-2026/schools/ifms-rodez"


async def _training(app, client, admin, clock) -> str:
    uid = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    found = (await client.get("/api/v1/trainings", headers=admin)).json()["items"]
    [training] = [t for t in found if t["uid"] == uid]
    clock.set("2025-03-20T12:00:00+01:00")
    return training["id"]


async def _proposed_training(app, client, admin, clock) -> str:
    training_id = await _training(app, client, admin, clock)
    proposed = await client.post(f"/api/v1/trainings/{training_id}/proposal",
                                 json={"session_on": "2025-03-20",
                                       "proposed_on": "2025-03-11"}, headers=admin)
    assert proposed.status_code == 200, proposed.text
    return training_id


async def _training_row(app, training_id: str) -> dict:
    return (await rows(app, "SELECT status, proposed_on, session_on, completed_on "
                            "FROM trainings WHERE id = :id", id=training_id))[0]


async def test_identical_proposals_at_once_all_answer_the_stored_one(app, client, admin,
                                                                     clock):
    training_id = await _training(app, client, admin, clock)
    url = f"/api/v1/trainings/{training_id}/proposal"
    answers = await burst([
        lambda: client.post(url, json={"session_on": "2025-04-02"}, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [200] * N
    stored = await _training_row(app, training_id)
    assert stored["status"] == "proposed" and str(stored["session_on"]) == "2025-04-02"
    assert {(r.json()["proposed_on"], r.json()["session_on"]) for r in answers} == {
        (str(stored["proposed_on"]), "2025-04-02")}
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'training.proposed' "
                              "AND resource_id = :id", id=training_id)
    assert len(audited) == 1


async def test_proposals_of_different_sessions_at_once_record_one(app, client, admin, clock):
    training_id = await _training(app, client, admin, clock)
    url = f"/api/v1/trainings/{training_id}/proposal"
    days = [f"2025-04-{d:02d}" for d in range(1, N + 1)]
    answers = await burst([
        (lambda d=d: client.post(url, json={"session_on": d}, headers=admin)) for d in days
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    assert codes(answers) == {"invalid-transition"}
    winner = next(r for r in answers if r.status_code == 200).json()
    assert str((await _training_row(app, training_id))["session_on"]) == winner["session_on"]


async def test_identical_completions_at_once_all_answer_the_stored_one(app, client, admin,
                                                                      clock):
    training_id = await _proposed_training(app, client, admin, clock)
    url = f"/api/v1/trainings/{training_id}/completion"
    answers = await burst([lambda: client.post(url, json={"completed_on": "2025-03-20"},
                                               headers=admin) for _ in range(N)])
    assert statuses(answers) == [200] * N
    stored = await _training_row(app, training_id)
    assert (stored["status"], str(stored["completed_on"])) == ("completed", "2025-03-20")
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = "
                              "'training.completed' AND resource_id = :id", id=training_id)
    assert len(audited) == 1


async def test_completions_on_different_days_at_once_record_one(app, client, admin, clock):
    training_id = await _proposed_training(app, client, admin, clock)
    url = f"/api/v1/trainings/{training_id}/completion"
    days = [f"2025-03-{d:02d}" for d in range(11, 11 + N)]
    answers = await burst([
        (lambda d=d: client.post(url, json={"completed_on": d}, headers=admin)) for d in days
    ])
    assert statuses(answers) == [200] + [409] * (N - 1)
    winner = next(r for r in answers if r.status_code == 200).json()
    stored = await _training_row(app, training_id)
    assert stored["status"] == "completed"
    assert str(stored["completed_on"]) == winner["completed_on"]


async def test_identical_openings_of_a_campaign_open_one_and_mail_once(app, client, admin,
                                                                       clock):
    await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    clock.set("2025-06-02T09:00:00+02:00")
    answers = await burst([
        lambda: client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
        for _ in range(N)
    ])
    assert statuses(answers) == [200] * (N - 1) + [201]
    assert len(await rows(app, "SELECT academic_year FROM renewal_campaigns")) == 1
    audited = await rows(app, "SELECT id FROM audit_events "
                              "WHERE action = 'renewal-campaign.opened'")
    assert len(audited) == 1
    mails = await rows(app, "SELECT dedupe_key FROM outbox_messages "
                            "WHERE template = 'renewal-campaign'")
    assert len(mails) == len({m["dedupe_key"] for m in mails}) >= 1


@pytest.fixture
async def campaign(app, client, admin, clock) -> str:
    referent = await hosted(app, clock, at="2025-03-10T10:00:00+01:00")
    await hosted(app, clock, at="2025-03-11T10:00:00+01:00", family_name="Second")
    clock.set("2025-06-02T09:00:00+02:00")
    opened = await client.post(BASE, json={"academic_year": "2025-2026"}, headers=admin)
    assert opened.status_code == 201, opened.text
    return referent


async def test_decisions_on_one_if_match_at_once_store_one_callers_decisions(
    app, client, admin, campaign
):
    etag = (await client.get(RODEZ, headers=admin)).headers["etag"]
    choices = ["renew" if i % 2 else "remove" for i in range(N)]
    answers = await burst([
        (lambda c=c: client.put(
            f"{RODEZ}/decisions", headers=admin | {"If-Match": etag},
            json={"decisions": [{"uid": campaign, "kind": "referent", "decision": c}]}))
        for c in choices
    ])
    assert set(statuses(answers)) <= {200, 412}
    stored = await rows(app, "SELECT decision FROM renewal_decisions WHERE uid = :uid",
                        uid=campaign)
    assert len(stored) == 1
    oks = [r.json() for r in answers if r.status_code == 200]
    assert oks and {o["decisions"][0]["decision"] for o in oks} == {stored[0]["decision"]}


async def test_identical_closings_at_once_close_once_and_answer_the_same(
    app, client, admin, clock, campaign
):
    renewed = await client.put(
        f"{RODEZ}/decisions",
        headers=admin | {"If-Match": (await client.get(RODEZ, headers=admin)).headers["etag"]},
        json={"decisions": [{"uid": campaign, "kind": "referent", "decision": "renew"}]})
    assert renewed.status_code == 200, renewed.text
    clock.set("2025-07-01T09:00:00+02:00")
    answers = await burst([lambda: client.post(f"{BASE}/2025-2026/closing", headers=admin)
                           for _ in range(N)])
    assert statuses(answers) == [200] * N
    assert len({r.text for r in answers}) == 1
    assert answers[0].json()["status"] == "closed"
    audited = await rows(app, "SELECT id FROM audit_events WHERE action = 'role.renewed'")
    assert len(audited) == 1
    roles = await rows(app, "SELECT valid_until FROM roles WHERE uid = :uid", uid=campaign)
    assert [str(r["valid_until"]) for r in roles] == ["2026-08-31"]


async def test_decisions_and_closings_at_once_close_once_without_a_lost_race(
    app, client, admin, clock, campaign
):
    """Late decisions racing the closing: one closing, every closing told the same, and
    the late decisions refused by the rules (409/412), never by the database (a
    deadlock would be a 409 `concurrent-change`)."""
    stored_first = await client.put(  # so that closing locks Rodez's row too
        f"{RODEZ}/decisions",
        headers=admin | {"If-Match": (await client.get(RODEZ, headers=admin)).headers["etag"]},
        json={"decisions": [{"uid": campaign, "kind": "referent", "decision": "renew"}]})
    assert stored_first.status_code == 200, stored_first.text
    etag = stored_first.headers["etag"]
    clock.set("2025-07-01T09:00:00+02:00")
    plan = ["closing" if i % 2 else "decisions" for i in range(N)]
    answers = await burst([
        (lambda: client.post(f"{BASE}/2025-2026/closing", headers=admin)) if k == "closing"
        else (lambda: client.put(
            f"{RODEZ}/decisions", headers=admin | {"If-Match": etag},
            json={"decisions": [{"uid": campaign, "kind": "referent",
                                 "decision": "remove"}]}))
        for k in plan
    ])
    closings = [r for k, r in zip(plan, answers, strict=True) if k == "closing"]
    decisions = [r for k, r in zip(plan, answers, strict=True) if k == "decisions"]
    assert {r.status_code for r in closings} == {200}
    assert len({r.text for r in closings}) == 1
    assert "concurrent-change" not in codes(answers)
    assert {r.status_code for r in decisions} <= {409, 412}
    stored = await rows(app, "SELECT status FROM renewal_campaigns")
    assert stored == [{"status": "closed"}]
    audited = await rows(app, "SELECT id FROM audit_events "
                              "WHERE action = 'renewal-campaign.closed'")
    assert len(audited) == 1
