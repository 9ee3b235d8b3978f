"""Fixtures shared by every suite: databases, settings, the app, clients, tokens, SMTP."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from app.adapters.logs import JsonFormatter
from app.adapters.signing_keys import load_or_create_dev_key
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
        "log_level": "INFO",
    }
    values.update(settings_overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings, clock: FakeClock):
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


LIVE_PREFIX = "live-token:"
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


class _LogCollector(logging.Handler):
    """Keeps every log record of the run, formatted as the service writes it (JSON)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    # The test SMTP server (aiosmtpd) is a peer, not the service: its protocol log is not
    # the service's log.
    PEERS = ("mail.log",)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(self.PEERS):
            return
        try:
            self.lines.append(self.format(record))
        except Exception:  # pragma: no cover - never break a test on logging
            self.lines.append(record.getMessage())


LOGS = _LogCollector()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger().addHandler(LOGS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """R-GDPR-2: no log line of the whole run may hold an e-mail address."""
    leaks = [line for line in LOGS.lines if EMAIL.search(line)]
    if leaks:
        print("\nPersonal data found in the logs of this run:")
        for line in leaks[:10]:
            print("  ", EMAIL.sub("<e-mail>", line)[:300])
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


async def _problems_hold_no_email(response: httpx.Response) -> None:
    """R-GDPR-2: problem bodies never contain an e-mail address."""
    if response.status_code >= 400:
        body = (await response.aread()).decode("utf-8", "replace")
        assert not EMAIL.search(body), f"a {response.status_code} problem echoes an e-mail"


@pytest.fixture
def live_tokens() -> dict[str, dict]:
    """Tokens minted at request time, so tests can move the clock across years."""
    return {}


@pytest.fixture
async def client(app, clock, live_tokens) -> AsyncIterator[httpx.AsyncClient]:
    async def mint_at_request_time(request: httpx.Request) -> None:
        value = request.headers.get("authorization", "")
        if value.startswith(f"Bearer {LIVE_PREFIX}"):
            params = live_tokens[value.removeprefix(f"Bearer {LIVE_PREFIX}")]
            token = app.state.container.tokens.issue(now=clock.now(), **params)
            request.headers["authorization"] = f"Bearer {token}"

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver",
        event_hooks={"request": [mint_at_request_time], "response": [_problems_hold_no_email]},
    ) as c:
        yield c


TokenMaker = Callable[..., str]


@pytest.fixture
def make_token(app, clock: FakeClock, live_tokens) -> TokenMaker:
    """A bearer token for the test client. `live=True` (default) mints it when each
    request is sent, at the FakeClock's time; `live=False` gives a real token now."""

    def make(
        *scopes: str,
        profile: str | None = None,
        schools: list[str] | None = None,
        sub: str = "tester",
        client_id: str | None = "test-client",
        live: bool = True,
    ) -> str:
        granted = list(scopes)
        if profile is not None:
            granted += list(PROFILES[profile])
        params = {"subject": sub, "scopes": granted, "client_id": client_id,
                  "schools": schools}
        if live:
            key = str(len(live_tokens))
            live_tokens[key] = params
            return LIVE_PREFIX + key
        return app.state.container.tokens.issue(now=clock.now(), **params)

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
