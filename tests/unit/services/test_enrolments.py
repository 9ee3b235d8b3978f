"""Students (R-ACC-6, R-ACC-6a, R-ACC-7, R-BIL-1): windows, batches, one enrolment,
listing and the census."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.domain.accounts import RoleKind
from app.domain.enrolments import EnrolmentRequest, EnrolmentStatus, ItemError
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from app.domain.preconditions import Precondition
from app.domain.rules import DEFAULT_RULES
from app.services import enrolments
from app.services.enrolments import batches as enrolment_batches
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

# 2025-02-28 is the last day of 2024/25's semester-2 window (not a leap year).
CALL = "2025-03-01T09:00:00+00:00"


def _item(number: str, school: str = "ifms-rodez", **changes) -> EnrolmentRequest:
    values = {"student_number": number, "school_code": school, "academic_year": 2024,
              "enrolled_on": date(2024, 10, 31), "given_name": "Léa", "family_name": "Petit",
              "email": f"{number}@etu.fr"}
    return EnrolmentRequest(**(values | changes))


async def _batch(uow, items, *, principal=None, dry_run=False, clock=None):
    return await enrolments.enrol_batch(uow, clock or FakeClock(CALL), actor_of(principal),
                                        items, dry_run=dry_run)


def test_an_academic_year_label_is_parsed_or_refused():
    assert enrolments.parse_year("2024-2025") == 2024
    with pytest.raises(InvalidInput):
        enrolments.parse_year("2024-2026")


async def test_a_batch_creates_accounts_and_enrolments_and_repeats_as_duplicates(
    seeded: FakeUnitOfWork,
):
    items = [_item("S1"), _item("S2", transfer=True, enrolled_on=date(2025, 2, 28))]
    outcome = await _batch(seeded, items)
    assert (outcome.created, outcome.accounts_created) == (2, 2)
    uids = {r.uid for r in outcome.results}
    assert uids == set(seeded.accounts.rows)
    assert {a.student_number for a in seeded.accounts.rows.values()} == {"S1", "S2"}
    again = await _batch(seeded, items)
    assert (again.duplicates, again.created) == (2, 0)
    assert seeded.audit.actions() == ["enrolments.received"]


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (_item("S1", enrolled_on=date(2024, 11, 1)), "enrolment-window-closed"),
        (_item("S1", transfer=True, enrolled_on=date(2024, 10, 31)), "enrolment-window-closed"),
        (_item("S1", enrolled_on=date(2025, 3, 2), academic_year=2025), "enrolment-in-future"),
        (_item("S1", school="ifms-nowhere"), "unknown-school"),
    ],
)
async def test_an_item_against_the_rules_is_rejected_and_the_others_kept(
    seeded: FakeUnitOfWork, item, code
):
    outcome = await _batch(seeded, [item, _item("S2")])
    assert [r.status for r in outcome.results] == [
        enrolments.ItemStatus.REJECTED, enrolments.ItemStatus.CREATED
    ]
    assert outcome.results[0].errors[0].code == code
    assert [e.student_number for e in seeded.enrolments.rows.values()] == ["S2"]


async def test_a_malformed_item_is_rejected_as_it_came(seeded: FakeUnitOfWork):
    malformed = (ItemError("invalid-email", "not an e-mail", "email"),)
    outcome = await _batch(seeded, [malformed])
    assert outcome.results[0].errors == malformed and seeded.enrolments.rows == {}


async def test_another_schools_item_answers_as_an_unknown_school(seeded: FakeUnitOfWork):
    outcome = await _batch(seeded, [_item("S1", "ifms-albi")], principal=referent("ifms-rodez"))
    assert outcome.results[0].errors[0].code == "unknown-school"


async def test_an_existing_account_is_reused_and_an_erased_one_never(seeded: FakeUnitOfWork):
    await store_account(seeded, "abc1234d", (RoleKind.TRAINER, "ifms-rodez",
                                             date(2024, 9, 2), date(2025, 8, 31)))
    await store_account(seeded, "zzz9999z", erased=True)
    outcome = await _batch(seeded, [_item("S1", uid="abc1234d"), _item("S2", uid="zzz9999z")])
    assert outcome.results[0].uid == "abc1234d" and outcome.accounts_created == 0
    assert seeded.accounts.rows["abc1234d"].student_number == "S1"
    assert outcome.results[1].errors[0].code == "uid-erased"
    conflict = await _batch(seeded, [_item("S3", uid="abc1234d", academic_year=2024)])
    assert conflict.results[0].errors[0].code == "uid-conflict"


async def test_another_enrolment_for_the_same_year_is_a_conflict(seeded: FakeUnitOfWork):
    await _batch(seeded, [_item("S1")])
    outcome = await _batch(seeded, [_item("S1", enrolled_on=date(2024, 10, 30))])
    assert outcome.results[0].errors[0].code == "enrolment-conflict"


async def test_a_dry_run_stores_nothing(seeded: FakeUnitOfWork):
    outcome = await _batch(seeded, [_item("S1")], dry_run=True)
    assert outcome.created == 1
    assert seeded.enrolments.rows == {} and seeded.accounts.rows == {}


async def test_an_import_runs_batches_and_indexes_over_the_whole_list(
    seeded: FakeUnitOfWork, monkeypatch
):
    monkeypatch.setattr(enrolment_batches, "MAX_BATCH_ITEMS", 2)
    sizes: list[int] = []
    total = await enrolments.import_enrolments(
        lambda: seeded, FakeClock(CALL), actor_of(),
        [_item("S1"), _item("S2"), _item("S3", school="ifms-nowhere")],
        on_batch=lambda outcome, size: sizes.append(size),
    )
    assert sizes == [2, 1]
    assert [r.index for r in total.results] == [0, 1, 2]
    assert (total.created, total.rejected, total.accounts_created) == (2, 1, 2)


async def test_windows_default_change_under_a_precondition_and_move_the_census(
    seeded: FakeUnitOfWork,
):
    clock = FakeClock(CALL)
    assert (await enrolments.get_windows(seeded, clock, 2025)).main_closes_on == date(2025, 10, 31)
    changed = await enrolments.change_windows(
        seeded, clock, actor_of(), 2025, expected=Precondition.version(0),
        main_opens_on=date(2025, 7, 1), main_closes_on=date(2025, 11, 15),
        s2_opens_on=date(2026, 1, 1), s2_closes_on=date(2026, 2, 28), census_on=None,
    )
    assert (changed.version, changed.main_closes_on) == (1, date(2025, 11, 15))
    assert seeded.audit.events[-1].changes["census_on"] == {
        "old": "2025-10-31", "new": "2025-11-15"
    }
    retry = await enrolments.change_windows(
        seeded, clock, actor_of(), 2025, expected=Precondition.version(0),
        main_opens_on=date(2025, 7, 1), main_closes_on=date(2025, 11, 15),
        s2_opens_on=date(2026, 1, 1), s2_closes_on=date(2026, 2, 28), census_on=None,
    )
    assert retry == changed
    with pytest.raises(PreconditionFailed):
        await enrolments.change_windows(
            seeded, clock, actor_of(), 2025, expected=Precondition.version(0),
            main_opens_on=date(2025, 7, 1), main_closes_on=date(2025, 11, 20),
            s2_opens_on=date(2026, 1, 1), s2_closes_on=date(2026, 2, 28), census_on=None,
        )
    with pytest.raises(Forbidden):
        await enrolments.change_windows(
            seeded, clock, actor_of(referent("ifms-rodez")), 2025,
            expected=Precondition(any_version=True), main_opens_on=date(2025, 7, 1),
            main_closes_on=date(2025, 11, 20), s2_opens_on=date(2026, 1, 1),
            s2_closes_on=date(2026, 2, 28), census_on=None,
        )
    assert seeded.enrolments.windows[2025].version == 1


async def test_a_year_outside_the_convention_is_refused(seeded: FakeUnitOfWork):
    with pytest.raises(Conflict) as refused:
        await enrolments.get_windows(seeded, FakeClock(CALL), 2031)
    assert refused.value.code == "convention-not-active"


async def test_one_enrolment_is_read_cancelled_and_listed(seeded: FakeUnitOfWork):
    clock = FakeClock(CALL)
    created = await _batch(seeded, [_item("S1"), _item("S2", "ifms-albi")])
    first = created.results[0].enrolment_id
    assert (await enrolments.get_enrolment(seeded, staff(), first)).student_number == "S1"
    with pytest.raises(NotFound, match="no such enrolment"):
        await enrolments.get_enrolment(seeded, referent("ifms-albi"), first)
    with pytest.raises(InvalidInput) as ahead:
        await enrolments.cancel_enrolment(seeded, clock, actor_of(), first,
                                          cancelled_on=date(2025, 3, 2))
    assert ahead.value.code == "enrolment-in-future"
    done = await enrolments.cancel_enrolment(seeded, clock, actor_of(), first,
                                             cancelled_on=date(2024, 12, 31))
    assert (done.status, done.cancelled_on) == (EnrolmentStatus.CANCELLED, date(2024, 12, 31))
    assert await enrolments.cancel_enrolment(seeded, clock, actor_of(), first,
                                             cancelled_on=date(2024, 12, 31)) == done
    with pytest.raises(Conflict):
        await enrolments.cancel_enrolment(seeded, clock, actor_of(), first,
                                          cancelled_on=date(2025, 1, 2))
    listed = await enrolments.list_enrolments(
        seeded, clock, referent("ifms-rodez"), academic_year=2024, school_code=None,
        status=EnrolmentStatus.CANCELLED, after_id=None, limit=10,
    )
    assert [e.id for e in listed] == [first]
    assert await enrolments.list_enrolments(
        seeded, clock, referent("ifms-rodez"), academic_year=None, school_code="ifms-albi",
        status=None, after_id=None, limit=10,
    ) == []


async def test_the_census_counts_on_the_close_of_the_main_campaign(seeded: FakeUnitOfWork):
    clock = FakeClock(CALL)
    await _batch(seeded, [_item("S1"), _item("S2", "ifms-albi"),
                          _item("S3", transfer=True, enrolled_on=date(2025, 1, 2))])
    counted = await enrolments.census_view(seeded, clock, staff(), 2024)
    assert (counted.census_on, counted.counts) == (
        date(2024, 10, 31), {"ifms-albi": 1, "ifms-rodez": 1}
    )
    assert counted.total == 2
    mine = await enrolments.census_view(seeded, clock, referent("ifms-rodez"), 2024)
    assert mine.counts == {"ifms-rodez": 1}
    assert await enrolments.census(seeded, 2024) == {"ifms-albi": 1, "ifms-rodez": 1}
    fixed = replace(DEFAULT_RULES, census_on_main_close=False)
    async with seeded:
        assert (await enrolments.count_census(seeded, 2024, fixed)).census_on == date(2024, 10, 31)
