"""Where an external identity provider's public keys come from: a fixed set, or its
JWKS fetched over HTTPS and cached."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import httpx

log = logging.getLogger(__name__)


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
