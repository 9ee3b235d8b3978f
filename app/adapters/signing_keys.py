"""Our RSA signing keys and the public JWKs that verify tokens: RS256 only, at least
2048 bits, `kid` the RFC 7638 thumbprint.

Development keys: `load_or_create_dev_key` writes the PEM with `DEV_KEY_MARKER` as its
first line (PEM readers skip text before `-----BEGIN`). `is_dev_key(path)` is true for a
file starting with the marker or a path under `./var/`; `SigningKey.development` carries
the same fact, so production mode can refuse to start with such a key."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk as jose_jwk
from jose.exceptions import JOSEError

ALGORITHM = "RS256"
MIN_RSA_BITS = 2048
DEV_KEY_MARKER = b"# convention-api DEVELOPMENT signing key - never use in production\n"
DEV_KEY_DIR = Path("var")


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
        return [usable_rsa_jwk(k) for k in keys]
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


def usable_rsa_jwk(jwk: Any) -> dict:
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


def rs256_verifier(jwk: dict) -> Any:
    """A python-jose RSA key object bound to RS256, or None if the JWK is unusable."""
    try:
        return jose_jwk.construct(usable_rsa_jwk(jwk), ALGORITHM)
    except (ValueError, JOSEError, TypeError, KeyError):
        return None
