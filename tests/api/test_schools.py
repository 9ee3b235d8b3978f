"""Schools and reference data through the HTTP API (R-SCH-1)."""

from __future__ import annotations

from app.domain.reference import SCHOOLS
from tests.conftest import bearer

SEED_CODES = sorted(s.code for s in SCHOOLS)


async def test_the_twenty_seeded_schools_are_listed_for_a_reader(client, make_token):
    response = await client.get(
        "/api/v1/schools", params={"limit": 500}, headers=bearer(make_token("schools:read"))
    )
    assert response.status_code == 200
    body = response.json()
    assert [s["code"] for s in body["items"]] == SEED_CODES
    assert len(body["items"]) == 20
    assert body["next_cursor"] is None
    lot = next(s for s in body["items"] if s["code"] == "ifms-lot")
    assert lot["sites"] == ["Cahors", "Figeac"]
    assert lot["status"] == "active"
    assert sum(1 for s in body["items"] if s["group"] == "PREFMS") == 9


async def test_school_list_pages_with_an_opaque_cursor(client, make_token):
    headers = bearer(make_token("schools:read"))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/schools", params=params, headers=headers)).json()
        seen += [s["code"] for s in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == SEED_CODES


async def test_a_forged_cursor_is_a_422_problem(client, make_token):
    response = await client.get(
        "/api/v1/schools", params={"cursor": "!!notacursor"},
        headers=bearer(make_token("schools:read")),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid-cursor"


async def test_a_referent_sees_only_its_schools_and_others_answer_404(client, make_token):
    token = make_token(profile="school-referent", schools=["ifms-rodez"])
    listing = await client.get("/api/v1/schools", headers=bearer(token))
    assert [s["code"] for s in listing.json()["items"]] == ["ifms-rodez"]
    own = await client.get("/api/v1/schools/ifms-rodez", headers=bearer(token))
    assert own.status_code == 200
    other = await client.get("/api/v1/schools/ifms-albi", headers=bearer(token))
    missing = await client.get("/api/v1/schools/nowhere", headers=bearer(token))
    assert other.status_code == missing.status_code == 404
    assert {k: v for k, v in other.json().items() if k != "instance"} == {
        k: v for k, v in missing.json().items() if k != "instance"
    }


async def test_creating_a_school_cites_an_amendment_and_is_audited(client, admin_headers):
    amendment = await client.post(
        "/api/v1/convention/amendments",
        json={"reference": "AV-2026-01", "signed_on": "2025-01-10", "effective_on": "2025-02-01",
              "schools_added": "IFSI Cahors 2"},
        headers=admin_headers,
    )
    assert amendment.status_code == 201
    response = await client.post(
        "/api/v1/schools",
        json={"code": "ifsi-cahors-2", "name": "IFSI Cahors 2", "sites": ["Cahors"],
              "amendment_reference": "AV-2026-01"},
        headers=admin_headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/schools/ifsi-cahors-2"
    assert response.json()["amendment_reference"] == "AV-2026-01"
    again = await client.post(
        "/api/v1/schools",
        json={"code": "ifsi-cahors-2", "name": "X", "amendment_reference": "AV-2026-01"},
        headers=admin_headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "school-exists"


async def test_creating_a_school_without_an_amendment_is_refused(client, admin_headers):
    response = await client.post(
        "/api/v1/schools", json={"code": "new-school", "name": "New"}, headers=admin_headers
    )
    assert response.status_code == 422
    assert any(e["field"] == "body.amendment_reference" for e in response.json()["errors"])


async def test_patch_needs_if_match_and_refuses_a_stale_etag(client, admin_headers):
    read = await client.get("/api/v1/schools/ifms-auch", headers=admin_headers)
    etag = read.headers["etag"]
    no_match = await client.patch(
        "/api/v1/schools/ifms-auch", json={"name": "IFMS du Gers"}, headers=admin_headers
    )
    assert no_match.status_code == 428
    changed = await client.patch(
        "/api/v1/schools/ifms-auch", json={"name": "IFMS du Gers"},
        headers=admin_headers | {"If-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "IFMS du Gers"
    assert changed.headers["etag"] != etag
    stale = await client.patch(
        "/api/v1/schools/ifms-auch", json={"name": "Autre"},
        headers=admin_headers | {"If-Match": etag},
    )
    assert stale.status_code == 412
    final = await client.get("/api/v1/schools/ifms-auch", headers=admin_headers)
    assert final.json()["name"] == "IFMS du Gers"


async def test_patch_refuses_unknown_or_read_only_fields(client, admin_headers):
    read = await client.get("/api/v1/schools/ifms-auch", headers=admin_headers)
    response = await client.patch(
        "/api/v1/schools/ifms-auch", json={"code": "hijack"},
        headers=admin_headers | {"If-Match": read.headers["etag"]},
    )
    assert response.status_code == 422


async def test_a_token_without_the_scope_gets_403(client, make_token):
    response = await client.get("/api/v1/schools", headers=bearer(make_token("billing:read")))
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient-scope"
