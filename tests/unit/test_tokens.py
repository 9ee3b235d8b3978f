"""The one token verification function, token issuing, JWKS, and client secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from app.adapters.jwks import HttpJwks, StaticJwks
from app.adapters.secrets import (
    hash_secret,
    new_client_id,
    new_client_secret,
    verify_against_nothing,
    verify_secret,
)
from app.adapters.signing_keys import (
    DEV_KEY_MARKER,
    SigningKey,
    is_dev_key,
    jwk_thumbprint,
    load_or_create_dev_key,
    load_public_jwks,
    load_signing_key,
    public_jwk,
)
from app.adapters.tokens import TokenError, TokenService
from app.domain.auth import Principal

ISSUER = "https://convention.test"
AUDIENCE = "convention-api"
EXTERNAL = "https://idp.test/realms/ut"
NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
TS = int(NOW.timestamp())


def _new_key() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    jwk = public_jwk(private.public_key())
    return SigningKey(kid=jwk["kid"], private_pem=pem, public_jwk=jwk)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return _new_key()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return _new_key()


@pytest.fixture(scope="module")
def idp_key() -> SigningKey:
    return _new_key()


@pytest.fixture
def service(key: SigningKey, idp_key: SigningKey) -> TokenService:
    return TokenService(
        issuer=ISSUER,
        audience=AUDIENCE,
        signing_key=key,
        external_issuer=EXTERNAL,
        external_jwks=StaticJwks([idp_key.public_jwk]),
    )


def _claims(**overrides) -> dict:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-1",
        "iat": TS,
        "nbf": TS,
        "exp": TS + 900,
        "jti": "j1",
        "scope": "schools:read accounts:read",
        "client_id": "client-1",
    }
    for name, value in overrides.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _sign(claims: dict, signer: SigningKey, *, kid: str | None = "same", **headers) -> str:
    extra = dict(headers)
    if kid == "same":
        extra["kid"] = signer.kid
    elif kid is not None:
        extra["kid"] = kid
    return jwt.encode(claims, signer.private_pem, algorithm="RS256", headers=extra)


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64u_json(value: dict) -> str:
    return _b64u(json.dumps(value).encode())


def _refused(service: TokenService, token: str, *, now: datetime = NOW) -> str:
    with pytest.raises(TokenError) as caught:
        service.verify(token, now=now)
    assert token not in caught.value.detail
    return caught.value.detail


# ------------------------------------------------------------------ accepted tokens


def test_an_issued_token_round_trips_to_a_principal_with_scopes_and_schools(service):
    token = service.issue(
        subject="referent-7",
        scopes=["schools:read", "storage:read"],
        client_id="portal",
        schools=["ifms-albi", "ifms-rodez"],
        now=NOW,
    )
    principal = service.verify(token, now=NOW + timedelta(minutes=5))
    assert principal == Principal(
        subject="referent-7",
        client_id="portal",
        scopes=frozenset({"schools:read", "storage:read"}),
        schools=("ifms-albi", "ifms-rodez"),
    )


def test_an_issued_token_carries_kid_and_every_registered_claim(service, key):
    token = service.issue(subject="c1", scopes=["audit:read"], client_id="c1", now=NOW)
    header = jwt.get_unverified_header(token)
    claims = jwt.get_unverified_claims(token)
    assert header["alg"] == "RS256" and header["kid"] == key.kid
    assert claims["iss"] == ISSUER and claims["aud"] == AUDIENCE and claims["sub"] == "c1"
    assert claims["iat"] == TS and claims["nbf"] == TS and claims["exp"] == TS + 900
    assert claims["jti"] and claims["scope"] == "audit:read" and claims["client_id"] == "c1"
    assert "schools" not in claims


def test_a_token_without_schools_claim_gives_a_principal_not_confined_to_schools(service, key):
    principal = service.verify(_sign(_claims(), key), now=NOW)
    assert principal.schools is None
    assert principal.client_id == "client-1"
    assert principal.scopes == frozenset({"schools:read", "accounts:read"})


def test_unknown_scopes_in_a_token_are_dropped(service, key):
    token = _sign(_claims(scope="schools:read admin:everything openid"), key)
    assert service.verify(token, now=NOW).scopes == frozenset({"schools:read"})


def test_issuing_refuses_unknown_scopes(service):
    with pytest.raises(ValueError):
        service.issue(subject="c1", scopes=["root"], client_id=None, now=NOW)


def test_a_token_is_accepted_within_the_leeway_after_expiry(service, key):
    token = _sign(_claims(), key)
    assert service.verify(token, now=NOW + timedelta(seconds=900 + 29)).subject == "client-1"


def test_a_token_whose_iat_is_slightly_in_the_future_is_accepted_within_leeway(service, key):
    token = _sign(_claims(iat=TS + 20, nbf=TS + 20), key)
    assert service.verify(token, now=NOW).subject == "client-1"


def test_azp_stands_for_client_id_when_client_id_is_absent(service, key):
    token = _sign(_claims(client_id=None, azp="ticketing"), key)
    assert service.verify(token, now=NOW).client_id == "ticketing"


def test_an_audience_list_containing_ours_is_accepted(service, key):
    token = _sign(_claims(aud=["other", AUDIENCE]), key)
    assert service.verify(token, now=NOW).subject == "client-1"


# ------------------------------------------------------------------ rejected tokens


def test_garbage_is_rejected(service):
    assert _refused(service, "not-a-token") == "malformed token"


def test_a_token_without_signature_is_rejected(service, key):
    header, payload, _ = _sign(_claims(), key).split(".")
    assert _refused(service, f"{header}.{payload}.") == "invalid signature"


def test_a_token_with_a_tampered_payload_is_rejected(service, key):
    header, _, signature = _sign(_claims(), key).split(".")
    forged = _b64u_json(_claims(scope=" ".join(["audit:read", "billing:write"])))
    assert _refused(service, f"{header}.{forged}.{signature}") == "invalid signature"


def test_a_token_signed_by_another_key_under_our_kid_is_rejected(service, key, other_key):
    token = _sign(_claims(), other_key, kid=key.kid)
    assert _refused(service, token) == "invalid signature"


def test_alg_none_is_rejected(service, key):
    header = _b64u_json({"alg": "none", "typ": "JWT", "kid": key.kid})
    token = f"{header}.{_b64u_json(_claims())}."
    assert _refused(service, token) == "algorithm not allowed"


def test_alg_hs256_signed_with_the_public_pem_as_hmac_secret_is_rejected(service, key):
    public_pem = (
        serialization.load_pem_private_key(key.private_pem, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = (
        f"{_b64u_json({'alg': 'HS256', 'typ': 'JWT', 'kid': key.kid})}.{_b64u_json(_claims())}"
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert _refused(service, f"{signing_input}.{_b64u(mac)}") == "algorithm not allowed"


def test_an_rsa_algorithm_other_than_rs256_is_rejected(service, key):
    token = jwt.encode(_claims(), key.private_pem, algorithm="RS512", headers={"kid": key.kid})
    assert _refused(service, token) == "algorithm not allowed"


def test_an_unknown_kid_is_rejected(service, key):
    assert _refused(service, _sign(_claims(), key, kid="someone-else")) == "unknown key id"


def test_a_missing_kid_is_rejected(service, key):
    assert _refused(service, _sign(_claims(), key, kid=None)) == "missing key id"


def test_an_expired_token_is_rejected_past_exp_plus_leeway(service, key):
    token = _sign(_claims(), key)
    assert _refused(service, token, now=NOW + timedelta(seconds=900 + 31)) == "token expired"


def test_a_token_issued_by_the_service_expires_after_its_lifetime(service):
    token = service.issue(subject="c1", scopes=[], client_id="c1", now=NOW)
    assert _refused(service, token, now=NOW + timedelta(minutes=16)) == "token expired"


def test_a_token_missing_exp_is_rejected(service, key):
    assert _refused(service, _sign(_claims(exp=None), key)) == "missing claim: exp"


def test_a_token_missing_iat_is_rejected(service, key):
    assert _refused(service, _sign(_claims(iat=None), key)) == "missing claim: iat"


def test_a_token_missing_aud_is_rejected(service, key):
    assert _refused(service, _sign(_claims(aud=None), key)) == "missing claim: aud"


def test_a_token_missing_iss_is_rejected(service, key):
    assert _refused(service, _sign(_claims(iss=None), key)) == "missing claim: iss"


def test_a_token_missing_sub_is_rejected(service, key):
    assert _refused(service, _sign(_claims(sub=None), key)) == "missing claim: sub"


def test_a_token_for_another_audience_is_rejected(service, key):
    assert _refused(service, _sign(_claims(aud="other-api"), key)) == "invalid audience"


def test_a_token_from_another_issuer_is_rejected(service, key):
    token = _sign(_claims(iss="https://evil.test"), key)
    assert _refused(service, token) == "invalid issuer"


def test_a_token_over_8_kb_is_rejected(service, key):
    huge = _sign(_claims(schools=[f"school-{i:05d}" for i in range(700)]), key)
    assert len(huge) > 8192
    assert _refused(service, huge) == "token too large"


def test_a_token_issued_in_the_future_beyond_leeway_is_rejected(service, key):
    token = _sign(_claims(iat=TS + 120, nbf=None), key)
    assert _refused(service, token) == "token issued in the future"


def test_a_token_not_yet_valid_is_rejected(service, key):
    token = _sign(_claims(nbf=TS + 120), key)
    assert _refused(service, token) == "token not yet valid"


def test_a_non_numeric_exp_is_rejected(service, key):
    assert _refused(service, _sign(_claims(exp="tomorrow"), key)) == "invalid claim: exp"


def test_a_schools_claim_that_is_not_a_list_of_strings_is_rejected(service, key):
    assert _refused(service, _sign(_claims(schools="ifms-albi"), key)) == "invalid claim: schools"


# ------------------------------------------------------------------ external issuer


def test_an_external_issuer_token_is_verified_against_its_jwks(service, idp_key):
    claims = _claims(
        iss=EXTERNAL, sub="alice", scope="schools:read support:read", schools=["ifms-tarbes"]
    )
    claims.pop("client_id")
    principal = service.verify(_sign(claims, idp_key), now=NOW)
    assert principal == Principal(
        subject="alice",
        client_id=None,
        scopes=frozenset({"schools:read", "support:read"}),
        schools=("ifms-tarbes",),
    )


def test_an_external_issuer_token_signed_by_an_unknown_key_is_rejected(service, other_key):
    token = _sign(_claims(iss=EXTERNAL), other_key)
    assert _refused(service, token) == "unknown key id"


def test_an_external_issuer_token_signed_by_another_key_under_its_kid_is_rejected(
    service, idp_key, other_key
):
    token = _sign(_claims(iss=EXTERNAL), other_key, kid=idp_key.kid)
    assert _refused(service, token) == "invalid signature"


def test_an_external_issuer_token_for_another_audience_is_rejected(service, idp_key):
    token = _sign(_claims(iss=EXTERNAL, aud="someone-else"), idp_key)
    assert _refused(service, token) == "invalid audience"


def test_our_key_does_not_sign_for_the_external_issuer(service, key):
    assert _refused(service, _sign(_claims(iss=EXTERNAL), key)) == "unknown key id"


def test_the_external_key_does_not_sign_for_our_issuer(service, idp_key):
    assert _refused(service, _sign(_claims(), idp_key)) == "unknown key id"


def test_http_jwks_caches_and_refetches_once_on_an_unknown_kid(idp_key, other_key):
    served = [{"keys": [idp_key.public_jwk]}]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        return httpx.Response(200, json=served[-1])

    clock = [0.0]
    source = HttpJwks(
        "https://idp.test/jwks",
        ttl_seconds=300,
        client=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: clock[0],
    )
    assert source.key(idp_key.kid) is not None
    assert source.key(idp_key.kid) is not None
    assert len(calls) == 1
    served.append({"keys": [idp_key.public_jwk, other_key.public_jwk]})
    clock[0] = 5.0
    assert source.key(other_key.kid) is None  # refetch rate-limited
    assert len(calls) == 1
    clock[0] = 40.0
    assert source.key(other_key.kid) is not None  # one refetch on unknown kid
    assert len(calls) == 2
    assert source.key("nobody") is None
    assert len(calls) == 2


def test_http_jwks_keeps_the_previous_keys_when_a_fetch_fails(idp_key):
    responses = [httpx.Response(200, json={"keys": [idp_key.public_jwk]}), httpx.Response(503)]
    clock = [0.0]
    source = HttpJwks(
        "https://idp.test/jwks",
        client=httpx.Client(transport=httpx.MockTransport(lambda request: responses.pop(0))),
        clock=lambda: clock[0],
    )
    assert source.keys() == [idp_key.public_jwk]
    clock[0] = 1000.0
    assert source.keys() == [idp_key.public_jwk]


# ------------------------------------------------------------------ JWKS and rotation


def test_jwks_exposes_the_current_kid_with_rsa_public_parameters(service, key):
    (published,) = service.jwks()["keys"]
    assert published["kid"] == key.kid
    assert published["kty"] == "RSA" and published["alg"] == "RS256" and published["use"] == "sig"
    assert published["n"] and published["e"] == "AQAB"
    assert "d" not in published


def test_kid_is_the_rfc7638_thumbprint_of_the_public_key(key):
    assert key.kid == jwk_thumbprint(key.public_jwk)
    canonical = json.dumps(
        {"e": key.public_jwk["e"], "kty": "RSA", "n": key.public_jwk["n"]},
        separators=(",", ":"),
    )
    assert key.kid == _b64u(hashlib.sha256(canonical.encode()).digest())


def test_a_token_signed_by_a_rotated_previous_key_still_verifies(key, other_key):
    previous = TokenService(ISSUER, AUDIENCE, key)
    token = previous.issue(subject="c1", scopes=["audit:read"], client_id="c1", now=NOW)
    rotated = TokenService(ISSUER, AUDIENCE, other_key, extra_public_jwks=[key.public_jwk])
    assert rotated.verify(token, now=NOW).subject == "c1"
    assert [k["kid"] for k in rotated.jwks()["keys"]] == [other_key.kid, key.kid]
    assert _refused(TokenService(ISSUER, AUDIENCE, other_key), token) == "unknown key id"


# ------------------------------------------------------------------ key files


def test_a_development_key_is_created_with_mode_0600_and_loaded_again(tmp_path):
    path = tmp_path / "keys" / "dev-signing-key.pem"
    created = load_or_create_dev_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(DEV_KEY_MARKER)
    assert created.development and is_dev_key(path)
    again = load_or_create_dev_key(path)
    assert again.kid == created.kid == load_signing_key(path).kid
    service = TokenService(ISSUER, AUDIENCE, again)
    token = service.issue(subject="s", scopes=[], client_id=None, now=NOW)
    assert service.verify(token, now=NOW).subject == "s"


def test_an_operator_key_is_not_a_development_key(tmp_path, key):
    path = tmp_path / "prod.pem"
    path.write_bytes(key.private_pem)
    assert not is_dev_key(path)
    assert not load_signing_key(path).development


def test_previous_public_keys_load_from_pem_or_jwks_files(tmp_path, key):
    public_pem = (
        serialization.load_pem_private_key(key.private_pem, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    pem_file = tmp_path / "previous.pem"
    pem_file.write_bytes(public_pem)
    json_file = tmp_path / "previous.json"
    json_file.write_text(json.dumps({"keys": [key.public_jwk]}))
    assert [k["kid"] for k in load_public_jwks(pem_file)] == [key.kid]
    assert [k["kid"] for k in load_public_jwks(json_file)] == [key.kid]


# ------------------------------------------------------------------ client secrets


def test_a_client_secret_verifies_against_its_argon2_hash():
    secret = new_client_secret()
    hashed = hash_secret(secret)
    assert hashed.startswith("$argon2id$") and secret not in hashed
    assert verify_secret(hashed, secret)


def test_a_wrong_secret_or_an_unreadable_hash_verifies_false_without_raising():
    hashed = hash_secret("right")
    assert verify_secret(hashed, "wrong") is False
    assert verify_secret("not-a-hash", "right") is False
    assert verify_against_nothing("anything") is False


def test_client_ids_and_secrets_are_fresh_each_time():
    assert new_client_id() != new_client_id()
    assert len(new_client_secret()) >= 43
