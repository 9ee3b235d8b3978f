"""Registered machine clients (OAuth 2.0 client credentials): their records, secrets and
tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ApiClient:
    client_id: str
    name: str
    secret_hash: str
    scopes: tuple[str, ...]
    schools: tuple[str, ...] | None
    created_at: datetime
    revoked_at: datetime | None


class ClientRepository(Protocol):
    async def get(self, client_id: str) -> ApiClient | None: ...
    async def add(self, client: ApiClient) -> None: ...
    async def list(self) -> list[ApiClient]: ...
    async def revoke(self, client_id: str, at: datetime) -> bool: ...


class ClientAuth(Protocol):
    """Secrets (argon2) and token issuing for registered machine clients."""

    lifetime_seconds: int

    def hash_secret(self, secret: str) -> str: ...
    def verify_secret(self, secret_hash: str, secret: str) -> bool: ...
    def verify_against_nothing(self, secret: str) -> bool: ...
    def new_client_id(self) -> str: ...
    def new_client_secret(self) -> str: ...
    def issue(
        self,
        *,
        subject: str,
        scopes: Sequence[str],
        client_id: str | None,
        schools: Sequence[str] | None,
        now: datetime,
    ) -> str: ...
