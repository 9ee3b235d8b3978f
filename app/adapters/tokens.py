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

Development keys: `load_or_create_dev_key` writes the PEM with `DEV_KEY_MARKER` as its
first line (PEM readers skip text before `-----BEGIN`). `is_dev_key(path)` is true for a
file starting with the marker or a path under `./var/`; `SigningKey.development` carries
the same fact, so production mode can refuse to start with such a key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk as jose_jwk
from jose import jws, jwt
from jose.exceptions import JOSEError

from app.domain.auth import SCOPES, Principal

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
ALLOWED_ALGORITHMS = frozenset({ALGORITHM})
REQUIRED_CLAIMS = ("exp", "iat", "aud", "iss", "sub")
# Verified tokens of ours kept per process (a Moodle plugin reuses its token until it
# expires): the RSA check and the JSON parsing are skipped on a hit.
VERIFIED_CACHE_SIZE = 4096
MIN_RSA_BITS = 2048
DEV_KEY_MARKER = b"# convention-api DEVELOPMENT signing key - never use in production\n"
DEV_KEY_DIR = Path("var")


class TokenError(Exception):
    """A token is refused. `detail` is short and safe to show (401 body / log)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


# --------------------------------------------------------------------------- keys


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64u_uint(value: int) -> str:
    return _b64u(value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA JWK, base64url without padding."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64u(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public JWK (kid = RFC 7638 thumbprint, alg RS256, use sig) of an RSA key."""
    numbers = public_key.public_numbers()
    jwk = {"kty": "RSA", "n": _b64u_uint(numbers.n), "e": _b64u_uint(numbers.e)}
    return {"kid": jwk_thumbprint(jwk), **jwk, "alg": ALGORITHM, "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    """Our current private key. `development` is true for keys made by
    `load_or_create_dev_key` (file starting with `DEV_KEY_MARKER`)."""

    kid: str
    private_pem: bytes
    public_jwk: dict
    development: bool = False


def _signing_key_from_pem(pem: bytes) -> SigningKey:
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    if private.key_size < MIN_RSA_BITS:
        raise ValueError(f"the signing key must have at least {MIN_RSA_BITS} bits")
    jwk = public_jwk(private.public_key())
    return SigningKey(
        kid=jwk["kid"], private_pem=pem, public_jwk=jwk, development=pem.startswith(DEV_KEY_MARKER)
    )


def load_signing_key(path: Path) -> SigningKey:
    """Read an unencrypted RSA private key (PEM, ≥ 2048 bits). Raises OSError/ValueError."""
    return _signing_key_from_pem(Path(path).read_bytes())


def load_or_create_dev_key(path: Path) -> SigningKey:
    """Load the key at `path`, or create a development RSA-2048 key there (mode 0600,
    first line `DEV_KEY_MARKER`)."""
    path = Path(path)
    if path.exists():
        return load_signing_key(path)
    private = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    pem = DEV_KEY_MARKER + private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return load_signing_key(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o600)  # in case the umask was stricter than needed, or looser
    return _signing_key_from_pem(pem)


def is_dev_key(path: Path) -> bool:
    """True when `path` holds a development key: a file beginning with `DEV_KEY_MARKER`,
    or any path under `./var/` (where the embedded mode keeps its generated material)."""
    path = Path(path)
    try:
        resolved = path.resolve()
        if resolved.is_relative_to(DEV_KEY_DIR.resolve()):
            return True
    except OSError:
        pass
    try:
        with path.open("rb") as handle:
            return handle.read(len(DEV_KEY_MARKER)) == DEV_KEY_MARKER
    except OSError:
        return False


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def load_public_jwks(path: Path) -> list[dict]:
    """Previous public keys still trusted during a rotation, from a JWKS JSON file
    (`{"keys": [...]}`) or from one or more PEM blocks (public or private RSA keys)."""
    data = Path(path).read_bytes()
    if data.lstrip().startswith(b"{"):
        keys = json.loads(data).get("keys")
        if not isinstance(keys, list):
            raise ValueError("a JWKS file needs a 'keys' array")
        return [_usable_rsa_jwk(k) for k in keys]
    result = []
    for match in _PEM_BLOCK.finditer(data):
        block = match.group(0)
        if b"PRIVATE" in match.group(1):
            key: Any = serialization.load_pem_private_key(block, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(block)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("only RSA public keys are supported")
        result.append(public_jwk(key))
    if not result:
        raise ValueError("no key found")
    return result


def _usable_rsa_jwk(jwk: Any) -> dict:
    """Return a normalised copy of `jwk` if it is an RSA signing key fit for RS256
    (kid filled with the thumbprint when absent), else raise ValueError."""
    if not isinstance(jwk, Mapping):
        raise ValueError("a JWK must be an object")
    if (
        jwk.get("kty") != "RSA"
        or not isinstance(jwk.get("n"), str)
        or not isinstance(jwk.get("e"), str)
    ):
        raise ValueError("not an RSA public JWK")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
        raise ValueError("not an RS256 signing key")
    if len(_b64u_decode(jwk["n"]).lstrip(b"\0")) * 8 < MIN_RSA_BITS:
        raise ValueError("RSA key too short")
    kid = jwk.get("kid") or jwk_thumbprint(jwk)
    if not isinstance(kid, str):
        raise ValueError("kid must be a string")
    return {"kid": kid, "kty": "RSA", "n": jwk["n"], "e": jwk["e"], "alg": ALGORITHM, "use": "sig"}


def _verifier(jwk: dict) -> Any:
    """A python-jose RSA key object bound to RS256, or None if the JWK is unusable."""
    try:
        return jose_jwk.construct(_usable_rsa_jwk(jwk), ALGORITHM)
    except (ValueError, JOSEError, TypeError, KeyError):
        return None


# ------------------------------------------------------------------------ JWKS sources


class JwksSource(Protocol):
    """Where the external identity provider's public keys come from (sync)."""

    def keys(self) -> list[dict]: ...

    def key(self, kid: str) -> dict | None: ...


class StaticJwks:
    """A fixed key set (tests, or a JWKS file given by the operator)."""

    def __init__(self, keys: Iterable[dict] | Mapping[str, Any]):
        if isinstance(keys, Mapping):
            keys = keys.get("keys", [])
        self._keys = [dict(k) for k in keys]

    def keys(self) -> list[dict]:
        return list(self._keys)

    def key(self, kid: str) -> dict | None:
        return next((k for k in self._keys if k.get("kid") == kid), None)


class HttpJwks:
    """An identity provider's JWKS fetched over HTTPS with httpx (sync, 5 s timeout),
    cached `ttl_seconds`; an unknown `kid` triggers one refetch, at most every
    `min_refetch_seconds`. On a failed fetch the previous keys stay in use.

    The fetch is blocking: it happens at most once per TTL (or per refetch interval)."""

    MAX_BYTES = 512 * 1024

    def __init__(
        self,
        url: str,
        ttl_seconds: float = 300,
        client: httpx.Client | None = None,
        *,
        min_refetch_seconds: float = 30,
        timeout_seconds: float = 5.0,
        clock: Any = time.monotonic,
    ):
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._client = client
        self._timeout = timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict] = []
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not

    def _fetch(self) -> None:
        self._attempted_at = self._clock()
        try:
            client = self._client or httpx.Client(timeout=self._timeout)
            try:
                response = client.get(self.url, timeout=self._timeout)
            finally:
                if self._client is None:
                    client.close()
            response.raise_for_status()
            if len(response.content) > self.MAX_BYTES:
                raise ValueError("JWKS too large")
            keys = response.json().get("keys")
            if not isinstance(keys, list):
                raise ValueError("JWKS without a 'keys' array")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("JWKS fetch from %s failed: %s", self.url, type(exc).__name__)
            return
        self._keys = [k for k in keys if isinstance(k, dict)]
        self._fetched_at = self._attempted_at

    def _recently_attempted(self) -> bool:
        return (
            self._attempted_at is not None
            and self._clock() - self._attempted_at < self.min_refetch_seconds
        )

    def refresh(self) -> None:
        """Fetch now (e.g. at start-up)."""
        with self._lock:
            self._fetch()

    def keys(self) -> list[dict]:
        with self._lock:
            stale = self._fetched_at is None or self._clock() - self._fetched_at >= self.ttl_seconds
            if stale and not self._recently_attempted():
                self._fetch()
            return list(self._keys)

    def key(self, kid: str) -> dict | None:
        found = next((k for k in self.keys() if k.get("kid") == kid), None)
        if found is not None:
            return found
        with self._lock:
            if self._recently_attempted():
                return None
            self._fetch()
            return next((k for k in self._keys if k.get("kid") == kid), None)


# ------------------------------------------------------------------------ the service


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
            usable = _usable_rsa_jwk(jwk)  # raises on an unusable configured key
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
            key = _verifier(found) if found is not None else None
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
