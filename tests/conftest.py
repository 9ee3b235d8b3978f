"""Fixtures shared by every suite: databases, settings, the app, clients, tokens, SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.adapters.tokens import load_or_create_dev_key
from app.domain.auth import PROFILES, SCOPES
from app.main import create_app
from app.settings import Settings
from tests.dbutil import DatabaseFactory
from tests.fakes import FakeClock
from tests.smtp import SmtpRecorder


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "dev-test-key.pem"
    load_or_create_dev_key(path)
    return path


@pytest.fixture
async def database_url(databases: DatabaseFactory) -> AsyncIterator[str]:
    url = await databases.fresh()
    yield url
    await databases.drop(url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock("2025-03-03T09:00:00+00:00")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a module to change settings for its tests."""
    return {}


@pytest.fixture
def settings(database_url: str, key_file: Path, settings_overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "jwt_private_key_file": key_file,
        "auto_migrate": False,
        "seed_on_start": True,
        "run_scheduler": False,
        "log_level": "WARNING",
    }
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings, clock: FakeClock):
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


TokenMaker = Callable[..., str]


@pytest.fixture
def make_token(app, clock: FakeClock) -> TokenMaker:
    def make(
        *scopes: str,
        profile: str | None = None,
        schools: list[str] | None = None,
        sub: str = "tester",
        client_id: str | None = "test-client",
    ) -> str:
        granted = list(scopes)
        if profile is not None:
            granted += list(PROFILES[profile])
        return app.state.tokens.issue(
            subject=sub, scopes=granted, client_id=client_id, schools=schools, now=clock.now()
        )

    return make


@pytest.fixture
def admin_headers(make_token: TokenMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(*SCOPES, sub='ut-admin')}"}


@pytest.fixture
def smtp_server() -> Iterator[SmtpRecorder]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd). Point the app at it with
    `settings_overrides` returning {"smtp_port": smtp_server.port}."""
    server = SmtpRecorder().start()
    yield server
    server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
