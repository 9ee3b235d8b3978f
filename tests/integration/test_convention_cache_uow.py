"""The process's cached convention clock inside one unit of work: a transaction that
changes amendments or notices reads them back (the cache is bypassed), and other units of
work see the change once it is committed, not before."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.convention import Amendment, TermChanges
from app.services.convention import load_clock

NOW = datetime(2026, 3, 3, 9, tzinfo=UTC)
SEPTEMBER = date(2026, 9, 1)
AMENDMENT = Amendment("AV-UOW", date(2026, 2, 1), SEPTEMBER,
                      TermChanges(rate_per_student_cents=2500))



async def _rate(uow_factory: SqlUnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return (await load_clock(uow)).terms_on(SEPTEMBER).rate_per_student_cents


async def test_a_transaction_that_adds_an_amendment_reads_it_back_past_the_cache(uow_factory):
    assert await _rate(uow_factory) == 2200  # the clock is now cached
    async with uow_factory() as uow:
        await uow.lifecycle.add_amendment(AMENDMENT, schools_added=None, now=NOW)
        inside = (await load_clock(uow)).terms_on(SEPTEMBER).rate_per_student_cents
        assert inside == 2500
        assert await _rate(uow_factory) == 2200  # not committed: others still see the old
        await uow.commit()
    assert await _rate(uow_factory) == 2500


async def test_a_rolled_back_amendment_leaves_the_cached_clock_as_it_was(uow_factory):
    assert await _rate(uow_factory) == 2200
    async with uow_factory() as uow:
        await uow.lifecycle.add_amendment(AMENDMENT, schools_added=None, now=NOW)
        assert (await load_clock(uow)).terms_on(SEPTEMBER).rate_per_student_cents == 2500
        await uow.rollback()
    assert await _rate(uow_factory) == 2200
