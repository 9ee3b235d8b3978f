"""Verified tokens remembered per process (app/adapters/tokens.py): the same answers as
a full verification, without the RSA check on a hit."""

# ruff: noqa: F811 - the fixtures of test_tokens.py are imported and used as arguments
from __future__ import annotations

from datetime import timedelta

import pytest

from app.adapters import tokens as tokens_module
from app.adapters.tokens import TokenError, TokenService
from tests.unit.test_tokens import (  # noqa: F401 - fixtures
    NOW,
    TS,
    _claims,
    _sign,
    idp_key,
    key,
    other_key,
    service,
)


def _signature_checks(monkeypatch) -> list[str]:
    """Count the signature checks made by the token service."""
    calls: list[str] = []
    real = tokens_module.jws.verify

    def counting(token, *args, **kwargs):
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens_module.jws, "verify", counting)
    return calls


def test_a_token_verified_once_is_answered_again_without_a_signature_check(
    service, key, monkeypatch
):
    token = _sign(_claims(), key)
    checks = _signature_checks(monkeypatch)
    first = service.verify(token, now=NOW)
    again = service.verify(token, now=NOW + timedelta(minutes=10))
    assert again == first
    assert len(checks) == 1


def test_a_remembered_token_is_refused_once_past_exp_plus_leeway(service, key):
    token = _sign(_claims(exp=TS + 900), key)
    service.verify(token, now=NOW)
    service.verify(token, now=NOW + timedelta(seconds=900 + 29))
    with pytest.raises(TokenError, match="token expired"):
        service.verify(token, now=NOW + timedelta(seconds=900 + 30))


def test_a_remembered_token_is_refused_when_the_clock_goes_back_before_iat(service, key):
    token = _sign(_claims(iat=TS, nbf=None), key)
    service.verify(token, now=NOW)
    with pytest.raises(TokenError, match="issued in the future"):
        service.verify(token, now=NOW - timedelta(seconds=31))


def test_a_remembered_token_is_refused_before_its_nbf(service, key):
    token = _sign(_claims(iat=TS - 60, nbf=TS + 60), key)
    service.verify(token, now=NOW + timedelta(seconds=60))
    with pytest.raises(TokenError, match="not yet valid"):
        service.verify(token, now=NOW)


def test_a_refused_token_is_not_remembered(service, key, other_key, monkeypatch):
    forged = _sign(_claims(), other_key, kid=key.kid)
    checks = _signature_checks(monkeypatch)
    for _ in range(2):
        with pytest.raises(TokenError, match="invalid signature"):
            service.verify(forged, now=NOW)
    assert len(checks) == 2


def test_tokens_of_the_external_issuer_are_verified_every_time(
    service, idp_key, monkeypatch
):
    token = _sign(_claims(iss="https://idp.test/realms/ut"), idp_key)
    checks = _signature_checks(monkeypatch)
    service.verify(token, now=NOW)
    service.verify(token, now=NOW)
    assert len(checks) == 2


def test_the_remembered_tokens_are_bounded(key, monkeypatch):
    monkeypatch.setattr(tokens_module, "VERIFIED_CACHE_SIZE", 3)
    fresh = TokenService(issuer="https://convention.test", audience="convention-api",
                         signing_key=key)
    for n in range(5):
        fresh.verify(_sign(_claims(jti=f"j{n}"), key), now=NOW)
    assert len(fresh._verified) == 3
