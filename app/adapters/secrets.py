"""Client secrets of the OAuth2 client-credentials grant: generated here, stored only as
argon2id hashes (DESIGN.md, Security). Verification never raises on a wrong secret."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's first argon2id configuration (19 MiB, 2 passes, 1 lane) rather than the
# library's 64 MiB default: a client secret is 256 random bits, not a password, and each
# hash's 64 MiB was most of a worker's peak memory. Hashes made with other parameters
# still verify (the PHC string carries them) and `needs_rehash` reports them.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_secret(secret: str) -> str:
    """An argon2id hash (PHC string, salt and parameters included) of `secret`."""
    return _hasher.hash(secret)


def verify_secret(hash: str, secret: str) -> bool:
    """True when `secret` matches `hash`; False on mismatch or an unreadable hash."""
    try:
        return _hasher.verify(hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError, TypeError):
        return False


def needs_rehash(hash: str) -> bool:
    """True when `hash` was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(hash)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def verify_against_nothing(secret: str) -> bool:
    """Spend the time of one verification and return False: call it for an unknown client
    id so that response time does not tell which client ids exist."""
    verify_secret(_dummy_hash(), secret)
    return False


def new_client_secret() -> str:
    """A fresh secret (256 bits, URL-safe), shown once to the operator then only hashed."""
    return secrets.token_urlsafe(32)


def new_client_id() -> str:
    """A fresh public client identifier (96 bits, lowercase hex)."""
    return secrets.token_hex(12)
