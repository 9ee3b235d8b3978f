"""Alembic owns the schema: upgrade → downgrade base → upgrade, and no drift."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from app.adapters.db import migrations
from app.adapters.db.engine import create_engine


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_migrations_go_up_down_and_up_again_without_drift(databases):
    url = databases.empty_url()
    migrations.upgrade(url)
    migrations.check(url)
    assert {"schools", "convention", "audit_events", "outbox_messages"} <= _tables(url)
    migrations.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}
    migrations.upgrade(url)
    migrations.check(url)


def test_every_migration_file_is_date_prefixed_and_reversible():
    from pathlib import Path

    versions = Path(migrations.ROOT, "alembic", "versions")
    files = sorted(p for p in versions.glob("*.py"))
    assert files
    for path in files:
        name = path.name
        assert name[:4].isdigit() and name[4] == "_" and name[10] == "_", name
        source = path.read_text()
        assert "def downgrade()" in source
        downgrade = source.split("def downgrade()")[1]
        assert downgrade.strip().split("\n")[1].strip() != "pass", f"{name} has no downgrade"
