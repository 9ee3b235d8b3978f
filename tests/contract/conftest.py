"""A live uvicorn server in a thread, on a fresh database, for contract tests."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from app.domain.auth import SCOPES
from app.main import create_app
from app.settings import Settings
from tests.dbutil import DatabaseFactory

# Each run draws a new seed on top of the fixed one (another seed has found what the
# fixed one did not). It is printed in the header and in every failure of the runs that
# use it; `SCHEMATHESIS_SEED=<n>` replays that run.
RANDOM_SEED = int(os.environ.get("SCHEMATHESIS_SEED") or secrets.randbelow(2**31))
SEED_HINT = f"Schemathesis random seed {RANDOM_SEED} (replay: SCHEMATHESIS_SEED={RANDOM_SEED})"


def pytest_report_header() -> str:
    return SEED_HINT


@dataclass
class LiveServer:
    base_url: str
    app: object
    token: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(databases: DatabaseFactory, key_file: Path) -> Iterator[LiveServer]:
    url = asyncio.run(databases.fresh())
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=url,
        jwt_private_key_file=key_file,
        auto_migrate=False,
        seed_on_start=True,
        log_level="WARNING",
        token_rate_limit_per_minute=10_000,
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    from datetime import UTC, datetime

    token = app.state.container.tokens.issue(
        subject="schemathesis", scopes=list(SCOPES), client_id="schemathesis",
        now=datetime.now(UTC),
    )
    try:
        yield LiveServer(base_url=f"http://127.0.0.1:{port}", app=app, token=token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
