"""The process's cache of the convention clock (app/services/convention.py): fresh for a
TTL on a monotonic clock, dropped by `invalidate()`, and a load begun before an
invalidation is never kept."""

from __future__ import annotations

from app.domain.convention import ConventionClock
from app.ports.convention import ConventionClockCache


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_stored_clock_is_served_until_the_ttl_has_passed():
    ticking = Ticking()
    cache = ConventionClockCache(ttl_seconds=5, monotonic=ticking)
    clock = ConventionClock()
    cache.put(cache.begin_load(), clock)
    ticking.now += 4.9
    assert cache.get() is clock
    ticking.now += 0.1
    assert cache.get() is None


def test_the_ttl_counts_from_the_start_of_the_load():
    ticking = Ticking()
    cache = ConventionClockCache(ttl_seconds=5, monotonic=ticking)
    ticket = cache.begin_load()
    ticking.now += 3  # a slow load
    cache.put(ticket, ConventionClock())
    ticking.now += 2
    assert cache.get() is None


def test_an_invalidation_drops_the_stored_clock():
    cache = ConventionClockCache(ttl_seconds=5, monotonic=Ticking())
    cache.put(cache.begin_load(), ConventionClock())
    cache.invalidate()
    assert cache.get() is None


def test_a_load_begun_before_an_invalidation_is_not_kept():
    cache = ConventionClockCache(ttl_seconds=5, monotonic=Ticking())
    ticket = cache.begin_load()  # reads the amendments as they were
    cache.invalidate()  # another unit of work commits an amendment
    cache.put(ticket, ConventionClock())
    assert cache.get() is None
    fresh = ConventionClock()
    cache.put(cache.begin_load(), fresh)
    assert cache.get() is fresh


def test_nothing_is_served_before_a_first_load():
    assert ConventionClockCache(monotonic=Ticking()).get() is None
