"""Account-creation requests (R-ACC-4, R-REF-1, R-TIME-4): filing, reading, listing,
rejection and cancellation, and the recomputation of their due dates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from app.domain.account_requests import RequestStatus
from app.domain.accounts import RoleKind
from app.domain.calendar import Closure, WorkingCalendar
from app.domain.convention import Amendment, TermChanges
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.rules import DEFAULT_RULES
from app.services import accounts
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import new_request, store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

# Sunday 6 April 2025 (Paris); +15 days is Easter Monday 21 April, a public holiday.
EASTER_CASE = "2025-04-06T10:00:00+00:00"


async def _file(uow, clock, data, *, principal=None, rules=DEFAULT_RULES):
    return await accounts.create_request(
        uow, clock, actor_of(principal), data, skew_seconds=30, rules=rules
    )


async def test_a_request_is_due_fifteen_days_later_on_a_working_day(seeded: FakeUnitOfWork):
    request, created = await _file(seeded, FakeClock(EASTER_CASE), new_request("T-1"))
    assert created and request.due_on == date(2025, 4, 22)
    assert (request.status, request.academic_year) == (RequestStatus.RECEIVED, 2024)
    assert seeded.account_requests.rows[request.id] == request
    assert seeded.audit.actions() == ["account-request.received"]


async def test_closures_move_the_due_date_unless_the_reading_limits_them_to_support(
    seeded: FakeUnitOfWork,
):
    async with seeded:
        await seeded.closures.add("c1", Closure(date(2025, 4, 22), date(2025, 4, 25)),
                                  now=datetime(2025, 1, 1, tzinfo=UTC))
        await seeded.commit()
    clock = FakeClock(EASTER_CASE)
    with_closures, _ = await _file(seeded, clock, new_request("T-1"))
    support_only = replace(DEFAULT_RULES, closures_for_all_deadlines=False)
    without, _ = await _file(seeded, clock, new_request("T-2"), rules=support_only)
    assert (with_closures.due_on, without.due_on) == (date(2025, 4, 28), date(2025, 4, 22))
    async with seeded:
        assert not (await accounts.calendar_in(seeded)).is_working_day(date(2025, 4, 23))
        assert (await accounts.deadline_calendar(seeded, support_only)).is_working_day(
            date(2025, 4, 23)
        )


async def test_a_request_in_the_renewal_season_targets_the_next_academic_year(
    seeded: FakeUnitOfWork,
):
    clock = FakeClock("2025-05-31T22:30:00+00:00")  # 1 June 00:30 in Paris
    request, _ = await _file(seeded, clock, new_request("T-1"))
    assert request.academic_year == 2025


async def test_the_same_ticket_again_is_a_retry_and_other_content_a_conflict(
    seeded: FakeUnitOfWork, clock: FakeClock
):
    first, _ = await _file(seeded, clock, new_request("T-1"))
    clock.advance(minutes=5)
    again, created = await _file(seeded, clock, new_request("T-1"))
    assert (again, created) == (first, False)
    with pytest.raises(Conflict) as other:
        await _file(seeded, clock, new_request("T-1", given_name="Paul"))
    assert other.value.code == "ticket-conflict"
    assert len(seeded.account_requests.rows) == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"kind": RoleKind.STUDENT}, "invalid-kind", "kind"),
        ({"existing_uid": "ABC"}, "invalid-uid", "existing_uid"),
        ({"replaces_uid": "abc1234d"}, "invalid-replacement", "replaces_uid"),
        ({"school_code": "ifms-nowhere"}, "unknown-school", "school_code"),
        ({"received_at": datetime(2025, 3, 3, 9, 1, tzinfo=UTC)}, "instant-in-future",
         "received_at"),
    ],
)
async def test_a_bad_request_is_refused_and_nothing_stored(
    seeded: FakeUnitOfWork, clock: FakeClock, changes, code, field
):
    with pytest.raises(InvalidInput) as refused:
        await _file(seeded, clock, new_request("T-1", **changes))
    assert (refused.value.code, refused.value.field) == (code, field)
    assert seeded.account_requests.rows == {} and seeded.audit.events == []


async def test_another_schools_request_answers_as_an_unknown_school(seeded, clock):
    with pytest.raises(InvalidInput) as refused:
        await _file(seeded, clock, new_request("T-1", school="ifms-albi"),
                    principal=referent("ifms-rodez"))
    assert refused.value.code == "unknown-school"


async def test_a_fourth_referent_for_the_year_is_refused(seeded: FakeUnitOfWork, clock):
    await store_account(seeded, "abc1234d",
                        (RoleKind.REFERENT, "ifms-rodez", date(2024, 9, 2), date(2025, 8, 31)))
    for ticket in ("T-1", "T-2"):
        await _file(seeded, clock, new_request(ticket, kind=RoleKind.REFERENT))
    with pytest.raises(Conflict) as refused:
        await _file(seeded, clock, new_request("T-3", kind=RoleKind.REFERENT))
    assert refused.value.code == "referent-cap-reached"
    replacing, _ = await _file(
        seeded, clock, new_request("T-4", kind=RoleKind.REFERENT, replaces_uid="abc1234d")
    )
    assert replacing.replaces_uid == "abc1234d" and seeded.accounts.locked_schools
    async with seeded:
        count = await accounts.referent_count(
            seeded, school_code="ifms-rodez", year=2024, checked_on=date(2025, 3, 3)
        )
    assert count == 3  # the replaced referent is not counted; three requests are


async def test_a_request_dated_after_a_removal_is_refused(seeded: FakeUnitOfWork, clock):
    async with seeded:
        await seeded.lifecycle.add_amendment(
            Amendment("AV-1", date(2025, 1, 10), date(2025, 3, 1), TermChanges(),
                      removes_school_codes=("ifms-rodez",)),
            schools_added=None, now=clock.now(),
        )
        await seeded.commit()
    with pytest.raises(Conflict) as refused:
        await _file(seeded, clock, new_request("T-1"))
    assert refused.value.code == "school-not-beneficiary"


async def _three(uow, clock) -> list[str]:
    ids = []
    for ticket, school in (("T-1", "ifms-rodez"), ("T-2", "ifms-albi"), ("T-3", "ifms-rodez")):
        request, _ = await _file(uow, clock, new_request(ticket, school))
        ids.append(request.id)
        clock.advance(days=10)
    return ids


async def _listed(uow, clock, principal, **kw) -> list[str]:
    args = {"status": None, "school_code": None, "overdue": None, "after_id": None,
            "limit": 10} | kw
    return [r.id for r in await accounts.list_requests(uow, clock, principal, **args)]


async def test_listing_filters_by_school_status_overdue_and_update(seeded, clock):
    first, second, third = await _three(seeded, clock)  # clock now 2025-04-02
    await accounts.close_request(seeded, clock, actor_of(), second,
                                 target=RequestStatus.CANCELLED, reason=None)
    rodez = referent("ifms-rodez")
    assert await _listed(seeded, clock, rodez) == [first, third]
    assert await _listed(seeded, clock, rodez, school_code="ifms-albi") == []
    assert await _listed(seeded, clock, staff(), overdue=True) == [first]  # due 18 March
    assert await _listed(seeded, clock, staff(), overdue=False) == [second, third]
    assert await _listed(seeded, clock, staff(), status=RequestStatus.CANCELLED) == [second]
    since = datetime(2025, 3, 20, tzinfo=UTC)
    assert await _listed(seeded, clock, staff(), updated_since=since) == [second, third]


async def test_reading_another_schools_request_answers_as_a_missing_one(seeded, clock):
    request, _ = await _file(seeded, clock, new_request("T-1", "ifms-albi"))
    assert await accounts.get_request(seeded, staff(), request.id) == request
    for principal, request_id in ((referent("ifms-rodez"), request.id), (staff(), "nope")):
        with pytest.raises(NotFound, match="no such account request"):
            await accounts.get_request(seeded, principal, request_id)


async def test_a_rejection_is_repeated_with_its_reason_only(seeded, clock):
    request, _ = await _file(seeded, clock, new_request("T-1"))
    done = await accounts.close_request(seeded, clock, actor_of(), request.id,
                                        target=RequestStatus.REJECTED, reason="doublon")
    assert (done.status, done.closed_at) == (RequestStatus.REJECTED, clock.now())
    again = await accounts.close_request(seeded, clock, actor_of(), request.id,
                                         target=RequestStatus.REJECTED, reason="doublon")
    assert again == done
    for target, reason in ((RequestStatus.REJECTED, "autre"), (RequestStatus.CANCELLED, None)):
        with pytest.raises(Conflict) as refused:
            await accounts.close_request(seeded, clock, actor_of(), request.id,
                                         target=target, reason=reason)
        assert refused.value.code == "invalid-transition"
    assert seeded.audit.actions() == ["account-request.received", "account-request.rejected"]


async def test_closures_changed_move_the_due_dates_of_open_requests_only(seeded, clock):
    open_request, _ = await _file(seeded, FakeClock(EASTER_CASE), new_request("T-1"))
    closed, _ = await _file(seeded, FakeClock(EASTER_CASE), new_request("T-2"))
    await accounts.close_request(seeded, clock, actor_of(), closed.id,
                                 target=RequestStatus.CANCELLED, reason=None)
    calendar = WorkingCalendar([Closure(date(2025, 4, 22), date(2025, 4, 22))])
    async with seeded:
        changed = await accounts.RequestDeadlines().recompute(
            seeded, calendar=calendar, now=clock.now()
        )
        await seeded.commit()
    assert changed == 1
    assert seeded.account_requests.rows[open_request.id].due_on == date(2025, 4, 23)
    assert seeded.account_requests.rows[closed.id].due_on == date(2025, 4, 22)
    support_only = accounts.RequestDeadlines(replace(DEFAULT_RULES,
                                                     closures_for_all_deadlines=False))
    async with seeded:
        assert await support_only.recompute(seeded, calendar=calendar, now=clock.now()) == 1
