"""`JobLocks`: one runner of a job at a time.

* PostgreSQL: `pg_try_advisory_lock` on a dedicated pooled connection, held for the
  job's run (session-level: it survives the run's own transactions and dies with the
  connection if the runner dies).
* SQLite (embedded mode): an exclusive, non-blocking `flock` on a file beside the
  database, which holds across processes on the same host (the CLI and the embedded
  scheduler); an in-memory database gets process-local locks.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("app.jobs")

LOCK_NAMESPACE = "convention-api/job/"


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock`."""
    digest = hashlib.sha256((LOCK_NAMESPACE + job).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgAdvisoryLocks:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        key = advisory_key(job)
        async with self.engine.connect() as connection:
            taken = bool(
                await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            )
            await connection.commit()
            if not taken:
                yield False
                return
            released = False
            try:
                yield True
                await connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
                released = True
            finally:
                if not released:
                    # Cancelled or failed: closing the connection is what surely releases
                    # a session-level lock; never hand a locked connection back to the pool.
                    with suppress(Exception):
                        await connection.invalidate()


class FileLocks:
    """Non-blocking exclusive `flock`s on `<directory>/<job>.lock`."""

    def __init__(self, directory: Path):
        self.directory = directory

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / f"{job}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


class LocalLocks:
    """Process-local locks (an in-memory database has no other process)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(job, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True


def job_locks(engine: AsyncEngine) -> PgAdvisoryLocks | FileLocks | LocalLocks:
    """The locks that fit the engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PgAdvisoryLocks(engine)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        database = Path(url.database)
        return FileLocks(database.with_name(database.name + ".job-locks"))
    return LocalLocks()
