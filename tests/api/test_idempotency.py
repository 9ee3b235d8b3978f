"""`Idempotency-Key` on POST (DESIGN.md, HTTP contract), through POST /api/v1/schools."""

from __future__ import annotations

import asyncio

import pytest

from app.domain.auth import SCOPES
from app.services import schools as schools_service
from tests.conftest import bearer

SCHOOL = {"code": "ifsi-idem", "name": "IFSI Idem", "sites": ["Albi"],
          "amendment_reference": "AV-2026-07"}


@pytest.fixture(autouse=True)
async def recorded_amendment(client, admin_headers):
    """POST /schools cites a recorded amendment (R-CONV-2)."""
    response = await client.post(
        "/api/v1/convention/amendments",
        json={"reference": "AV-2026-07", "signed_on": "2025-01-10",
              "effective_on": "2025-02-01", "schools_added": "IFSI Idem"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return headers | {"Idempotency-Key": key}


async def school_events(client, headers, code: str) -> list[dict]:
    response = await client.get(
        "/api/v1/audit-events", params={"resource_type": "school", "resource_id": code},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_same_key_and_body_replays_the_first_response_without_redoing_it(
    client, admin_headers
):
    first = await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k1"))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"] == "/api/v1/schools/ifsi-idem"
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert len(await school_events(client, admin_headers, "ifsi-idem")) == 1


async def test_the_body_is_compared_as_canonical_json(client, admin_headers):
    first = await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k2"))
    reordered = (
        '{ "amendment_reference": "AV-2026-07", "sites": ["Albi"],\n'
        '  "name": "IFSI Idem", "code": "ifsi-idem" }'
    )
    again = await client.post(
        "/api/v1/schools", content=reordered,
        headers=keyed(admin_headers, "k2") | {"Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"


async def test_the_same_key_with_another_body_is_a_422(client, admin_headers):
    await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k3"))
    other = await client.post(
        "/api/v1/schools", json=SCHOOL | {"code": "ifsi-other"},
        headers=keyed(admin_headers, "k3"),
    )
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency-key-reused"
    missing = await client.get("/api/v1/schools/ifsi-other", headers=admin_headers)
    assert missing.status_code == 404


async def test_the_same_key_on_another_path_is_a_422(client, admin_headers):
    await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k4"))
    other = await client.post(
        "/api/v1/calendar/closures",
        json={"starts_on": "2025-12-20", "ends_on": "2026-01-04", "label": "Noël"},
        headers=keyed(admin_headers, "k4"),
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"


async def test_two_concurrent_calls_with_one_key_give_one_201_one_409_and_one_row(
    client, admin_headers, monkeypatch
):
    entered, release = asyncio.Event(), asyncio.Event()
    original = schools_service.create_school

    async def held(*args, **kwargs):
        entered.set()
        await release.wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(schools_service, "create_school", held)
    headers = keyed(admin_headers, "k-concurrent")

    async def first():
        return await client.post("/api/v1/schools", json=SCHOOL, headers=headers)

    async def second():
        try:
            await asyncio.wait_for(entered.wait(), 10)
            return await client.post("/api/v1/schools", json=SCHOOL, headers=headers)
        finally:
            release.set()

    a, b = await asyncio.wait_for(asyncio.gather(first(), second()), 30)
    assert (a.status_code, b.status_code) == (201, 409)
    assert b.json()["code"] == "idempotency-key-in-progress"
    assert len(await school_events(client, admin_headers, "ifsi-idem")) == 1
    listing = await client.get("/api/v1/schools", params={"limit": 500}, headers=admin_headers)
    assert [s["code"] for s in listing.json()["items"]].count("ifsi-idem") == 1
    replay = await client.post("/api/v1/schools", json=SCHOOL, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"


async def test_keys_of_two_clients_are_independent(client, make_token):
    alice = bearer(make_token(*SCOPES, sub="alice", client_id="client-a"))
    bob = bearer(make_token(*SCOPES, sub="bob", client_id="client-b"))
    a = await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(alice, "shared"))
    b = await client.post(
        "/api/v1/schools", json=SCHOOL | {"code": "ifsi-bob"}, headers=keyed(bob, "shared")
    )
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers
    assert b.json()["code"] == "ifsi-bob"


async def test_an_expired_key_is_processed_anew(client, make_token, clock):
    def headers() -> dict[str, str]:  # a fresh token at the clock's time, same client
        return keyed(bearer(make_token(*SCOPES, sub="ut-admin")), "k-expiring")

    first = await client.post("/api/v1/schools", json=SCHOOL, headers=headers())
    assert first.status_code == 201
    clock.advance(hours=23, minutes=59)
    still = await client.post(
        "/api/v1/schools", json=SCHOOL | {"code": "ifsi-later"}, headers=headers()
    )
    assert still.status_code == 422
    assert still.json()["code"] == "idempotency-key-reused"
    clock.advance(minutes=1)
    anew = await client.post(
        "/api/v1/schools", json=SCHOOL | {"code": "ifsi-later"}, headers=headers()
    )
    assert anew.status_code == 201, anew.text
    assert "idempotent-replayed" not in anew.headers
    assert anew.json()["code"] == "ifsi-later"


async def test_without_the_header_a_post_is_processed_normally(client, admin_headers):
    first = await client.post("/api/v1/schools", json=SCHOOL, headers=admin_headers)
    again = await client.post("/api/v1/schools", json=SCHOOL, headers=admin_headers)
    assert (first.status_code, again.status_code) == (201, 409)
    assert again.json()["code"] == "school-exists"
    assert "idempotent-replayed" not in again.headers


async def test_a_4xx_answer_is_stored_and_replayed(client, admin_headers):
    taken = SCHOOL | {"code": "ifms-auch"}
    first = await client.post("/api/v1/schools", json=taken, headers=keyed(admin_headers, "k5"))
    assert first.status_code == 409
    again = await client.post("/api/v1/schools", json=taken, headers=keyed(admin_headers, "k5"))
    assert again.status_code == 409
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


async def test_a_failure_is_not_stored_so_the_client_can_retry(
    client, admin_headers, monkeypatch
):
    original = schools_service.create_school
    calls = 0

    async def failing_once(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await original(*args, **kwargs)

    monkeypatch.setattr(schools_service, "create_school", failing_once)
    failed = await client.post("/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k6"))
    assert failed.status_code == 500
    retried = await client.post(
        "/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, "k6")
    )
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert calls == 2


@pytest.mark.parametrize("key", ["x" * 256, b"caf\xe9", "tab\there"])
async def test_a_malformed_key_is_a_422_naming_the_header(client, admin_headers, key):
    response = await client.post(
        "/api/v1/schools", json=SCHOOL, headers=admin_headers | {"Idempotency-Key": key}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    missing = await client.get("/api/v1/schools/ifsi-idem", headers=admin_headers)
    assert missing.status_code == 404


async def test_a_key_of_255_printable_characters_is_accepted(client, admin_headers):
    key = ("K-9 ~!" * 50)[:255]
    response = await client.post(
        "/api/v1/schools", json=SCHOOL, headers=keyed(admin_headers, key)
    )
    assert response.status_code == 201


async def test_a_keyed_post_without_a_valid_token_is_a_401(client):
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        response = await client.post(
            "/api/v1/schools", json=SCHOOL, headers=keyed(headers, "k7")
        )
        assert response.status_code == 401


async def test_the_openapi_documents_the_key_on_every_post_but_the_token_endpoint(app):
    document = app.openapi()
    posts = {
        path: ops["post"] for path, ops in document["paths"].items() if "post" in ops
    }
    assert "/api/v1/schools" in posts
    for path, operation in posts.items():
        names = [p["name"] for p in operation.get("parameters", [])]
        if path == "/api/v1/oauth/token":
            assert "Idempotency-Key" not in names
        else:
            assert names.count("Idempotency-Key") == 1, path
            assert "409" in operation["responses"], path
    parameter = next(
        p for p in posts["/api/v1/schools"]["parameters"] if p["name"] == "Idempotency-Key"
    )
    assert parameter["required"] is False
    assert "24 hours" in parameter["description"]
    assert "24 hours" in document["info"]["description"]
