"""The audit trail (R-GDPR-2) through GET /api/v1/audit-events."""

from __future__ import annotations

from app.api.deps import encode_cursor
from app.domain.auth import Principal
from app.ports.audit import Actor
from app.services import audit
from tests.conftest import bearer


async def events(client, headers, **params) -> dict:
    response = await client.get("/api/v1/audit-events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def patch_auch(client, headers, etag: str, name: str):
    return await client.patch(
        "/api/v1/schools/ifms-auch", json={"name": name}, headers=headers | {"If-Match": etag}
    )


async def test_a_school_patch_writes_exactly_one_event_with_its_request_id(
    client, admin_headers
):
    read = await client.get("/api/v1/schools/ifms-auch", headers=admin_headers)
    old_name = read.json()["name"]
    changed = await patch_auch(client, admin_headers, read.headers["etag"], "IFMS du Gers")
    assert changed.status_code == 200
    body = await events(client, admin_headers, resource_type="school", resource_id="ifms-auch")
    assert len(body["items"]) == 1
    event = body["items"][0]
    assert set(event) == {
        "id", "occurred_at", "actor", "client_id", "action", "resource_type",
        "resource_id", "request_id", "changes",
    }
    assert event["action"] == "school.updated"
    assert event["actor"] == "ut-admin"
    assert event["client_id"] == "test-client"
    assert event["request_id"] == changed.headers["x-request-id"]
    assert event["occurred_at"] == "2025-03-03T09:00:00Z"
    assert event["changes"]["name"] == {"old": old_name, "new": "IFMS du Gers"}
    assert event["changes"]["version"] == {"old": 1, "new": 2}
    assert set(event["changes"]) == {"name", "version"}  # no personal field in a school


async def test_a_stale_if_match_leaves_no_event(client, admin_headers):
    stale = await patch_auch(client, admin_headers, '"7"', "IFMS du Gers")
    assert stale.status_code == 412
    body = await events(client, admin_headers, resource_type="school", resource_id="ifms-auch")
    assert body["items"] == []


async def test_personal_values_are_masked_in_the_trail(app, client, admin_headers, clock):
    actor = Actor(Principal("ut-admin", "test-client"), request_id="r-1")
    async with app.state.container.uow_factory() as uow:
        await audit.record(
            uow, actor, now=clock.now(), action="contact.updated", resource_type="contact",
            resource_id="c-1", old={"email": "a@example.org", "role": "referent"},
            new={"email": "b@example.org", "role": "trainer"},
        )
        await uow.commit()
    body = await events(client, admin_headers, resource_type="contact")
    assert body["items"][0]["changes"] == {
        "email": {"old": "***", "new": "***"},
        "role": {"old": "referent", "new": "trainer"},
    }


async def test_events_come_newest_first_in_pages_and_filter_by_actor_and_since(
    client, admin_headers, make_token, clock
):
    other = bearer(make_token("schools:write", "schools:read", sub="someone-else"))
    etag = (await client.get("/api/v1/schools/ifms-auch", headers=admin_headers)).headers["etag"]
    for i in range(5):
        clock.advance(minutes=1)
        response = await patch_auch(client, admin_headers if i % 2 else other, etag, f"N{i}")
        assert response.status_code == 200
        etag = response.headers["etag"]
    seen: list[dict] = []
    cursor = None
    while True:
        params = {"resource_id": "ifms-auch", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await events(client, admin_headers, **params)
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["changes"]["name"]["new"] for e in seen] == ["N4", "N3", "N2", "N1", "N0"]
    ids = [e["id"] for e in seen]
    assert ids == sorted(ids, reverse=True)
    mine = await events(client, admin_headers, resource_id="ifms-auch", actor="ut-admin")
    assert [e["changes"]["name"]["new"] for e in mine["items"]] == ["N3", "N1"]
    recent = await events(
        client, admin_headers, resource_id="ifms-auch", since="2025-03-03T10:03:00+01:00"
    )
    assert [e["changes"]["name"]["new"] for e in recent["items"]] == ["N4", "N3", "N2"]


async def test_a_malformed_or_naive_since_is_a_422_naming_the_parameter(client, admin_headers):
    for value in ("yesterday", "2025-03-03T09:00:00", "1741000000", "2025-03-03"):
        response = await client.get(
            "/api/v1/audit-events", params={"since": value}, headers=admin_headers
        )
        assert response.status_code == 422, value
        assert [e["field"] for e in response.json()["errors"]] == ["query.since"]


async def test_a_forged_cursor_is_a_422(client, admin_headers):
    for cursor in ("!!", encode_cursor("not-an-id")):
        response = await client.get(
            "/api/v1/audit-events", params={"cursor": cursor}, headers=admin_headers
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid-cursor"


async def test_reading_the_trail_needs_the_audit_scope(client, make_token):
    response = await client.get(
        "/api/v1/audit-events", headers=bearer(make_token("schools:read", "convention:read"))
    )
    assert response.status_code == 403
