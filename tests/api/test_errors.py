"""The HTTP contract's error handling: problem+json everywhere, never an echo, never a 500."""

from __future__ import annotations

import json

import pytest

SECRET_NAME = "Zéphyrine Marchand-Dupuis"


def _is_problem(response) -> dict:
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "code"} <= set(body)
    assert body["status"] == response.status_code
    return body


async def test_an_unknown_route_is_a_404_problem(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert _is_problem(response)["code"] == "not-found"


async def test_a_wrong_method_is_a_405_problem(client, admin_headers):
    response = await client.delete("/api/v1/schools", headers=admin_headers)
    assert response.status_code == 405
    assert _is_problem(response)["code"] == "method-not-allowed"


async def test_a_body_over_one_mebibyte_is_refused_before_it_is_read(client, admin_headers):
    big = b'{"code": "x", "name": "' + b"a" * (1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/schools", content=big,
        headers=admin_headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _is_problem(response)["code"] == "payload-too-large"


async def test_a_chunked_body_over_the_limit_is_refused(client, admin_headers):
    async def chunks():
        for _ in range(20):
            yield b" " * (64 * 1024)

    response = await client.post(
        "/api/v1/schools", content=chunks(),
        headers=admin_headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_a_body_that_is_not_json_is_a_415(client, admin_headers):
    response = await client.post(
        "/api/v1/schools", content=b"code=x", headers=admin_headers | {
            "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    _is_problem(response)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_strict_json_numbers_are_a_422(client, admin_headers, literal):
    response = await client.post(
        "/api/v1/schools",
        content=f'{{"code": "a-b", "name": "x", "amendment_reference": "r", "n": {literal}}}',
        headers=admin_headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert _is_problem(response)["code"] == "invalid-json"


async def test_malformed_json_is_a_422(client, admin_headers):
    response = await client.post(
        "/api/v1/schools", content=b'{"code": ', headers=admin_headers | {
            "Content-Type": "application/json"},
    )
    assert response.status_code == 422


async def test_a_nul_character_in_any_string_is_a_422(client, admin_headers):
    response = await client.post(
        "/api/v1/schools",
        json={"code": "new-school", "name": "bad\u0000name", "amendment_reference": "AV-1"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    listing = await client.get("/api/v1/schools/new-school", headers=admin_headers)
    assert listing.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/audit-events?resource_type=%00",
        "/api/v1/audit-events?resource_id=a%00b&limit=5",
        "/api/v1/support-requests?school_code=x%00",
        "/api/v1/schools/ifms%00rodez",
    ],
    ids=["query", "query-middle", "query-other-route", "path"],
)
async def test_a_nul_character_in_the_path_or_the_query_is_a_422(client, admin_headers, url):
    response = await client.get(url, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "\x00" not in response.text and "\\u0000" not in response.text


async def test_unknown_fields_are_refused_and_the_input_is_never_echoed(client, admin_headers):
    response = await client.post(
        "/api/v1/schools",
        json={"code": "new-school", "name": "x", "amendment_reference": "AV-1",
              "referent": SECRET_NAME},
        headers=admin_headers,
    )
    assert response.status_code == 422
    body = _is_problem(response)
    assert SECRET_NAME not in response.text
    assert any(e["field"] == "body.referent" for e in body["errors"])


async def test_a_too_long_string_is_refused_without_echo(client, admin_headers):
    response = await client.post(
        "/api/v1/schools",
        json={"code": "new-school", "name": SECRET_NAME * 20, "amendment_reference": "AV-1"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert SECRET_NAME not in response.text


async def test_an_integer_beyond_two_to_the_53_is_refused(client, admin_headers):
    response = await client.get(
        "/api/v1/schools", params={"limit": 2**60}, headers=admin_headers
    )
    assert response.status_code == 422


async def test_an_unexpected_error_is_a_500_problem_without_trace(app, client, admin_headers):
    async def boom() -> dict:
        raise RuntimeError("secret internal state " + SECRET_NAME)

    app.add_api_route("/api/v1/test-boom", boom, methods=["GET"])
    response = await client.get("/api/v1/test-boom", headers=admin_headers)
    assert response.status_code == 500
    body = _is_problem(response)
    assert body["code"] == "internal-error"
    assert "Traceback" not in response.text and SECRET_NAME not in response.text


async def test_every_response_carries_a_request_id(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    fresh = await client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32


async def test_problem_type_is_built_from_the_base_url_and_code(client):
    response = await client.get("/api/v1/nothing-here")
    body = json.loads(response.text)
    assert body["type"].endswith("/problems/not-found")


@pytest.mark.parametrize("query", [
    "resource_type=account_request&resource_type=school",
    "limit=5&limit=6",
])
async def test_a_parameter_of_one_value_given_twice_is_a_422(client, admin_headers, query):
    response = await client.get(f"/api/v1/audit-events?{query}", headers=admin_headers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation-error"
    name = query.split("=")[0]
    assert body["errors"] == [{"field": f"query.{name}", "code": "repeated_parameter",
                               "message": "give this parameter once"}]


async def test_a_list_parameter_may_be_given_several_times(client, make_token):
    headers = {"Authorization": f"Bearer {make_token('obligations:read', 'obligations:write')}"}
    response = await client.get("/api/v1/obligations?state=overdue&state=upcoming",
                                headers=headers)
    assert response.status_code == 200
