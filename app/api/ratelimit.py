"""Throttling of failed client authentications at the token endpoint (per replica).

Failures are counted per (source address, client id) and per source address, never per
client id alone: whoever guesses a client's secret from elsewhere cannot lock the client
out, and a caller with the correct secret from its own address is never refused for
someone else's failures. Only failures count; a success forgets its pair's failures."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000


class TokenFailureLimiter:
    def __init__(
        self, *, per_pair: int, per_address: int, window_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.per_pair = per_pair
        self.per_address = per_address
        self.window = window_seconds
        self.monotonic = monotonic
        self._failures: dict[tuple[str, ...], deque[float]] = {}

    def _keys(self, address: str, client_id: str | None) -> tuple[
        tuple[tuple[str, ...], int], tuple[tuple[str, ...], int]
    ]:
        return ((("pair", address, client_id or ""), self.per_pair),
                (("address", address), self.per_address))

    def retry_after(self, address: str, client_id: str | None) -> int | None:
        """Seconds to wait when the pair or the address has failed too often, else None."""
        now = self.monotonic()
        wait = 0.0
        for key, limit in self._keys(address, client_id):
            failures = self._failures.get(key)
            if not failures:
                continue
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) >= limit:
                wait = max(wait, failures[-limit] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, address: str, client_id: str | None) -> None:
        now = self.monotonic()
        if len(self._failures) >= MAX_KEYS:
            self._prune(now)
        for key, limit in self._keys(address, client_id):
            self._failures.setdefault(key, deque(maxlen=limit)).append(now)

    def succeeded(self, address: str, client_id: str | None) -> None:
        self._failures.pop(self._keys(address, client_id)[0][0], None)

    def _prune(self, now: float) -> None:
        stale = [key for key, failures in self._failures.items()
                 if not failures or failures[-1] <= now - self.window]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= MAX_KEYS:  # a flood of fresh keys: drop the oldest half
            for key in list(self._failures)[: MAX_KEYS // 2]:
                del self._failures[key]
