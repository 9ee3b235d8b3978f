"""Job locks on the real database: PostgreSQL advisory locks, SQLite file locks."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import text

from app.adapters.db.engine import create_engine
from app.adapters.db.locks import FileLocks, LocalLocks, PgAdvisoryLocks, advisory_key, job_locks
from tests.dbutil import ON_POSTGRES

pg_only = pytest.mark.skipif(not ON_POSTGRES, reason="advisory locks are PostgreSQL's")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="file locks serve SQLite")


@pytest.fixture
async def engines(database_url):
    made = [create_engine(database_url) for _ in range(2)]
    yield made
    for engine in made:
        await engine.dispose()


def test_each_job_has_its_own_stable_advisory_key():
    assert advisory_key("outbox-dispatch") == advisory_key("outbox-dispatch")
    assert advisory_key("outbox-dispatch") != advisory_key("storage-reminders")
    assert -(2**63) <= advisory_key("outbox-dispatch") < 2**63


@pg_only
async def test_an_advisory_lock_excludes_another_connection_until_released(engines):
    first, second = (job_locks(e) for e in engines)
    assert isinstance(first, PgAdvisoryLocks)
    async with first.hold("nightly") as held:
        assert held
        async with second.hold("nightly") as other:
            assert not other
        async with second.hold("another-job") as unrelated:
            assert unrelated
        async with engines[0].connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            )
        assert count >= 1
    async with second.hold("nightly") as after:
        assert after


@pg_only
async def test_a_cancelled_holder_releases_its_advisory_lock(engines):
    first, second = (job_locks(e) for e in engines)
    taken = asyncio.Event()

    async def hold_forever():
        async with first.hold("cancelled") as held:
            assert held
            taken.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(hold_forever())
    await asyncio.wait_for(taken.wait(), 10)
    async with second.hold("cancelled") as during:
        assert not during
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with second.hold("cancelled") as after:
        assert after


@sqlite_only
async def test_a_sqlite_file_lock_holds_against_another_process(engines):
    locks = job_locks(engines[0])
    assert isinstance(locks, FileLocks)
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
    )
    path = str(locks.directory / "nightly.lock")
    async with locks.hold("nightly") as held:
        assert held
        busy = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", probe, path])
        assert busy.returncode == 3
        async with job_locks(engines[1]).hold("nightly") as other:
            assert not other
    free = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", probe, path])
    assert free.returncode == 0


async def test_an_in_memory_database_gets_process_local_locks():
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        locks = job_locks(engine)
        assert isinstance(locks, LocalLocks)
        async with locks.hold("x") as held, locks.hold("x") as other:
            assert held and not other
        async with locks.hold("x") as again:
            assert again
    finally:
        await engine.dispose()
