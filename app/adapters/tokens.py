"""Bearer tokens (DESIGN.md, Security): RS256 JWTs issued to machine clients, the JWKS
that publishes their keys, and the ONE function that verifies every token
(`TokenService.verify`), ours or those of a trusted external identity provider.

Verification, in this order, raising `TokenError` (a short `detail`, never the token):
size (`max_token_bytes`) → compact-JWS shape → header `alg` in `ALLOWED_ALGORITHMS`
(so `none`, `HS256`, … are refused before any key is touched) → `kid` present →
key chosen by `kid` from the keys of the issuer the token names (ours: the current key
plus `extra_public_jwks` kept during a rotation; the external issuer: its JWKS) →
signature (python-jose, with an `RSAKey` object: an HMAC reading of a public key is
impossible) → required claims `exp`, `iat`, `aud`, `iss`, `sub` → `exp`/`nbf`/`iat`
against `now` with `leeway_seconds` → issuer equal to the one whose key verified →
audience → `scope`, `schools`, `client_id`/`azp` shapes.

A token of ours that passed is remembered (bounded, per process) with the instants
between which its time checks pass; a later call inside that window answers the same
principal without the RSA check (`TokenService._remember`).

Time claims are checked here rather than by python-jose: jose reads the wall clock
(tests move time by passing `now`), and its `require_*` options force its own checks.

Keys: app/adapters/signing_keys.py; the external issuer's key sources:
app/adapters/jwks.py.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from jose import jwk as jose_jwk
from jose import jws, jwt
from jose.exceptions import JOSEError

from app.adapters.jwks import JwksSource
from app.adapters.signing_keys import ALGORITHM, SigningKey, rs256_verifier, usable_rsa_jwk
from app.domain.auth import SCOPES, Principal

ALLOWED_ALGORITHMS = frozenset({ALGORITHM})
REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub")
# Verified tokens of ours kept per process (a Moodle plugin reuses its token until it
# expires): the RSA check and the JSON parsing are skipped on a hit.
VERIFIED_CACHE_SIZE = 4096


class TokenError(Exception):
    """A token is refused. `detail` is short and safe to show (401 body / log)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


# RFC 7519 NumericDate, bounded to years 1970–9999: a number outside (huge, negative,
# NaN, infinite) cannot be compared safely (float() of a huge int overflows; NaN is never
# "past") and no token of ours or of an identity provider carries one.
NUMERIC_DATE_MAX = 253402300799  # 9999-12-31T23:59:59Z


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TokenError(f"invalid claim: {name}")
    if isinstance(value, float) and not math.isfinite(value):
        raise TokenError(f"invalid claim: {name}")
    if not 0 <= value <= NUMERIC_DATE_MAX:
        raise TokenError(f"invalid claim: {name}")
    return float(value)


class TokenService:
    """Issues our RS256 tokens, publishes our JWKS, verifies every bearer token."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        signing_key: SigningKey,
        extra_public_jwks: Sequence[dict] = (),
        lifetime: timedelta = timedelta(minutes=15),
        leeway_seconds: int = 30,
        max_token_bytes: int = 8192,
        external_issuer: str | None = None,
        external_jwks: JwksSource | None = None,
    ):
        if external_issuer is not None and external_jwks is None:
            raise ValueError("an external issuer needs its JWKS")
        if external_issuer is not None and external_issuer == issuer:
            raise ValueError("the external issuer must differ from ours")
        if lifetime <= timedelta(0) or leeway_seconds < 0 or max_token_bytes <= 0:
            raise ValueError("lifetime, leeway and size limit must be positive")
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.leeway_seconds = leeway_seconds
        self.max_token_bytes = max_token_bytes
        self.external_issuer = external_issuer
        self._external_jwks = external_jwks
        self._signing_key = signing_key
        self._signer = jose_jwk.construct(
            serialization.load_pem_private_key(signing_key.private_pem, password=None),
            ALGORITHM,
        )
        self._public_jwks: list[dict] = []
        self._own_keys: dict[str, Any] = {}
        for jwk in (signing_key.public_jwk, *extra_public_jwks):
            usable = usable_rsa_jwk(jwk)  # raises on an unusable configured key
            if usable["kid"] in self._own_keys:
                continue
            self._own_keys[usable["kid"]] = jose_jwk.construct(usable, ALGORITHM)
            self._public_jwks.append(usable)
        # Tokens of ours already verified: token → (principal, first and last valid
        # instant). See `verify`.
        self._verified: dict[str, tuple[Principal, float, float]] = {}

    # -- issuing

    def issue(
        self,
        *,
        subject: str,
        scopes: Iterable[str],
        client_id: str | None,
        schools: Sequence[str] | None = None,
        now: datetime,
    ) -> str:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not subject:
            raise ValueError("subject must not be empty")
        scope_list = list(dict.fromkeys(scopes))
        unknown = [s for s in scope_list if s not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes: {' '.join(sorted(unknown))}")
        iat = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": iat,
            "nbf": iat,
            "exp": iat + int(self.lifetime.total_seconds()),
            "jti": uuid.uuid4().hex,
            "scope": " ".join(scope_list),
        }
        if client_id is not None:
            claims["client_id"] = client_id
        if schools is not None:
            claims["schools"] = list(schools)
        token = jwt.encode(
            claims,
            self._signer,
            algorithm=ALGORITHM,
            headers={"kid": self._signing_key.kid, "typ": "JWT"},
        )
        if len(token) > self.max_token_bytes:
            raise ValueError("the token would exceed the size limit")
        return token

    def jwks(self) -> dict:
        """`{"keys": [...]}`: the current public key then the previous ones."""
        return {"keys": [dict(k) for k in self._public_jwks]}

    # -- verifying

    def verify(self, token: str, *, now: datetime | None = None) -> Principal:
        """The one verification of a bearer token; raises TokenError when refused."""
        if not isinstance(token, str) or not token.isascii():
            raise TokenError("malformed token")
        if len(token) > self.max_token_bytes:
            raise TokenError("token too large")
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        remembered = self._verified.get(token)
        if remembered is not None and remembered[1] <= now.timestamp() < remembered[2]:
            return remembered[0]

        try:
            header = jws.get_unverified_header(token)
            unverified = jwt.get_unverified_claims(token)
        except (JOSEError, RecursionError):
            raise TokenError("malformed token")
        if not isinstance(unverified, Mapping) or not isinstance(header, Mapping):
            raise TokenError("malformed token")
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise TokenError("algorithm not allowed")
        if "crit" in header:
            raise TokenError("unsupported critical header")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenError("missing key id")

        # The issuer the token names chooses the key set; after the signature check the
        # verified `iss` must equal that issuer.
        if self.external_issuer is not None and unverified.get("iss") == self.external_issuer:
            expected_issuer = self.external_issuer
            assert self._external_jwks is not None
            found = self._external_jwks.key(kid)
            key = rs256_verifier(found) if found is not None else None
        else:
            expected_issuer = self.issuer
            key = self._own_keys.get(kid)
        if key is None:
            raise TokenError("unknown key id")

        try:
            payload = jws.verify(token, key, algorithms=sorted(ALLOWED_ALGORITHMS))
        except JOSEError:
            raise TokenError("invalid signature")
        try:
            claims = json.loads(payload)
        except (ValueError, RecursionError):
            raise TokenError("malformed token")
        if not isinstance(claims, dict):
            raise TokenError("malformed token")
        principal = self._principal(claims, expected_issuer, now)
        if expected_issuer == self.issuer:
            self._remember(token, principal, claims)
        return principal

    def _remember(self, token: str, principal: Principal, claims: dict) -> None:
        """Keep a token of ours that passed every check, with the instants between which
        the time checks of `_principal` pass (iat/nbf minus the leeway up to exp plus the
        leeway): every other check depends on the token and our keys only, which do not
        change in a process. A hit outside that window is verified again in full (and
        refused with the precise reason). Not for the external issuer, whose keys may
        rotate. Bounded: the oldest entries go first."""
        starts = [_numeric_date(claims, "iat")]
        if "nbf" in claims:
            starts.append(_numeric_date(claims, "nbf"))
        window = (max(starts) - self.leeway_seconds,
                  _numeric_date(claims, "exp") + self.leeway_seconds)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            with suppress(KeyError, RuntimeError, StopIteration):  # a concurrent eviction
                del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, *window)

    def _principal(self, claims: dict, expected_issuer: str, now: datetime) -> Principal:
        for name in REQUIRED_CLAIMS:
            if name not in claims:
                raise TokenError(f"missing claim: {name}")
        exp = _numeric_date(claims, "exp")
        iat = _numeric_date(claims, "iat")
        current = now.timestamp()
        leeway = self.leeway_seconds
        if current >= exp + leeway:
            raise TokenError("token expired")
        if iat > current + leeway:
            raise TokenError("token issued in the future")
        if "nbf" in claims and _numeric_date(claims, "nbf") > current + leeway:
            raise TokenError("token not yet valid")

        if claims["iss"] != expected_issuer:
            raise TokenError("invalid issuer")
        audience = claims["aud"]
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise TokenError("invalid audience")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise TokenError("invalid claim: sub")

        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise TokenError("invalid claim: scope")
        schools = claims.get("schools")
        if schools is not None and (
            not isinstance(schools, list) or not all(isinstance(s, str) for s in schools)
        ):
            raise TokenError("invalid claim: schools")
        client_id = claims.get("client_id", claims.get("azp"))
        if client_id is not None and not isinstance(client_id, str):
            raise TokenError("invalid claim: client_id")

        return Principal(
            subject=subject,
            client_id=client_id,
            scopes=frozenset(scope.split()) & frozenset(SCOPES),
            schools=tuple(schools) if schools is not None else None,
        )
