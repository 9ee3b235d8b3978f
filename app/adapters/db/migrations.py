"""Alembic, driven from code: the CLI, the embedded start-up and the tests use this."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raises when the models and the migrations differ (`alembic check`)."""
    command.check(alembic_config(database_url))


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def schema_readiness(engine: AsyncEngine, timeout_seconds: float = 5) -> tuple[bool, str]:
    """(ready, reason): the database answers within the timeout and its schema is at
    the migrations' head."""
    try:
        current = await asyncio.wait_for(current_revision(engine), timeout_seconds)
    except Exception as exc:  # any failure means "not ready"
        return False, f"database unreachable ({type(exc).__name__})"
    if current != head_revision():
        return False, "database schema is not at head"
    return True, "ok"
