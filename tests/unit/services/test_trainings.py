"""Referent trainings (R-REF-2): listing with the overdue flag, proposal, completion."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.trainings import Training, TrainingStatus
from app.services import trainings
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

# 2024-03-31 00:30 in Paris is still 2024-03-30 22:30 UTC (a DST night).
PARIS_MIDNIGHT_PAST = "2024-03-30T23:30:00+00:00"


def _training(training_id: str, school: str, *, due_on: date, proposed_on: date | None = None,
              status: TrainingStatus = TrainingStatus.DUE) -> Training:
    return Training(
        id=training_id, uid=f"u-{training_id}", school_code=school, role_id=f"r-{training_id}",
        daip_notified_on=date(2024, 2, 29), due_on=due_on, status=status,
        proposed_on=proposed_on, session_on=proposed_on, completed_on=None,
        created_at=datetime(2024, 2, 29, 10, tzinfo=UTC),
    )


@pytest.fixture
async def stored(seeded: FakeUnitOfWork) -> FakeUnitOfWork:
    async with seeded:
        for t in (
            _training("t1", "ifms-rodez", due_on=date(2024, 3, 21)),
            _training("t2", "ifms-rodez", due_on=date(2024, 3, 31)),
            _training("t3", "ifms-albi", due_on=date(2024, 3, 21), proposed_on=date(2024, 3, 22),
                      status=TrainingStatus.PROPOSED),
        ):
            await seeded.trainings.add(t)
        await seeded.commit()
    return seeded


async def _ids(uow, clock, principal, **kw) -> list[str]:
    args = {"status": None, "overdue": None, "school_code": None, "after_id": None,
            "limit": 10} | kw
    items, _ = await trainings.list_trainings(uow, clock, principal, **args)
    return [t.id for t in items]


async def test_overdue_is_judged_on_the_paris_day(stored: FakeUnitOfWork):
    clock = FakeClock(PARIS_MIDNIGHT_PAST)
    items, today = await trainings.list_trainings(
        stored, clock, staff(), status=None, overdue=True, school_code=None, after_id=None,
        limit=10,
    )
    assert today == date(2024, 3, 31)
    assert [t.id for t in items] == ["t1", "t3"]  # t3 was proposed after its due day
    assert await _ids(stored, clock, staff(), overdue=False) == ["t2"]


async def test_a_referent_lists_its_schools_trainings_only(stored: FakeUnitOfWork, clock):
    rodez = referent("ifms-rodez")
    assert await _ids(stored, clock, rodez) == ["t1", "t2"]
    assert await _ids(stored, clock, rodez, school_code="ifms-albi") == []
    assert await _ids(stored, clock, staff(), status=TrainingStatus.PROPOSED) == ["t3"]
    assert await _ids(stored, clock, staff(), after_id="t1", limit=1) == ["t2"]


async def test_a_proposal_defaults_to_the_paris_day_and_is_audited(stored: FakeUnitOfWork):
    clock = FakeClock(PARIS_MIDNIGHT_PAST)
    done = await trainings.propose(
        stored, clock, actor_of(), "t2", proposed_on=None, session_on=date(2024, 4, 2)
    )
    assert (done.status, done.proposed_on) == (TrainingStatus.PROPOSED, date(2024, 3, 31))
    assert stored.trainings.rows["t2"] == done
    assert stored.audit.actions() == ["training.proposed"]
    again = await trainings.propose(
        stored, clock, actor_of(), "t2", proposed_on=None, session_on=date(2024, 4, 2)
    )
    assert again == done and stored.audit.actions() == ["training.proposed"]
    with pytest.raises(Conflict) as other:
        await trainings.propose(
            stored, clock, actor_of(), "t2", proposed_on=None, session_on=date(2024, 4, 3)
        )
    assert other.value.code == "invalid-transition"


@pytest.mark.parametrize(
    ("proposed_on", "session_on", "code"),
    [
        (date(2024, 4, 1), date(2024, 4, 2), "date-in-future"),
        (date(2024, 2, 28), date(2024, 3, 1), "out-of-order"),  # before DAIP's 29 Feb
        (date(2024, 3, 20), date(2024, 3, 19), "out-of-order"),
    ],
)
async def test_a_proposal_with_dates_out_of_order_changes_nothing(
    stored: FakeUnitOfWork, proposed_on, session_on, code
):
    clock = FakeClock(PARIS_MIDNIGHT_PAST)
    with pytest.raises(InvalidInput) as refused:
        await trainings.propose(
            stored, clock, actor_of(), "t1", proposed_on=proposed_on, session_on=session_on
        )
    assert refused.value.code == code
    assert stored.trainings.rows["t1"].status is TrainingStatus.DUE
    assert stored.audit.events == []


async def test_completion_follows_a_proposal_only(stored: FakeUnitOfWork):
    clock = FakeClock(PARIS_MIDNIGHT_PAST)
    with pytest.raises(Conflict, match="proposed before"):
        await trainings.complete(stored, clock, actor_of(), "t1", completed_on=None)
    with pytest.raises(InvalidInput) as early:
        await trainings.complete(stored, clock, actor_of(), "t3", completed_on=date(2024, 3, 21))
    assert early.value.code == "out-of-order"
    done = await trainings.complete(stored, clock, actor_of(), "t3", completed_on=None)
    assert (done.status, done.completed_on) == (TrainingStatus.COMPLETED, date(2024, 3, 31))
    assert await trainings.complete(stored, clock, actor_of(), "t3", completed_on=None) == done
    with pytest.raises(Conflict) as other:
        await trainings.complete(
            stored, clock, actor_of(), "t3", completed_on=date(2024, 3, 30)
        )
    assert other.value.code == "invalid-transition"
    assert stored.audit.actions() == ["training.completed"]


async def test_another_schools_training_answers_as_a_missing_one(stored: FakeUnitOfWork, clock):
    for training_id in ("t3", "t9"):
        with pytest.raises(NotFound, match="no such training"):
            await trainings.propose(
                stored, clock, actor_of(referent("ifms-rodez")), training_id,
                proposed_on=None, session_on=date(2025, 3, 4),
            )
    assert stored.trainings.rows["t3"].status is TrainingStatus.PROPOSED
