"""The convention's reference (dates, figures) as stored, and the process's cache of the
convention's clock that units of work share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from app.domain.convention import ConventionClock
from app.domain.reference import ConventionReference

# Staleness bound of a cached clock: another replica's amendment or notice is seen at
# most this long after its commit (this process's own changes at once).
CLOCK_TTL_SECONDS = 5.0


class ConventionRepository(Protocol):
    async def get(self) -> ConventionReference | None: ...
    async def add(self, ref: ConventionReference) -> None: ...
    async def set_size_figures(self, capacity_bytes: int, threshold_bytes: int) -> None: ...


class ConventionClockCache:
    """The convention's clock kept by one process for `ttl_seconds`, shared by its units
    of work (`uow.convention_cache`): the access check would otherwise read the
    reference, the amendments and the notices at every call.

    Correctness: the unit of work calls `invalidate()` after committing a change of
    amendments or notices, so this process sees its own changes at once; a load that
    began before an invalidation is not kept (generation check), so a clock read before
    a commit never outlives it; other replicas are bounded by the TTL. The TTL runs on a
    monotonic clock: it bounds real staleness, whatever the business clock says."""

    def __init__(
        self, ttl_seconds: float = CLOCK_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.ttl_seconds = ttl_seconds
        self._monotonic = monotonic
        self._generation = 0
        self._cached: tuple[ConventionClock, float] | None = None

    def get(self) -> ConventionClock | None:
        if self._cached is not None:
            clock, loaded_at = self._cached
            if self._monotonic() - loaded_at < self.ttl_seconds:
                return clock
        return None

    def begin_load(self) -> tuple[int, float]:
        """A ticket for `put`: the generation and the time a load starts."""
        return self._generation, self._monotonic()

    def put(self, ticket: tuple[int, float], clock: ConventionClock) -> None:
        generation, started_at = ticket
        if generation == self._generation:
            self._cached = (clock, started_at)

    def invalidate(self) -> None:
        self._generation += 1
        self._cached = None
