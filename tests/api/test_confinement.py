"""School confinement on writes and in lists (DESIGN.md, Security): a token confined to
one school, whatever its scopes, changes nothing of another school's and reads nothing
of it. The generated matrix (tests/contract/test_security_matrix.py) covers every
operation; these tests name the findings it guards against."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.adapters.db.tables import AccountLockRow, AuditEventRow
from app.domain.auth import SCOPES, SYSTEM
from app.ports.audit import Actor
from app.services import clients
from tests.api.hosted_helpers import hosted
from tests.api.storage_helpers import GB, post, snap
from tests.conftest import bearer

RODEZ, ALBI = "ifms-rodez", "ifms-albi"


@pytest.fixture
def admin(make_token) -> dict[str, str]:
    return bearer(make_token(*SCOPES, sub="ut-admin"))


@pytest.fixture
def confined(make_token) -> dict[str, str]:
    """Every scope, but confined to Rodez."""
    return bearer(make_token(*SCOPES, schools=[RODEZ], sub="rodez-everything"))


async def _count(app, table) -> int:
    uow = app.state.container.uow_factory()
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)))


async def test_locking_another_schools_account_answers_as_a_missing_one_and_locks_nothing(
    app, client, clock, admin, confined
):
    uid = await hosted(app, clock, at="2025-03-03T10:00:00+01:00", school=ALBI)
    locks, events = await _count(app, AccountLockRow), await _count(app, AuditEventRow)
    other = await client.post(f"/api/v1/accounts/{uid}/lock", json={"reason": "x"},
                              headers=confined)
    missing = await client.post("/api/v1/accounts/zzz9999z/lock", json={"reason": "x"},
                                headers=confined)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"] == "no such account"
    assert "given_name" not in other.text and "@" not in other.text
    assert (await _count(app, AccountLockRow), await _count(app, AuditEventRow)) == (
        locks, events)
    access = await client.get(f"/api/v1/accounts/{uid}/access", headers=admin)
    assert access.json()["allowed"] is True


async def test_a_confined_plugin_stores_its_schools_usage_and_each_other_school_item_is_rejected(
    app, client, clock, make_token, admin
):
    plugin = make_token("storage:write", "access:read", schools=[RODEZ])
    clock.set("2025-03-03T09:00:00+00:00")
    response = await post(client, plugin, [
        snap(RODEZ, bytes_used=2 * GB, sid="rodez-1"),
        snap(ALBI, bytes_used=45 * GB, sid="albi-1"),
        snap("zz-no-such-school", bytes_used=45 * GB, sid="nowhere-1"),
    ])
    assert response.status_code == 200, response.text
    results = {r["snapshot_id"]: r for r in response.json()["results"]}
    assert results["rodez-1"]["status"] == "accepted"
    assert results["albi-1"]["status"] == "rejected"
    assert results["albi-1"]["errors"] == results["nowhere-1"]["errors"] == [
        {"field": "school_code", "code": "unknown-school", "message": "no such school"}]
    usage = (await client.get("/api/v1/storage/usage", headers=admin)).json()
    by_school = {s["school_code"]: s["bytes_used"] for s in usage["schools"]}
    assert by_school[RODEZ] == 2 * GB and by_school[ALBI] == 0


async def test_an_already_stored_snapshot_of_another_school_is_not_reported_as_a_duplicate(
    app, client, clock, make_token
):
    clock.set("2025-03-03T09:00:00+00:00")
    unconfined = make_token("storage:write")
    item = snap(ALBI, bytes_used=GB, sid="albi-known")
    assert (await post(client, unconfined, [item])).json()["accepted"] == 1
    plugin = make_token("storage:write", schools=[RODEZ])
    [result] = (await post(client, plugin, [item])).json()["results"]
    assert result["status"] == "rejected"
    assert [e["code"] for e in result["errors"]] == ["unknown-school"]


async def test_the_trail_the_outbox_and_the_jobs_are_empty_for_a_confined_caller(
    app, client, clock, admin, confined
):
    await hosted(app, clock, at="2025-03-03T10:00:00+01:00", school=RODEZ)
    for path in ("/api/v1/audit-events", "/api/v1/outbox-messages", "/api/v1/jobs"):
        staff = await client.get(path, headers=admin)
        assert staff.status_code == 200 and staff.json()["items"], path
        own = await client.get(path, headers=confined)
        assert own.status_code == 200, own.text
        assert own.json() == {"items": [], "next_cursor": None}, path
    runs = await client.get("/api/v1/jobs/outbox-dispatch/runs", headers=confined)
    unknown = await client.get("/api/v1/jobs/no-such-job/runs", headers=confined)
    assert runs.status_code == unknown.status_code == 404
    assert runs.json()["code"] == unknown.json()["code"] == "job-not-found"


async def test_the_renewal_campaign_counts_only_the_confined_callers_schools(
    app, client, clock, admin, make_token
):
    kept = await hosted(app, clock, at="2025-03-10T10:00:00+01:00", school=RODEZ)
    left = await hosted(app, clock, at="2025-03-10T11:00:00+01:00", school=RODEZ,
                        family_name="Second")
    albi = await hosted(app, clock, at="2025-03-10T12:00:00+01:00", school=ALBI)
    clock.set("2025-06-02T09:00:00+02:00")
    opened = await client.post("/api/v1/renewal-campaigns",
                               json={"academic_year": "2025-2026"}, headers=admin)
    assert opened.status_code == 201, opened.text
    for code, decisions in ((RODEZ, [(kept, "renew"), (left, "remove")]),
                            (ALBI, [(albi, "renew")])):
        url = f"/api/v1/renewal-campaigns/2025-2026/schools/{code}"
        etag = (await client.get(url, headers=admin)).headers["etag"]
        done = await client.put(
            f"{url}/decisions", headers=admin | {"If-Match": etag},
            json={"decisions": [{"uid": u, "kind": "referent", "decision": d}
                                for u, d in decisions]})
        assert done.status_code == 200, done.text
    staff = (await client.get("/api/v1/renewal-campaigns/2025-2026", headers=admin)).json()
    assert (staff["renew_decisions"], staff["remove_decisions"]) == (2, 1)
    referent = bearer(make_token(profile="school-referent", schools=[RODEZ]))
    own = (await client.get("/api/v1/renewal-campaigns/2025-2026", headers=referent)).json()
    assert (own["renew_decisions"], own["remove_decisions"]) == (1, 1)


async def test_a_confined_caller_may_not_change_convention_wide_data(
    client, confined, admin
):
    body = {"starts_on": "2025-12-24", "ends_on": "2025-12-31", "label": "Noël"}
    refused = await client.post("/api/v1/calendar/closures", json=body, headers=confined)
    assert refused.status_code == 403
    assert refused.json()["code"] == "school-confined"
    listed = await client.get("/api/v1/calendar/closures", headers=confined)
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert (await client.post("/api/v1/calendar/closures", json=body,
                              headers=admin)).status_code == 201
    assert len((await client.get("/api/v1/calendar/closures",
                                 headers=confined)).json()["items"]) == 1


async def test_a_confined_caller_cannot_add_a_role_to_another_schools_account(
    app, client, clock, admin, make_token
):
    """Through the new role, the person's name and e-mail would become visible to it."""
    albi = await hosted(app, clock, at="2025-03-03T10:00:00+01:00", school=ALBI)
    clock.set("2025-03-04T10:00:00+01:00")
    filed = await client.post("/api/v1/account-requests", headers=admin, json={
        "ticket_ref": "T-RODEZ-9", "school_code": RODEZ, "kind": "trainer",
        "given_name": "Camille", "family_name": "Martin", "email": "c.martin@example.org",
        "existing_uid": albi})
    assert filed.status_code == 201, filed.text
    url = f"/api/v1/account-requests/{filed.json()['id']}/fulfilment"
    office = bearer(make_token("accounts:write", "accounts:read", schools=[RODEZ]))
    refused = await client.post(url, json={}, headers=office)
    assert refused.status_code == 409 and refused.json()["code"] == "uid-taken"
    assert (await client.get(f"/api/v1/accounts/{albi}", headers=office)).status_code == 404
    roles = (await client.get(f"/api/v1/accounts/{albi}", headers=admin)).json()["roles"]
    assert [r["school_code"] for r in roles] == [ALBI]
    assert (await client.post(url, json={}, headers=admin)).status_code == 200


async def test_a_client_registered_with_a_school_is_confined_whatever_its_scopes(
    app, client, clock
):
    albi = await hosted(app, clock, at="2025-03-03T10:00:00+01:00", school=ALBI)
    created = await clients.create_client(
        app.state.container.uow_factory(), clock, app.state.container.client_auth, Actor(SYSTEM),
        name="Rodez tool", scopes=list(SCOPES), schools=[RODEZ],
    )
    issued = await client.post("/api/v1/oauth/token", data={
        "grant_type": "client_credentials", "client_id": created.client.client_id,
        "client_secret": created.secret})
    assert issued.status_code == 200, issued.text
    token = bearer(issued.json()["access_token"])
    locked = await client.post(f"/api/v1/accounts/{albi}/lock", json={"reason": "x"},
                               headers=token)
    assert locked.status_code == 404 and locked.json()["detail"] == "no such account"
    assert (await client.get("/api/v1/audit-events", headers=token)).json()["items"] == []
    accounts = (await client.get("/api/v1/accounts", headers=token)).json()["items"]
    assert albi not in {a["uid"] for a in accounts}
