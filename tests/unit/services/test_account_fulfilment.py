"""Fulfilment of account requests (R-ACC-2, R-ACC-3, R-ACC-9a, R-REF-1a, R-REF-2): the
account, its role, the referent's training and the creation mail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.account_requests import RequestStatus
from app.domain.accounts import RoleKind
from app.domain.errors import Conflict, InvalidInput, NotFound
from app.domain.trainings import TrainingStatus
from app.services import accounts
from tests.fakes import FakeClock
from tests.unit.services.accounts_builders import new_request, store_account
from tests.unit.services.fakes import FakeUnitOfWork, actor_of, referent

URLS = {"moodle_url": "https://moodle.example", "activation_url": "https://moodle.example/a"}


async def _file(uow, clock, data):
    request, _ = await accounts.create_request(uow, clock, actor_of(), data, skew_seconds=30)
    return request


async def _fulfil(uow, clock, request_id, *, uid=None, at=None, principal=None):
    return await accounts.fulfil_request(
        uow, clock, actor_of(principal), request_id, uid=uid, fulfilled_at=at,
        skew_seconds=30, **URLS,
    )


async def test_a_trainer_gets_a_new_account_a_role_to_31_august_and_a_mail(
    seeded: FakeUnitOfWork,
):
    clock = FakeClock("2024-02-29T10:00:00+00:00")
    request = await _file(seeded, clock, new_request("T-1", kind=RoleKind.TRAINER))
    done = await _fulfil(seeded, clock, request.id, uid="abc1234d")
    assert (done.status, done.uid, done.fulfilled_at) == (
        RequestStatus.FULFILLED, "abc1234d", clock.now()
    )
    (role,) = seeded.accounts.role_rows.values()
    assert (role.kind, role.valid_from, role.valid_until) == (
        RoleKind.TRAINER, date(2024, 2, 29), date(2024, 8, 31)
    )
    assert seeded.accounts.rows["abc1234d"].email == "T-1@ifms.fr"
    (mail,) = seeded.outbox.messages.values()
    assert (mail.template, mail.recipients) == ("account-created", ("T-1@ifms.fr",))
    assert "31 août 2024" in mail.body_text
    assert seeded.trainings.rows == {}  # trainers follow no referent training
    assert seeded.audit.actions()[-2:] == ["account-request.fulfilled", "role.created"]


async def test_a_referent_gets_a_training_due_fifteen_days_after_daip_was_told(
    seeded: FakeUnitOfWork,
):
    clock = FakeClock("2025-04-10T08:00:00+00:00")
    request = await _file(seeded, clock, new_request(
        "T-1", kind=RoleKind.REFERENT, daip_notified_on=date(2025, 4, 6)
    ))
    done = await _fulfil(seeded, clock, request.id)
    (training,) = seeded.trainings.rows.values()
    assert (training.uid, training.status) == (done.uid, TrainingStatus.DUE)
    assert training.due_on == date(2025, 4, 22)  # 21 April 2025 is Easter Monday


async def test_an_existing_account_gets_the_role_without_a_new_mail(seeded: FakeUnitOfWork):
    await store_account(seeded, "abc1234d",
                        (RoleKind.TRAINER, "ifms-rodez", date(2024, 9, 2), date(2025, 8, 31)))
    clock = FakeClock("2025-03-03T09:00:00+00:00")
    request = await _file(seeded, clock, new_request("T-1", existing_uid="abc1234d"))
    await _fulfil(seeded, clock, request.id)
    assert len(seeded.accounts.role_rows) == 2 and seeded.outbox.messages == {}


async def test_a_june_referent_when_the_year_is_full_starts_on_1_september(
    seeded: FakeUnitOfWork,
):
    for uid in ("aaa0001a", "bbb0002b", "ccc0003c"):
        await store_account(seeded, uid,
                            (RoleKind.REFERENT, "ifms-rodez", date(2025, 9, 1), date(2026, 8, 31)))
    clock = FakeClock("2026-06-10T08:00:00+00:00")
    request = await _file(seeded, clock, new_request("T-1", kind=RoleKind.REFERENT))
    done = await _fulfil(seeded, clock, request.id, uid="ddd0004d")
    new_role = next(r for r in seeded.accounts.role_rows.values() if r.uid == done.uid)
    assert (new_role.valid_from, new_role.valid_until) == (date(2026, 9, 1), date(2027, 8, 31))


async def test_a_replacing_referent_ends_the_replaced_role_on_its_fulfilment_day(
    seeded: FakeUnitOfWork,
):
    for uid in ("aaa0001a", "bbb0002b", "ccc0003c"):
        await store_account(seeded, uid,
                            (RoleKind.REFERENT, "ifms-rodez", date(2024, 9, 2), date(2025, 8, 31)))
    clock = FakeClock("2025-02-28T23:30:00+00:00")  # 1 March in Paris
    request = await _file(seeded, clock, new_request("T-1", kind=RoleKind.REFERENT,
                                                     replaces_uid="aaa0001a"))
    await _fulfil(seeded, clock, request.id, uid="ddd0004d")
    ends = {r.uid: r.valid_until for r in seeded.accounts.role_rows.values()}
    assert ends == {"aaa0001a": date(2025, 3, 1), "bbb0002b": date(2025, 8, 31),
                    "ccc0003c": date(2025, 8, 31), "ddd0004d": date(2025, 8, 31)}


async def test_fulfilling_again_is_a_retry_and_with_another_uid_a_conflict(seeded, clock):
    request = await _file(seeded, clock, new_request("T-1"))
    done = await _fulfil(seeded, clock, request.id, uid="abc1234d")
    assert await _fulfil(seeded, clock, request.id) == done
    with pytest.raises(Conflict) as other:
        await _fulfil(seeded, clock, request.id, uid="xyz9876w")
    assert other.value.code == "already-fulfilled"
    assert len(seeded.accounts.rows) == 1


async def test_an_erased_uid_is_never_reused(seeded: FakeUnitOfWork, clock):
    await store_account(seeded, "abc1234d", erased=True)
    request = await _file(seeded, clock, new_request("T-1"))
    with pytest.raises(Conflict) as refused:
        await _fulfil(seeded, clock, request.id, uid="abc1234d")
    assert refused.value.code == "uid-erased"
    assert seeded.account_requests.rows[request.id].status is RequestStatus.RECEIVED
    assert seeded.accounts.role_rows == {} and seeded.outbox.messages == {}


async def test_a_confined_caller_never_adds_a_role_to_an_account_it_may_not_see(seeded, clock):
    await store_account(seeded, "abc1234d",
                        (RoleKind.TRAINER, "ifms-albi", date(2024, 9, 2), date(2025, 8, 31)))
    request = await _file(seeded, clock, new_request("T-1"))
    with pytest.raises(Conflict) as refused:
        await _fulfil(seeded, clock, request.id, uid="abc1234d",
                      principal=referent("ifms-rodez"))
    assert refused.value.code == "uid-taken"
    with pytest.raises(NotFound):
        await _fulfil(seeded, clock, request.id, principal=referent("ifms-albi"))


async def test_a_fulfilment_dated_before_the_reception_is_out_of_order(seeded, clock):
    request = await _file(seeded, clock, new_request("T-1"))
    with pytest.raises(InvalidInput) as refused:
        await _fulfil(seeded, clock, request.id, at=datetime(2025, 3, 3, 8, tzinfo=UTC))
    assert refused.value.code == "out-of-order"
    with pytest.raises(InvalidInput) as bad_uid:
        await _fulfil(seeded, clock, request.id, uid="Abc1234d")
    assert bad_uid.value.code == "invalid-uid"
    assert seeded.accounts.rows == {}


async def test_a_generated_uid_is_one_not_taken(seeded: FakeUnitOfWork, clock):
    request = await _file(seeded, clock, new_request("T-1"))
    done = await _fulfil(seeded, clock, request.id)
    async with seeded:
        assert await seeded.accounts.uids_taken([done.uid]) == {done.uid}
    assert len(done.uid) == 8
