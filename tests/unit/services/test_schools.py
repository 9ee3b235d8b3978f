"""Beneficiary schools (R-SCH-1, R-CONV-2a): periods, status, reads, creation, changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.access import SuspensionScope
from app.domain.convention import Amendment, TermChanges
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.schools import BeneficiaryPeriod, SchoolStatus
from app.domain.suspensions import Ground, Suspension, SuspensionStatus
from app.services import schools
from tests.fakes import FakeClock
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff


async def _amend(uow: FakeUnitOfWork, reference: str, effective_on: date, *,
                 removes: tuple[str, ...] = ()) -> None:
    async with uow:
        await uow.lifecycle.add_amendment(
            Amendment(reference, effective_on, effective_on, TermChanges(),
                      removes_school_codes=removes),
            schools_added=None, now=datetime(2025, 1, 1, tzinfo=UTC),
        )
        await uow.commit()


async def _create(uow: FakeUnitOfWork, clock: FakeClock, code: str, reference: str, **kw):
    return await schools.create_school(
        uow, clock, actor_of(kw.pop("principal", None)), code=code, name="IFSI Nouveau",
        group=None, sites=("Cahors",), amendment_reference=reference,
    )


async def test_a_school_added_by_amendment_is_a_beneficiary_from_its_effective_date(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    await _amend(seeded, "AV-1", date(2028, 2, 29))
    await _amend(seeded, "AV-2", date(2026, 9, 1), removes=("ifms-albi",))
    await _create(seeded, clock, "ifsi-cahors", "AV-1")
    async with seeded:
        periods = await schools.beneficiary_periods(seeded, ["ifsi-cahors", "ifms-albi"])
        rodez = await schools.beneficiary_of(
            seeded, "ifms-rodez", [r.amendment for r in await seeded.lifecycle.amendments()]
        )
        unknown = await schools.beneficiary_of(seeded, "ifms-nowhere", [])
    assert periods == {
        "ifsi-cahors": BeneficiaryPeriod(beneficiary_from=date(2028, 2, 29)),
        "ifms-albi": BeneficiaryPeriod(beneficiary_until=date(2026, 8, 31)),
    }
    assert rodez == unknown == BeneficiaryPeriod()


async def test_a_school_is_suspended_only_while_a_whole_school_platform_suspension_runs(
    seeded: FakeUnitOfWork,
):
    starts = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Paris DST weekend
    lifted = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    suspension = Suspension(
        "s-1", "ifms-rodez", Ground.SECURITY_THREAT, SuspensionScope.PLATFORM, None, None,
        starts, None, None, "", SuspensionStatus.ACTIVE, None, None, lifted, "lift-1", starts,
    )
    async with seeded:
        await seeded.lifecycle.add_suspension(suspension)
        await seeded.commit()
    statuses = [
        await schools.school_status(seeded, "ifms-rodez", at)
        for at in (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), starts, lifted)
    ]
    assert statuses == [
        SchoolStatus.ACTIVE, SchoolStatus.SUSPENDED, SchoolStatus.ACTIVE
    ]
    assert await schools.school_status(seeded, "ifms-albi", starts) is SchoolStatus.ACTIVE


async def test_a_referent_lists_and_reads_its_own_schools_only(seeded: FakeUnitOfWork):
    mine = referent("ifms-rodez", "ifms-albi")
    listed = await schools.list_schools(seeded, mine, after=None, limit=10)
    assert [s.code for s in listed] == ["ifms-albi", "ifms-rodez"]
    paged = await schools.list_schools(seeded, staff(), after="ifms-albi", limit=2)
    assert [s.code for s in paged] == ["ifms-auch", "ifms-castres-mazamet"]
    assert (await schools.get_school(seeded, mine, "ifms-rodez")).code == "ifms-rodez"
    for code in ("ifms-tarbes", "ifms-nowhere"):
        with pytest.raises(NotFound, match="no such school"):
            await schools.get_school(seeded, mine, code)


async def test_a_school_is_created_citing_a_recorded_amendment(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    await _amend(seeded, "AV-1", date(2027, 1, 1))
    school = await _create(seeded, clock, "ifsi-cahors", "AV-1")
    assert seeded.schools.rows["ifsi-cahors"] == school
    assert (school.version, school.created_at) == (1, clock.now())
    assert seeded.audit.actions() == ["school.created"]


@pytest.mark.parametrize(
    ("code", "reference", "error", "problem"),
    [
        ("ifms-rodez", "AV-1", Conflict, "school-exists"),
        ("ifsi-cahors", "AV-9", Conflict, "unknown-amendment"),
        ("Not A Code", "AV-1", InvalidInput, None),
    ],
)
async def test_a_school_creation_refused_changes_nothing(
    seeded: FakeUnitOfWork, clock: FakeClock, code, reference, error, problem
):
    await _amend(seeded, "AV-1", date(2027, 1, 1))
    before = dict(seeded.schools.rows)
    with pytest.raises(error) as refused:
        await _create(seeded, clock, code, reference)
    assert problem is None or refused.value.code == problem
    assert seeded.schools.rows == before and seeded.audit.events == []


async def test_a_confined_caller_cannot_create_a_school(seeded: FakeUnitOfWork, clock):
    await _amend(seeded, "AV-1", date(2027, 1, 1))
    with pytest.raises(Forbidden):
        await _create(seeded, clock, "ifsi-cahors", "AV-1", principal=referent("ifms-rodez"))
    assert "ifsi-cahors" not in seeded.schools.rows


async def test_an_update_bumps_the_version_under_a_matching_precondition_only(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    clock.set("2026-10-25T01:30:00+00:00")  # the night Paris leaves summer time
    updated = await schools.update_school(
        seeded, clock, actor_of(), "ifms-rodez", expected=Precondition.version(1),
        changes={"name": "IFMS de Rodez"},
    )
    assert (updated.version, updated.updated_at) == (2, clock.now())
    assert seeded.schools.rows["ifms-rodez"].name == "IFMS de Rodez"
    with pytest.raises(PreconditionFailed):
        await schools.update_school(
            seeded, clock, actor_of(), "ifms-rodez", expected=Precondition.version(1),
            changes={"name": "Autre"},
        )
    assert seeded.schools.rows["ifms-rodez"].version == 2
    assert seeded.audit.actions() == ["school.updated"]


async def test_an_update_without_changes_returns_the_school_unchanged(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    same = await schools.update_school(
        seeded, clock, actor_of(), "ifms-albi", expected=Precondition(any_version=True),
        changes={},
    )
    assert same.version == 1 and seeded.audit.events == [] and seeded.commits == 0


async def test_another_schools_update_answers_as_a_missing_one(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    with pytest.raises(NotFound, match="no such school"):
        await schools.update_school(
            seeded, clock, actor_of(referent("ifms-rodez")), "ifms-albi",
            expected=Precondition(any_version=True), changes={"name": "X"},
        )
    assert seeded.schools.rows["ifms-albi"].version == 1
