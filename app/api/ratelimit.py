"""A small in-process sliding-window limiter (per replica) for the token endpoint."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindowLimiter:
    def __init__(
        self, limit: int, window_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window_seconds
        self.monotonic = monotonic
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, *keys: str) -> int | None:
        """Count one attempt under every key; the seconds to wait when any is over."""
        now = self.monotonic()
        wait = 0.0
        for key in keys:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                wait = max(wait, hits[0] + self.window - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        for key in keys:
            self._hits[key].append(now)
        if len(self._hits) > 10_000:
            for key in [k for k, v in self._hits.items() if not v]:
                del self._hits[key]
        return None
