"""The convention: reference data and the clock built from what is stored (R-CONV-1, R-CONV-2,
R-CONV-3, R-CONV-4, R-CONV-5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.convention import ConventionClock, ConventionStatus, Terms
from app.domain.errors import NotFound
from app.domain.reference import ConventionReference
from app.ports.unit_of_work import UnitOfWork


async def load_clock(uow: UnitOfWork, *, fresh: bool = False) -> ConventionClock:
    """The convention's clock from the stored initial terms, amendments and termination
    notices (R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5). Every rule needing terms, state or access end
    calls this.
    Served from the process's cache (`ConventionClockCache`) when the unit of work has
    one and it is fresh; `fresh` reads the stored records (a change under the lifecycle
    lock checks against what is committed, not a cached copy)."""
    cache = uow.convention_cache
    if fresh or uow.lifecycle.clock_changed:
        cache = None  # this transaction changed amendments or notices: read them back
    if cache is not None:
        cached = cache.get()
        if cached is not None:
            return cached
        ticket = cache.begin_load()
    ref = await _reference(uow)
    clock = ConventionClock(
        initial_terms=initial_terms(ref),
        effective_from=ref.effective_from,
        amendments=[a.amendment for a in await uow.lifecycle.amendments()],
        notices=[n.notice for n in await uow.lifecycle.notices()],
        termination_reading=uow.rules.termination_access_end,
    )
    if cache is not None:
        cache.put(ticket, clock)
    return clock


def initial_terms(ref: ConventionReference) -> Terms:
    return Terms(
        ends_on=ref.ends_on,
        storage_capacity_bytes=ref.storage_capacity_bytes,
        school_alert_threshold_bytes=ref.school_alert_threshold_bytes,
        rate_per_student_cents=ref.rate_per_student_cents,
        currency=ref.currency,
    )


async def _reference(uow: UnitOfWork) -> ConventionReference:
    ref = await uow.convention.get()
    if ref is None:
        raise NotFound("the convention's reference data are not loaded (run the seed)")
    return ref


@dataclass(frozen=True)
class ConventionView:
    reference: ConventionReference
    status: ConventionStatus


async def convention_on(uow: UnitOfWork, on: date) -> ConventionView:
    async with uow:
        ref = await _reference(uow)
        clock = await load_clock(uow)
        return ConventionView(reference=ref, status=clock.status_on(on))
