"""The hot paths' raw asyncpg statements on PostgreSQL (app/adapters/db/raw.py,
account_facts.py) and the pool's idle ping (engine.py): the same data as the ORM
paths, the unit of work's transaction respected, lost connections replaced."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.adapters.db import engine as engine_module
from app.adapters.db.account_facts import load_account_facts
from app.adapters.db.raw import raw_connection, transaction_connection
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.domain.access import SuspensionScope
from app.domain.accounts import Account, RoleKind, StoredRole
from app.domain.enrolments import Enrolment, EnrolmentStatus, EnrolmentWindows
from app.domain.suspensions import Ground, Suspension, SuspensionStatus
from tests.dbutil import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="raw asyncpg is PostgreSQL's")

NOW = datetime(2026, 3, 3, 9, tzinfo=UTC)



async def _people(uow_factory: SqlUnitOfWorkFactory) -> None:
    """A trainer who is also a student (two enrolments, one cancelled, changed windows
    the next year, a lock, suspensions at her school), a referent, an account with
    nothing."""
    uow = uow_factory()
    async with uow:
        for uid, number in (("abc1234a", "S1"), ("abd1234b", None), ("abe1234c", None)):
            await uow.accounts.add(Account(uid, "Camille", "Martin", f"{uid}@x.fr", NOW,
                                           student_number=number))
        await uow.accounts.add_role(
            StoredRole("r-1", "abc1234a", RoleKind.TRAINER, "ifms-rodez", date(2025, 9, 1),
                       date(2026, 8, 31)), request_id=None, now=NOW)
        await uow.accounts.add_role(
            StoredRole("r-2", "abd1234b", RoleKind.REFERENT, "ifms-albi", date(2025, 6, 2),
                       date(2026, 8, 31)), request_id=None, now=NOW)
        await uow.enrolments.add_many([
            Enrolment("e-1", "abc1234a", "S1", "ifms-castres-mazamet", 2024, date(2024, 9, 2),
                      False, False, EnrolmentStatus.ACTIVE, None, "h1", NOW),
            Enrolment("e-2", "abc1234a", "S1", "ifms-castres-mazamet", 2025, date(2025, 9, 3),
                      False, False, EnrolmentStatus.CANCELLED, date(2025, 10, 1), "h2", NOW),
        ])
        await uow.enrolments.save_windows(
            EnrolmentWindows(2025, date(2025, 8, 25), date(2025, 10, 20), date(2026, 1, 5),
                             date(2026, 2, 1), version=1, updated_at=NOW),
            expected_version=0)
        await uow.accounts.add_lock("l-1", "abc1234a", "enquête", datetime(2026, 1, 5, tzinfo=UTC))
        for n, (school, scope) in enumerate((("ifms-castres-mazamet", SuspensionScope.PLATFORM),
                                             ("ifms-rodez", SuspensionScope.MESSAGING),
                                             ("ifms-auch", SuspensionScope.PLATFORM))):
            await uow.lifecycle.add_suspension(Suspension(
                id=f"s-{n}", school_code=school, ground=Ground.SECURITY_THREAT, scope=scope,
                kinds=frozenset({RoleKind.TRAINER}) if n == 1 else None,
                account_uids=frozenset({"abc1234a"}) if n == 0 else None,
                starts_at=datetime(2026, 2, 1, tzinfo=UTC), notified_at=None,
                notice_ref=None, details="essai", status=SuspensionStatus.ACTIVE,
                restoration_requested_at=None, corrective_actions=None, lifted_at=None,
                lifting_ref=None, created_at=NOW))
        await uow.commit()


UIDS = ["abc1234a", "abd1234b", "abe1234c", "zzz0000z"]


async def test_the_one_statement_facts_equal_the_repositories_one_by_one(uow_factory):
    await _people(uow_factory)
    uow = uow_factory()
    async with uow:
        expected = await uow.accounts.facts_one_by_one(UIDS)
    assert set(expected) == {"abc1234a", "abd1234b", "abe1234c"}
    assert expected["abc1234a"].student_roles and expected["abc1234a"].locks
    assert [s.suspension_id for s in expected["abc1234a"].suspensions] == ["s-0", "s-1"]
    for uids in (UIDS, ["abc1234a"], ["abd1234b"], ["zzz0000z"]):
        uow = uow_factory()
        async with uow:  # outside a transaction: the pool's raw connection
            found = await load_account_facts(uow.session, uids)
        assert found == {uid: expected[uid] for uid in uids if uid in expected}


async def test_inside_a_transaction_the_facts_see_its_uncommitted_lock(uow_factory):
    await _people(uow_factory)
    uow = uow_factory()
    async with uow:
        await uow.accounts.add_lock("l-2", "abd1234b", "essai", NOW)
        facts = await load_account_facts(uow.session, ["abd1234b"])
        assert [lock_id for lock_id, _, _ in facts["abd1234b"].locks] == ["l-2"]
    uow = uow_factory()
    async with uow:  # rolled back with the unit of work
        assert (await load_account_facts(uow.session, ["abd1234b"]))["abd1234b"].locks == []


async def test_raw_statements_commit_and_roll_back_with_the_unit_of_work(uow_factory):
    async def audit_count() -> int:
        uow = uow_factory()
        async with uow:
            return int(await uow.session.scalar(text("SELECT count(*) FROM audit_events")))

    before = await audit_count()
    for commit in (False, True):
        uow = uow_factory()
        async with uow:
            statements = await transaction_connection(uow.session)  # BEGIN sent first
            await statements.execute(
                "INSERT INTO audit_events (occurred_at, actor, action, resource_type, "
                "resource_id, changes) VALUES (now(), 'test', 'a', 'r', 'i', '{}')")
            assert await transaction_connection(uow.session) is statements
            if commit:
                await uow.commit()
    assert await audit_count() == before + 1


async def _terminate_the_pool(database_url: str) -> None:
    """Every server process of the test database is ended (as by a restart), from a
    connection of our own."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await connection.close()


async def test_a_lost_raw_connection_is_a_503_error_and_is_replaced(
    uow_factory, database_url, monkeypatch
):
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)  # no ping: it is used
    engine = uow_factory.sessions.kw["bind"]
    async with raw_connection(engine) as connection:
        assert await connection.fetchval("SELECT 1") == 1
    await _terminate_the_pool(database_url)
    with pytest.raises(OperationalError):
        async with raw_connection(engine) as connection:
            await connection.fetchval("SELECT 1")
    async with raw_connection(engine) as connection:
        assert await connection.fetchval("SELECT 1") == 1


async def test_an_idle_connection_is_pinged_and_replaced_when_dead(
    uow_factory, database_url, monkeypatch
):
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)  # every checkout pings
    engine = uow_factory.sessions.kw["bind"]
    async with raw_connection(engine) as connection:
        assert await connection.fetchval("SELECT 1") == 1
    await _terminate_the_pool(database_url)
    async with raw_connection(engine) as connection:  # the ping replaced the dead one
        assert await connection.fetchval("SELECT 1") == 1


async def test_a_transaction_begun_on_a_connection_closed_in_the_pool_is_a_503_error(
    uow_factory, database_url, monkeypatch
):
    """The server restarted while the connection sat in the pool, used less than the ping
    interval ago: BEGIN (sent by `transaction_connection`) finds it closed."""
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 3600.0)
    async with uow_factory() as uow:
        await transaction_connection(uow.session)
    await _terminate_the_pool(database_url)
    await asyncio.sleep(0.3)  # asyncpg notices the closed socket
    with pytest.raises(OperationalError):
        async with uow_factory() as uow:
            await transaction_connection(uow.session)
    async with uow_factory() as uow:  # the dead connection was dropped from the pool
        statements = await transaction_connection(uow.session)
        assert await statements.fetchrow("SELECT 1 AS one") == (1,)
