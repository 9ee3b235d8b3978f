"""Test databases: one migrated template per run, a fresh copy per test.

SQLite by default (files under a temporary folder); PostgreSQL when TEST_DATABASE_URL is
set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test): the template is a database
created and migrated once, each test gets `CREATE DATABASE … TEMPLATE …`."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.adapters.db import migrations

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))


def _pg_dsn(database: str) -> str:
    url = make_url(TEST_DATABASE_URL)  # type: ignore[arg-type]
    url = url.set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def _pg_url(database: str) -> str:
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(  # type: ignore[arg-type]
        hide_password=False
    )


async def _pg_admin(sql: str) -> None:
    admin_db = make_url(TEST_DATABASE_URL).database or "postgres"  # type: ignore[arg-type]
    connection = await asyncpg.connect(_pg_dsn(admin_db))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


class DatabaseFactory:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.prefix = f"ct_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.template_url: str | None = None
        self.created: list[str] = []

    def empty_url(self) -> str:
        """A new, empty database (for migration tests). Call it outside an event loop."""
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        if ON_POSTGRES:
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            return _pg_url(name)
        return f"sqlite+aiosqlite:///{self.tmp / (name + '.db')}"

    def template(self) -> str:
        if self.template_url is None:
            url = self.empty_url()
            migrations.upgrade(url)
            self.template_url = url
        return self.template_url

    async def fresh(self) -> str:
        template = await asyncio.to_thread(self.template)
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
        if ON_POSTGRES:
            template_name = make_url(template).database
            await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
            self.created.append(name)
            return _pg_url(name)
        source = Path(make_url(template).database)  # type: ignore[arg-type]
        target = self.tmp / f"{name}.db"
        shutil.copyfile(source, target)
        return f"sqlite+aiosqlite:///{target}"

    async def drop(self, url: str) -> None:
        if ON_POSTGRES:
            name = make_url(url).database
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self.created:
                self.created.remove(name)

    def drop_all(self) -> None:
        if not ON_POSTGRES:
            return

        async def _drop() -> None:
            for name in list(self.created):
                await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        asyncio.run(_drop())
