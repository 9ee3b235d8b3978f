"""R-SUP-1, R-SUP-2: the SLA state has one rule (`app.domain.support.sla_state`) and one
SQL twin for list filters (`_sla_condition` in app/adapters/db/support_repo.py, fed by
`app.services.support.sla_filter`). One parametrised test runs both on the same
generated requests and instants, on SQLite and PostgreSQL, and requires the same answers.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.calendar import Closure, WorkingCalendar
from app.domain.opening_hours import DeadlineReading, response_due_at
from app.domain.support import SlaState, SupportRequest, SupportStatus, sla_state
from app.services.support import SupportPolicy, opening_clock, sla_filter

# Over the spring DST change, Easter Monday (6 April 2026) and a UT closure.
START = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
SPAN_SECONDS = 30 * 86400
CALENDAR = WorkingCalendar([Closure(date(2026, 3, 30), date(2026, 3, 31), "Fermeture")])
CASES = 160


def generated(seed: int, clock, policy: SupportPolicy) -> list[SupportRequest]:
    rng = random.Random(seed)
    requests = []
    for n in range(CASES):
        received = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        due = response_due_at(received, clock, policy.reading)
        status = rng.choice(list(SupportStatus))
        answered = status is SupportStatus.answered or (
            status is SupportStatus.closed and rng.random() < 0.5)
        responded = None
        if answered:
            # Around the deadline, and sometimes exactly on it.
            responded = rng.choice([due, due + timedelta(seconds=rng.randrange(-4, 5) * 3600)])
            responded = max(responded, received)
        requests.append(SupportRequest(
            id=f"{seed:02d}-{n:04d}", message_id=f"<twin-{seed}-{n}@ifsi.example>",
            content_sha256="0" * 64, received_at=received, from_email="s@ifsi.example",
            subject="Accès", school_code="ifms-rodez", response_due_at=due, status=status,
            responded_at=responded,
            closed_at=(max(received, responded or received) + timedelta(hours=1)
                       if status is SupportStatus.closed else None),
            business_seconds_to_response=None, created_at=received,
        ))
    return requests


def instants(seed: int, requests: list[SupportRequest], clock, policy) -> list[datetime]:
    """Random instants, each deadline itself, and the instants where exactly the at-risk
    share of the budget is left (the boundary of `at_risk`)."""
    rng = random.Random(seed + 1000)
    chosen = [START + timedelta(seconds=rng.randrange(SPAN_SECONDS + 10 * 86400))
              for _ in range(6)]
    picks = rng.sample(requests, 4)
    chosen += [r.response_due_at for r in picks]
    chosen += [clock.add(r.received_at, policy.budget_seconds - policy.risk_threshold_seconds())
               for r in picks]
    return chosen


@pytest.mark.parametrize("reading", list(DeadlineReading))
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_r_sup_1_the_sql_twin_gives_the_sla_states_of_the_domain_function(
    uow_factory, seed, reading
):
    policy = SupportPolicy(reading=reading)
    clock = opening_clock(CALENDAR)
    requests = generated(seed, clock, policy)
    async with uow_factory() as uow:
        for request in requests:
            assert await uow.support_requests.add(request)
        await uow.commit()

    compared, seen = 0, set()
    for now in instants(seed, requests, clock, policy):
        expected = {
            r.id: sla_state(status=r.status, received_at=r.received_at,
                            response_due_at=r.response_due_at, responded_at=r.responded_at,
                            now=now, clock=clock, budget_seconds=policy.budget_seconds,
                            at_risk_ratio=policy.at_risk_ratio)
            for r in requests
        }
        seen |= set(expected.values())
        for state in SlaState:
            async with uow_factory() as uow:
                found = await uow.support_requests.list(
                    status=None, school_codes=None, after_id=None, limit=10_000,
                    sla=sla_filter(state, now=now, clock=clock, policy=policy),
                )
            assert sorted(r.id for r in found) == sorted(
                i for i, s in expected.items() if s is state), (state, now)
            compared += len(found)
    assert seen >= set(SlaState)  # the cases reach every state
    assert compared > CASES
