"""`Idempotency-Key` records (DESIGN.md, HTTP contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IdempotencyRecord:
    """A claimed `Idempotency-Key`: in progress, or completed with the stored response."""

    method: str
    path: str
    body_sha256: str
    state: str  # in_progress | completed
    expires_at: datetime
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


class IdempotencyStore(Protocol):
    """Idempotency keys per client (DESIGN.md, HTTP contract). Each call runs in its own
    short, committed transaction, never in the business transaction."""

    async def claim(
        self,
        *,
        client_key: str,
        key: str,
        method: str,
        path: str,
        body_sha256: str,
        now: datetime,
        expires_at: datetime,
        stale_before: datetime,
    ) -> IdempotencyRecord | None:
        """Claim the key (state in_progress, claimed at `now`); None when claimed, else
        the record that holds it. Expired keys (expires_at ≤ now) are purged first, so
        they are claimed anew; so is a claim still in progress since `stale_before` or
        earlier (its lease ran out: the process that held it died)."""
        ...

    async def complete(
        self,
        *,
        client_key: str,
        key: str,
        claimed_at: datetime,
        status_code: int,
        headers: dict[str, str],
        body: str,
    ) -> None:
        """Store the response of the claim made at `claimed_at`; nothing when that claim
        was taken over meanwhile."""
        ...

    async def release(self, *, client_key: str, key: str, claimed_at: datetime) -> None:
        """Drop the in-progress claim made at `claimed_at`, so that the client can retry."""
        ...
