"""Accounts (R-ACC-8, R-ACC-9): reading, listing, the access check, locks and unlocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.access import AccountStatus
from app.domain.accounts import RoleKind
from app.domain.enrolments import Enrolment, EnrolmentStatus
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.services import accounts
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent, staff

YEAR = (date(2024, 9, 2), date(2025, 8, 31))


@pytest.fixture
async def people(seeded: FakeUnitOfWork) -> FakeUnitOfWork:
    await store_account(seeded, "abc1234d", (RoleKind.TRAINER, "ifms-rodez", *YEAR))
    await store_account(seeded, "def5678e", (RoleKind.REFERENT, "ifms-albi", *YEAR))
    await store_account(seeded, "ghi9012f")
    async with seeded:
        await seeded.enrolments.add_many([Enrolment(
            "e-1", "ghi9012f", "S1", "ifms-rodez", 2024, date(2024, 9, 2), False, False,
            EnrolmentStatus.ACTIVE, None, "sha", datetime(2024, 9, 2, tzinfo=UTC),
        )])
        await seeded.commit()
    return seeded


async def _listed(uow, clock, principal, **kw) -> list[str]:
    args = {"school_code": None, "kind": None, "status": None, "q": None, "after_uid": None,
            "limit": 10} | kw
    views, _ = await accounts.list_accounts(uow, clock, principal, **args)
    return [v.account.uid for v in views]


async def test_a_school_sees_its_hosted_and_enrolled_people(people, clock):
    rodez = referent("ifms-rodez")
    assert await _listed(people, clock, rodez) == ["abc1234d", "ghi9012f"]
    assert await _listed(people, clock, staff(), kind=RoleKind.STUDENT) == ["ghi9012f"]
    assert await _listed(people, clock, staff(), q="DEF5") == ["def5678e"]
    assert await _listed(people, clock, rodez, school_code="ifms-albi") == []
    views, next_uid = await accounts.list_accounts(
        people, clock, staff(), school_code=None, kind=None, status=None, q=None,
        after_uid=None, limit=2,
    )
    assert [v.account.uid for v in views] == ["abc1234d", "def5678e"]
    assert next_uid == "def5678e"


async def test_the_status_filter_applies_to_the_evaluated_status(people):
    september = FakeClock("2025-09-01T08:00:00+00:00")  # hosted roles ended on 31 August
    assert await _listed(people, september, staff(), status="expired") == [
        "abc1234d", "def5678e"
    ]
    assert await _listed(people, september, staff(), status="grace") == ["ghi9012f"]


async def test_reading_an_account_of_another_school_answers_as_a_missing_one(people, clock):
    view = await accounts.get_account(people, clock, referent("ifms-rodez"), "abc1234d")
    assert view.decision.status is AccountStatus.ACTIVE
    assert [r.school_code for r in view.roles] == ["ifms-rodez"]
    for uid in ("def5678e", "zzz0000z"):
        with pytest.raises(NotFound, match="no such account"):
            await accounts.get_account(people, clock, referent("ifms-rodez"), uid)


async def test_the_access_check_ends_with_the_role_at_midnight_paris(people):
    last_minute = datetime(2025, 8, 31, 21, 59, tzinfo=UTC)  # 23:59 in Paris (summer)
    assert (await accounts.access_check(people, "abc1234d", last_minute)).allowed
    after = await accounts.access_check(people, "abc1234d", last_minute + timedelta(minutes=1))
    assert (after.allowed, after.status) == (False, AccountStatus.EXPIRED)
    with pytest.raises(NotFound):
        await accounts.access_check(people, "zzz0000z", last_minute)


async def _lock(uow, clock, uid, *, reason="abus", at=None, principal=None):
    return await accounts.lock_account(uow, clock, actor_of(principal), uid, reason=reason,
                                       locked_at=at, skew_seconds=30)


async def _unlock(uow, clock, uid, *, at=None, principal=None):
    return await accounts.unlock_account(uow, clock, actor_of(principal), uid,
                                         unlocked_at=at, skew_seconds=30)


async def test_a_lock_suspends_an_active_account_until_it_is_unlocked(people, clock):
    locked = await _lock(people, clock, "abc1234d")
    assert (locked.decision.status, locked.decision.locked) == (AccountStatus.SUSPENDED, True)
    assert locked.decision.locked_since == clock.now() and not locked.decision.allowed
    assert await _lock(people, clock, "abc1234d") == locked  # a retry
    with pytest.raises(Conflict) as other:
        await _lock(people, clock, "abc1234d", reason="autre")
    assert other.value.code == "already-locked"
    clock.advance(hours=1)
    unlocked = await _unlock(people, clock, "abc1234d")
    assert unlocked.decision.status is AccountStatus.ACTIVE
    assert await _unlock(people, clock, "abc1234d") == unlocked  # a retry
    assert people.audit.actions() == ["account.locked", "account.unlocked"]


async def test_locks_refused_leave_nothing(people, clock):
    with pytest.raises(Conflict) as never_locked:
        await _unlock(people, clock, "abc1234d")
    assert never_locked.value.code == "not-locked"
    await _lock(people, clock, "abc1234d", at=clock.now() - timedelta(days=2))
    with pytest.raises(InvalidInput) as early:
        await _unlock(people, clock, "abc1234d", at=clock.now() - timedelta(days=3))
    assert early.value.code == "out-of-order"
    await _unlock(people, clock, "abc1234d", at=clock.now() - timedelta(days=1))
    with pytest.raises(Conflict) as inside:
        await _lock(people, clock, "abc1234d", at=clock.now() - timedelta(days=2))
    assert inside.value.code == "out-of-order"
    with pytest.raises(InvalidInput) as ahead:
        await _lock(people, clock, "abc1234d", at=clock.now() + timedelta(minutes=5))
    assert ahead.value.code == "instant-in-future"
    assert len(people.accounts.lock_rows) == 1


async def test_another_schools_account_cannot_be_locked(people, clock):
    for uid in ("def5678e", "zzz0000z"):
        with pytest.raises(NotFound, match="no such account"):
            await _lock(people, clock, uid, principal=referent("ifms-rodez"))
        with pytest.raises(NotFound, match="no such account"):
            await _unlock(people, clock, uid, principal=referent("ifms-rodez"))
    await _lock(people, clock, "ghi9012f", principal=referent("ifms-rodez"))  # enrolled there
    assert [uid for uid, _, _ in people.accounts.lock_rows.values()] == ["ghi9012f"]
