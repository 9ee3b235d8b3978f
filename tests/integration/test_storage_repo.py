"""The storage repository on the real database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set): the unique key decides duplicates in the inserting
transaction, racing batches neither deadlock nor double-store, Paris-day grouping
(SQL on PostgreSQL, Python on SQLite) agrees, folding merges."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.adapters.db.tables import StorageDailyRow, StorageSnapshotRow
from app.domain.storage import AlertEvent, AlertKind, Level, LevelState, Snapshot
from app.domain.storage_history import Point, aggregate
from app.ports.storage import POOL_KEY, StorageAlert, StoredLevel, school_key
from tests.dbutil import ON_POSTGRES

NOW = datetime(2025, 3, 3, 9, tzinfo=UTC)



def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def snapshot(sid: str, when: str = "2025-03-03T08:00:00Z", size: int = 1,
             school: str = "ifms-rodez") -> Snapshot:
    return Snapshot(sid, school, at(when), size, files_count=3, bytes_backup=None)


async def insert(factory, snapshots: list[Snapshot]) -> set[str]:
    uow = factory()
    async with uow:
        inserted = await uow.storage.insert_snapshots(snapshots, received_at=NOW)
        await uow.commit()
    return inserted


async def count(factory, table=StorageSnapshotRow) -> int:
    uow = factory()
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)))


async def test_insert_returns_only_new_ids_and_reads_them_back(uow_factory):
    assert await insert(uow_factory, [snapshot("a"), snapshot("b")]) == {"a", "b"}
    assert await insert(uow_factory, [snapshot("b", size=9), snapshot("c")]) == {"c"}
    uow = uow_factory()
    async with uow:
        stored = await uow.storage.snapshots(["a", "b", "zzz"])
    assert set(stored) == {"a", "b"}
    assert stored["b"] == snapshot("b")  # the first content stays
    assert stored["b"].measured_at.tzinfo is not None
    assert await count(uow_factory) == 3


async def test_a_rolled_back_batch_stores_nothing(uow_factory):
    uow = uow_factory()
    async with uow:
        assert await uow.storage.insert_snapshots([snapshot("a")], received_at=NOW) == {"a"}
    assert await count(uow_factory) == 0


async def test_the_database_refuses_negative_sizes(uow_factory):
    with pytest.raises(IntegrityError):
        await insert(uow_factory, [snapshot("neg", size=-1)])


async def test_racing_batches_in_opposite_orders_store_each_snapshot_once(uow_factory):
    """On PostgreSQL the four transactions insert at the same moment (a barrier after
    BEGIN): rows go in snapshot-id order whatever the batch order, so they wait for each
    other on the unique key instead of deadlocking. SQLite serialises writers."""
    batch = [snapshot(f"s{i:05d}", size=i) for i in range(2000)]
    barrier = asyncio.Barrier(4) if ON_POSTGRES else None

    async def racer(items: list[Snapshot]) -> set[str]:
        uow = uow_factory()
        async with uow:
            if barrier is not None:
                await uow.session.execute(text("SELECT 1"))
                await barrier.wait()
            inserted = await uow.storage.insert_snapshots(items, received_at=NOW)
            await uow.commit()
        return inserted

    results = await asyncio.gather(
        *(racer(list(reversed(batch)) if n % 2 else batch) for n in range(4))
    )
    assert sorted(sid for r in results for sid in r) == sorted(s.snapshot_id for s in batch)
    assert await count(uow_factory) == 2000


async def test_levels_are_created_ok_locked_saved_and_summed(uow_factory):
    uow = uow_factory()
    async with uow:
        levels = await uow.storage.lock_levels([school_key("ifms-rodez"), POOL_KEY])
        assert list(levels) == [POOL_KEY, "school:ifms-rodez"]
        assert levels[POOL_KEY].state == LevelState()
        raised = at("2025-03-03T08:00:00Z")
        await uow.storage.save_levels([
            StoredLevel("school:ifms-rodez",
                        LevelState(Level.CRITICAL, raised, None, raised), 42 * 10**9, 41 * 10**9),
        ])
        await uow.storage.lock_levels(["school:ifms-albi"])
        await uow.storage.save_levels([
            StoredLevel("school:ifms-albi", LevelState(Level.OK, None, None, raised), 10**9,
                        41 * 10**9),
            StoredLevel(POOL_KEY, LevelState(Level.OK, None, None, raised), 43 * 10**9,
                        500 * 10**9),
        ])
        await uow.commit()
    uow = uow_factory()
    async with uow:
        assert await uow.storage.school_total() == 43 * 10**9
        assert await uow.storage.critical_keys() == ["school:ifms-rodez"]
        rodez = (await uow.storage.levels(["school:ifms-rodez"]))["school:ifms-rodez"]
    assert rodez.state.raised_at == at("2025-03-03T08:00:00Z")
    assert rodez.state.level is Level.CRITICAL


async def test_paris_days_with_ties_and_dst_group_the_same_on_every_database(uow_factory):
    rows = [
        snapshot("a", "2025-03-29T22:59:59Z", 1),  # 29 March, 23:59:59 Paris
        snapshot("b", "2025-03-29T23:00:00Z", 5),  # 30 March starts (23 h day)
        snapshot("c", "2025-03-30T21:59:59Z", 4),
        snapshot("d", "2025-03-30T21:59:59Z", 3),  # a tie: the one stored last is last
        snapshot("e", "2025-03-30T22:00:00Z", 7),  # 31 March
    ]
    for row in rows:
        await insert(uow_factory, [row])
    uow = uow_factory()
    async with uow:
        points = await uow.storage.daily_points(
            "ifms-rodez", at("2025-03-29T00:00:00Z"), at("2025-04-01T00:00:00Z"))
        other = await uow.storage.daily_points(
            "ifms-albi", at("2025-03-29T00:00:00Z"), at("2025-04-01T00:00:00Z"))
    assert points == [
        Point(at("2025-03-28T23:00:00Z"), at("2025-03-29T23:00:00Z"), 1, 1),
        Point(at("2025-03-29T23:00:00Z"), at("2025-03-30T22:00:00Z"), 5, 3),
        Point(at("2025-03-30T22:00:00Z"), at("2025-03-31T22:00:00Z"), 7, 7),
    ]
    assert other == []


async def test_folding_in_small_chunks_merges_into_the_same_daily_figures(uow_factory):
    day = [snapshot(f"f{i}", f"2025-03-03T{h:02d}:00:00Z", size)
           for i, (h, size) in enumerate([(0, 4), (5, 9), (12, 2), (22, 6), (23, 1)])]
    day.append(snapshot("other", "2025-03-03T10:00:00Z", 5, school="ifms-albi"))
    await insert(uow_factory, day)
    cutoff = at("2025-03-04T23:00:00Z")  # 5 March 00:00 Paris
    folded = 0
    while True:
        uow = uow_factory()
        async with uow:
            n = await uow.storage.fold_before(cutoff, limit=2)
            await uow.commit()
        folded += n
        if n == 0:
            break
    assert folded == 6
    assert await count(uow_factory) == 0
    uow = uow_factory()
    async with uow:
        figures = {
            (r.school_code, r.day): (r.bytes_max, r.bytes_last, r.samples, r.last_measured_at)
            for r in (await uow.session.execute(select(StorageDailyRow))).scalars()
        }
    assert figures == {
        ("ifms-rodez", date(2025, 3, 3)): (9, 6, 4, at("2025-03-03T22:00:00Z")),
        ("ifms-rodez", date(2025, 3, 4)): (1, 1, 1, at("2025-03-03T23:00:00Z")),
        ("ifms-albi", date(2025, 3, 3)): (5, 5, 1, at("2025-03-03T10:00:00Z")),
    }


async def test_snapshots_measured_after_the_cutoff_are_not_folded(uow_factory):
    await insert(uow_factory, [snapshot("keep", "2025-03-03T23:00:00Z"),
                               snapshot("fold", "2025-03-03T22:59:59Z")])
    uow = uow_factory()
    async with uow:
        assert await uow.storage.fold_before(at("2025-03-03T23:00:00Z"), limit=100) == 1
        await uow.commit()
    assert await count(uow_factory) == 1
    assert await count(uow_factory, StorageDailyRow) == 1


async def test_alerts_list_by_scope_since_and_id(uow_factory):
    def event(kind: AlertKind, minutes: int) -> AlertEvent:
        return AlertEvent(kind, Level.OK, Level.WARNING, 1, 2,
                          NOW + timedelta(minutes=minutes))

    uow = uow_factory()
    async with uow:
        await uow.storage.add_alerts([
            StorageAlert("school", "ifms-rodez", event(AlertKind.RAISED, 0), 2),
            StorageAlert("pool", None, event(AlertKind.RAISED, 1), 1),
            StorageAlert("school", "ifms-albi", event(AlertKind.CLEARED, 2), 0),
        ])
        await uow.commit()
    uow = uow_factory()
    async with uow:
        every = await uow.storage.list_alerts(school_codes=None, include_pool=True, since=None,
                                              after_id=None, limit=10)
        assert [(a.scope, a.school_code) for a in every] == [
            ("school", "ifms-rodez"), ("pool", None), ("school", "ifms-albi")]
        assert every[0].event == event(AlertKind.RAISED, 0)
        mine = await uow.storage.list_alerts(school_codes=["ifms-albi"], include_pool=False,
                                             since=None, after_id=None, limit=10)
        assert [a.school_code for a in mine] == ["ifms-albi"]
        assert await uow.storage.list_alerts(school_codes=[], include_pool=False, since=None,
                                             after_id=None, limit=10) == []
        later = await uow.storage.list_alerts(school_codes=None, include_pool=True,
                                              since=NOW + timedelta(minutes=1),
                                              after_id=every[1].id, limit=10)
        assert [a.school_code for a in later] == ["ifms-albi"]


@pytest.mark.parametrize("seed", [7, 8])
async def test_the_daily_fold_has_one_rule_the_sql_twin_and_the_folded_rows_agree(
    uow_factory, seed
):
    """The fold of snapshots into Paris days (`app.domain.storage.fold`) answers the same
    through the domain's `aggregate`, the PostgreSQL daily query (its SQL twin), and the
    rows folded in small chunks read back with raw ones: generated samples over the
    autumn DST night, with ties on the instant."""
    rng = random.Random(seed)
    start = at("2025-10-24T22:00:00Z")  # 25 Oct 00:00 Paris, the DST change on the 26th
    instants = [start + timedelta(minutes=rng.randrange(4 * 24 * 60)) for _ in range(60)]
    instants += rng.sample(instants, 8)  # ties
    rows = [snapshot(f"t{seed}-{n}", i.isoformat(), rng.randrange(1, 50))
            for n, i in enumerate(instants)]
    for row in rows:  # one by one: the insertion order decides ties
        await insert(uow_factory, [row])
    expected = aggregate([(r.measured_at, r.bytes_used) for r in rows], "day")
    window = (at("2025-10-24T00:00:00Z"), at("2025-10-30T00:00:00Z"))
    uow = uow_factory()
    async with uow:
        assert await uow.storage.daily_points("ifms-rodez", *window) == expected
    uow = uow_factory()
    async with uow:
        await uow.storage.fold_before(at("2025-10-26T23:00:00Z"), limit=7)  # part of it
        await uow.commit()
    uow = uow_factory()
    async with uow:
        assert await uow.storage.daily_points("ifms-rodez", *window) == expected
