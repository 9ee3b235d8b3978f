"""Fault tests: their own PostgreSQL cluster (initdb + pg_ctl on a free port, a temporary
data directory), never the shared server on 5432. Run in the PostgreSQL pass of the suite
(TEST_DATABASE_URL set) where the PostgreSQL binaries exist."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn

from app.adapters.db import migrations
from app.domain.auth import SCOPES
from app.main import create_app
from app.settings import Settings
from tests.dbutil import ON_POSTGRES


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


PG_BIN = _pg_bin()

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="fault tests run in the PostgreSQL pass"),
    pytest.mark.skipif(PG_BIN is None, reason="PostgreSQL binaries are not installed"),
    pytest.mark.skipif(shutil.which("runuser") is None, reason="runuser is needed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """A throw-away PostgreSQL cluster owned by the `postgres` system user."""

    def __init__(self) -> None:
        assert PG_BIN is not None
        self.root = Path(tempfile.mkdtemp(prefix="fault-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        os.chmod(self.root, 0o777)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, check=check,
                              timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", action, *extra)

    def start(self) -> None:
        self._ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self._ctl("restart", "-m", mode)

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    c = PrivateCluster()
    c.start()
    try:
        yield c
    finally:
        c.destroy()


@dataclass
class Service:
    base_url: str
    app: object
    database_url: str

    def token(self, *scopes: str) -> str:
        return self.app.state.container.tokens.issue(  # type: ignore[attr-defined]
            subject="fault-test", scopes=list(scopes or SCOPES), client_id="fault-test",
            now=datetime.now(UTC),
        )


@pytest.fixture
def service(cluster: PrivateCluster, key_file: Path) -> Iterator[Service]:
    """The app under uvicorn (in a thread) on a fresh database of the private cluster."""
    url = cluster.create_database(f"svc_{free_port()}")
    migrations.upgrade(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test", database_url=url, jwt_private_key_file=key_file,
        auto_migrate=False, seed_on_start=True, log_level="WARNING",
        database_pool_size=4,
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "service did not start"
        time.sleep(0.05)
    try:
        yield Service(base_url=f"http://127.0.0.1:{port}", app=app, database_url=url)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
