"""What each integration's profile lets it do (README, Profiles): the ticketing tool lists
schools and polls its requests by `updated_since`, the Moodle plugin reads back usage and
level, the Region lists statements changed since a date, UT operations fulfil, issue and
record payments without the admin's scopes (R-ACC-4, R-STO-3, R-BIL-3)."""

from __future__ import annotations

from app.domain.auth import PROFILES, SCOPES
from tests.api.accounts_helpers import file_request, fulfil
from tests.api.storage_helpers import GB, measure
from tests.conftest import bearer


async def test_the_ticketing_profile_lists_the_schools_to_learn_their_codes(client, make_token):
    tickets = bearer(make_token(profile="ticketing", sub="ticketing"))
    response = await client.get("/api/v1/schools", params={"limit": 500}, headers=tickets)
    assert response.status_code == 200
    codes = {school["code"] for school in response.json()["items"]}
    assert {"ifms-rodez", "prefms-ifsi", "ifms-lot"} <= codes


async def test_r_acc_4_polling_by_updated_since_returns_created_and_then_fulfilled_requests(
    client, make_token, clock
):
    tickets = bearer(make_token(profile="ticketing", sub="ticketing"))
    operations = bearer(make_token(profile="ut-operations", sub="ut-ops"))
    clock.set("2026-11-30T09:00:00+01:00")
    older = (await file_request(client, tickets, received_at="2026-11-30T08:00:00+01:00"))
    clock.set("2026-11-30T10:00:00+01:00")
    newer = (await file_request(client, tickets, received_at="2026-11-30T09:30:00+01:00"))
    assert older.status_code == newer.status_code == 201
    assert newer.json()["updated_at"] == "2026-11-30T09:00:00Z"

    async def changed_since(instant: str) -> list[tuple[str, str]]:
        response = await client.get("/api/v1/account-requests",
                                    params={"updated_since": instant}, headers=tickets)
        assert response.status_code == 200, response.text
        return [(item["id"], item["status"]) for item in response.json()["items"]]

    # Inclusive bound: the request created at exactly 10:00 Paris is in.
    assert await changed_since("2026-11-30T10:00:00+01:00") == [(newer.json()["id"],
                                                                 "received")]
    # Fulfilled later with a business instant in the past: still seen as a change now.
    clock.set("2026-12-01T14:00:00+01:00")
    done = await fulfil(client, operations, older.json()["id"],
                        fulfilled_at="2026-11-30T11:00:00+01:00")
    assert done.status_code == 200, done.text
    assert done.json()["updated_at"] == "2026-12-01T13:00:00Z"
    assert await changed_since("2026-12-01T13:59:59+01:00") == [(older.json()["id"],
                                                                 "fulfilled")]
    assert await changed_since("2026-12-01T14:00:00.001+01:00") == []


async def test_updated_since_without_an_offset_is_refused(client, make_token):
    tickets = bearer(make_token(profile="ticketing", sub="ticketing"))
    response = await client.get("/api/v1/account-requests",
                                params={"updated_since": "2026-11-30T10:00:00"}, headers=tickets)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_moodle_plugin_profile_reads_back_usage_and_level(client, make_token, clock):
    token = make_token(profile="moodle-plugin", sub="moodle")
    plugin = bearer(token)
    await measure(client, clock, token, "ifms-rodez", "2026-11-30T08:55:00Z", 37 * GB)
    usage = await client.get("/api/v1/storage/usage", headers=plugin)
    assert usage.status_code == 200
    rodez = next(s for s in usage.json()["schools"] if s["school_code"] == "ifms-rodez")
    assert (rodez["bytes_used"], rodez["level"]) == (37 * GB, "warning")


async def test_a_plugin_client_confined_to_its_school_reads_only_that_school(
    client, make_token
):
    plugin = bearer(make_token(profile="moodle-plugin", sub="moodle", schools=["ifms-rodez"]))
    usage = await client.get("/api/v1/storage/usage", headers=plugin)
    assert [s["school_code"] for s in usage.json()["schools"]] == ["ifms-rodez"]


async def test_the_ut_operations_profile_is_not_every_scope():
    operations = set(PROFILES["ut-operations"])
    assert {"accounts:write", "billing:write", "account-requests:read"} <= operations
    assert operations < set(SCOPES)
    assert not operations & {"personal-data:manage", "convention:write", "schools:write"}


async def test_the_ut_operations_profile_may_not_erase_a_person(client, make_token):
    operations = bearer(make_token(profile="ut-operations", sub="ut-ops"))
    response = await client.post("/api/v1/accounts/dur1234a/erasure", headers=operations,
                                 json={"reason": "Demande RGPD"})
    assert response.status_code == 403
