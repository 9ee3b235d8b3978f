"""The ClientAuth and token-verification ports, backed by argon2 and the token service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.adapters import secrets
from app.adapters.tokens import TokenError, TokenService
from app.domain.auth import Principal
from app.domain.errors import Unauthenticated
from app.ports.clock import Clock


class TokenClientAuth:
    def __init__(self, tokens: TokenService):
        self.tokens = tokens
        self.lifetime_seconds = int(tokens.lifetime.total_seconds())

    def hash_secret(self, secret: str) -> str:
        return secrets.hash_secret(secret)

    def verify_secret(self, secret_hash: str, secret: str) -> bool:
        return secrets.verify_secret(secret_hash, secret)

    def verify_against_nothing(self, secret: str) -> bool:
        return secrets.verify_against_nothing(secret)

    def new_client_id(self) -> str:
        return secrets.new_client_id()

    def new_client_secret(self) -> str:
        return secrets.new_client_secret()

    def issue(
        self, *, subject: str, scopes: Sequence[str], client_id: str | None,
        schools: Sequence[str] | None, now: datetime,
    ) -> str:
        return self.tokens.issue(
            subject=subject, scopes=scopes, client_id=client_id, schools=schools, now=now
        )


def token_verifier(tokens: TokenService, clock: Clock):
    """One verification function for the HTTP edge: Principal, or Unauthenticated.

    Expiry is checked against the service's clock (tests move time by passing a clock)."""

    def verify(token: str) -> Principal:
        try:
            return tokens.verify(token, now=clock.now())
        except TokenError as exc:
            raise Unauthenticated(exc.detail) from None

    return verify
