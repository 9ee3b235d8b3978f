"""OAuth2 client credentials and bearer verification at the HTTP edge."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from app.adapters.signing_keys import load_or_create_dev_key
from app.adapters.tokens import TokenService
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services import clients
from tests.conftest import bearer


@pytest.fixture
async def registered(app, clock):
    created = await clients.create_client(
        app.state.container.uow_factory(), clock, app.state.container.client_auth, Actor(SYSTEM),
        name="Ticketing", scopes=["account-requests:read", "account-requests:write"],
    )
    return created.client.client_id, created.secret


async def _token(client, **form):
    return await client.post("/api/v1/oauth/token", data=form)


async def test_client_credentials_give_a_bearer_token_that_works(client, registered):
    client_id, secret = registered
    response = await _token(
        client, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "account-requests:read account-requests:write"
    assert response.headers["cache-control"] == "no-store"
    header = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["alg"] == "RS256" and header["kid"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}


async def test_http_basic_client_authentication_is_accepted(client, registered):
    client_id, secret = registered
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = await client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


async def test_a_narrower_scope_can_be_asked(client, registered):
    client_id, secret = registered
    response = await _token(
        client, grant_type="client_credentials", client_id=client_id, client_secret=secret,
        scope="account-requests:read",
    )
    assert response.json()["scope"] == "account-requests:read"


async def test_a_scope_not_granted_is_invalid_scope(client, registered):
    client_id, secret = registered
    response = await _token(
        client, grant_type="client_credentials", client_id=client_id, client_secret=secret,
        scope="billing:write",
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("who", ["wrong-secret", "unknown-client"])
async def test_a_wrong_secret_or_unknown_client_is_invalid_client(client, registered, who):
    client_id, secret = registered
    if who == "wrong-secret":
        secret += "x"
    else:
        client_id = "nobody"
    response = await _token(
        client, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_revoked_client_gets_no_token(app, client, clock, registered):
    client_id, secret = registered
    await clients.revoke_client(app.state.container.uow_factory(), clock, Actor(SYSTEM), client_id)
    response = await _token(
        client, grant_type="client_credentials", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 401


async def test_another_grant_type_is_unsupported(client, registered):
    client_id, secret = registered
    response = await _token(
        client, grant_type="password", client_id=client_id, client_secret=secret
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_failed_token_attempts_are_limited_per_address_and_client(client, registered):
    client_id, _ = registered
    statuses = []
    for _ in range(11):
        response = await _token(
            client, grant_type="client_credentials", client_id=client_id, client_secret="bad"
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert int(response.headers["retry-after"]) >= 1


async def test_no_token_is_a_401_with_www_authenticate(client):
    response = await client.get("/api/v1/schools")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_garbage_token_is_a_401(client):
    response = await client.get("/api/v1/schools", headers=bearer("not.a.jwt"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_an_expired_token_is_a_401(client, clock, make_token):
    token = make_token("schools:read", live=False)
    clock.advance(minutes=15, seconds=31)
    response = await client.get("/api/v1/schools", headers=bearer(token))
    assert response.status_code == 401


async def test_a_token_within_its_lifetime_works(client, clock, make_token):
    token = make_token("schools:read", live=False)
    clock.advance(minutes=14)
    response = await client.get("/api/v1/schools", headers=bearer(token))
    assert response.status_code == 200


async def test_a_token_for_another_audience_is_a_401(app, client, clock, key_file):
    other = TokenService(
        issuer=app.state.container.settings.jwt_issuer, audience="another-api",
        signing_key=load_or_create_dev_key(key_file),
    )
    token = other.issue(subject="x", scopes=["schools:read"], client_id=None, now=clock.now())
    response = await client.get("/api/v1/schools", headers=bearer(token))
    assert response.status_code == 401


async def test_a_token_signed_by_an_unknown_key_is_a_401(app, client, clock, tmp_path):
    other = TokenService(
        issuer=app.state.container.settings.jwt_issuer,
        audience=app.state.container.settings.jwt_audience,
        signing_key=load_or_create_dev_key(tmp_path / "dev-other.pem"),
        lifetime=timedelta(minutes=5),
    )
    token = other.issue(subject="x", scopes=["schools:read"], client_id=None, now=clock.now())
    response = await client.get("/api/v1/schools", headers=bearer(token))
    assert response.status_code == 401


async def test_an_unsigned_alg_none_token_is_a_401(client, clock):
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(clock.now().timestamp())
    token = b64({"alg": "none", "typ": "JWT"}) + "." + b64(
        {"sub": "x", "scope": "schools:read", "iat": now, "exp": now + 600,
         "aud": "convention-api", "iss": "https://convention.ut.example"}
    ) + "."
    response = await client.get("/api/v1/schools", headers=bearer(token))
    assert response.status_code == 401


async def test_an_oversized_token_is_a_401(client):
    response = await client.get("/api/v1/schools", headers=bearer("a" * 9000))
    assert response.status_code == 401
