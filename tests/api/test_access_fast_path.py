"""Moodle's plain access check is answered before FastAPI's routing
(app/api/fast_paths.py): the same answer as the route's, and every other call (a query,
no or a refused token, a missing scope, a referent, an unknown account, a database
failure) still answered by the route, exactly as before."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from app.api.fast_paths import AccessFastPath
from app.services import accounts as account_service
from tests.api.accounts_helpers import hosted_account
from tests.api.test_metrics import scrape
from tests.conftest import bearer

ROUTE = "/api/v1/accounts/{uid}/access"


@pytest.fixture
def staff(make_token):
    return bearer(make_token(profile="ut-admin", sub="ut-staff"))


@pytest.fixture
async def uid(client, staff, clock):
    done = await hosted_account(
        client, staff, clock, received_at="2025-03-03T09:00:00+01:00",
        fulfilled_at="2025-03-10T10:00:00+01:00",
    )
    clock.set("2025-04-01T12:00:00+02:00")
    return done["uid"]


def fast_path(app) -> AccessFastPath:
    layer = app.middleware_stack
    while not isinstance(layer, AccessFastPath):
        layer = layer.app
    return layer


async def _get(client, path, headers, **params):
    return await client.get(path, headers=headers, params=params or None)


def _comparable(response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, headers, response.content


@pytest.mark.parametrize("profile", ["moodle-plugin", "ut-admin"])
async def test_the_plain_call_is_answered_as_the_route_answers_it(
    app, client, make_token, clock, uid, profile
):
    headers = bearer(make_token(profile=profile))
    fast = fast_path(app)
    before = fast.answered
    plain = await _get(client, f"/api/v1/accounts/{uid}/access", headers)
    assert fast.answered == before + 1
    # `at` equal to the clock's now: the route computes the very same answer.
    routed = await _get(client, f"/api/v1/accounts/{uid}/access", headers,
                        at=clock.now().isoformat())
    assert fast.answered == before + 1
    assert plain.status_code == 200, plain.text
    assert _comparable(plain) == _comparable(routed)
    assert plain.json()["allowed"] is True and plain.json()["status"] == "active"


async def test_every_other_call_goes_to_the_route(app, client, make_token, uid):
    fast = fast_path(app)
    before = fast.answered
    path = f"/api/v1/accounts/{uid}/access"
    referent = bearer(make_token(profile="school-referent", schools=["ifms-rodez"]))
    other_school = bearer(make_token(profile="school-referent", schools=["ifms-albi"]))
    answers = {
        "no token": (await _get(client, path, {})).status_code,
        "not bearer": (await _get(client, path, {"Authorization": "Basic abc"})).status_code,
        "refused token": (await _get(client, path, bearer("not-a-jwt"))).status_code,
        "no scope": (await _get(client, path,
                                bearer(make_token(profile="region")))).status_code,
        "referent": (await _get(client, path, referent)).status_code,
        "other school": (await _get(client, path, other_school)).status_code,
        "unknown uid": (await _get(client, "/api/v1/accounts/abc1234d/access",
                                   bearer(make_token(profile="moodle-plugin")))).status_code,
        "unknown query": (await _get(client, path, bearer(make_token(profile="moodle-plugin")),
                                     since="x")).status_code,
        "extra segment": (await _get(client, f"/api/v1/accounts/{uid}/x/access",
                                     bearer(make_token(profile="moodle-plugin")))).status_code,
    }
    assert answers == {
        "no token": 401, "not bearer": 401, "refused token": 401, "no scope": 403,
        "referent": 200, "other school": 404, "unknown uid": 404, "unknown query": 422,
        "extra segment": 404,
    }
    assert fast.answered == before


async def test_a_refusal_keeps_the_route_s_problem_and_www_authenticate(client, uid):
    response = await _get(client, f"/api/v1/accounts/{uid}/access", {})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_database_failure_is_answered_by_the_route_s_handlers(
    app, client, make_token, uid, monkeypatch
):
    async def down(*_args, **_kwargs):
        raise OperationalError("SELECT", None, ConnectionRefusedError("down"))

    monkeypatch.setattr(account_service, "access_check", down)
    response = await _get(client, f"/api/v1/accounts/{uid}/access",
                          bearer(make_token(profile="moodle-plugin")))
    assert response.status_code == 503
    assert response.json()["code"] == "database-unavailable"


async def test_the_access_log_and_metrics_name_the_route(app, client, make_token, uid):
    headers = bearer(make_token(profile="moodle-plugin"))
    fast = fast_path(app)
    before = fast.answered
    for _ in range(3):
        assert (await _get(client, f"/api/v1/accounts/{uid}/access", headers)
                ).status_code == 200
    assert fast.answered == before + 3
    metrics = await scrape(client)
    assert metrics[("http_requests_total",
                    (("method", "GET"), ("route", ROUTE), ("status", "200")))] == 3
