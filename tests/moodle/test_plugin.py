"""The reference Moodle plugin (clients/moodle/local_convention): its PHPUnit suite run
against PostgreSQL tables generated from Moodle's install.xml and against a live instance
of this service (uvicorn on SQLite, stopped and restarted by the PHP tests), `php -l` on
every file, and the coding standard (phpcs).

Needs php-cli, php-pgsql, php-curl, php-xml and phpunit (Debian packages; `.ci/run`
installs them): skipped, saying so, only where php itself is absent. PostgreSQL is the
server of TEST_DATABASE_URL, else the local one on 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from app.bootstrap import build_token_service
from app.domain.auth import PROFILES
from app.settings import Settings
from tests.processes import REPO, UvicornProcess, bearer_token, cli_command, run_cli, service_env
from tests.smtp import free_port

MOODLE = REPO / "clients" / "moodle"
PLUGIN = MOODLE / "local_convention"
PHP = shutil.which("php")

pytestmark = pytest.mark.skipif(
    PHP is None,
    reason="php is not installed: apt-get install php-cli php-pgsql php-curl php-xml phpunit "
    "php-codesniffer (.ci/run does)",
)

REFUSED_UID = "ref0001a"
ALLOWED_UID = "act0001a"


def _pg_admin_dsn() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = "postgresql://postgres@127.0.0.1:5432/postgres"
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


async def _pg_execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def moodle_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the plugin's tables, as a libpq connection string."""
    admin = _pg_admin_dsn()
    name = f"moodle_plugin_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"no PostgreSQL server reachable at {make_url(admin).host}: {error} "
                    "(set TEST_DATABASE_URL)")
    url = make_url(admin)
    parts = {"host": url.host or "127.0.0.1", "port": url.port or 5432,
             "user": url.username or "postgres", "dbname": name}
    if url.password:
        parts["password"] = url.password
    yield " ".join(f"{key}={value}" for key, value in parts.items())
    asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _make_accounts(base_url: str, token: str) -> None:
    """An account allowed now and a locked one, through the API as UT would."""
    headers = {"Authorization": f"Bearer {token}"}
    now = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for number, uid in enumerate((ALLOWED_UID, REFUSED_UID)):
            filed = client.post("/api/v1/account-requests", json={
                "ticket_ref": f"MOODLE-{number}", "school_code": "ifms-rodez", "kind": "trainer",
                "given_name": "Camille", "family_name": "Martin",
                "email": f"formateur{number}@example.org",
                "received_at": (now - timedelta(minutes=5)).isoformat(),
            })
            assert filed.status_code == 201, filed.text
            done = client.post(f"/api/v1/account-requests/{filed.json()['id']}/fulfilment",
                               json={"uid": uid, "fulfilled_at": now.isoformat()})
            assert done.status_code == 200, done.text
        locked = client.post(f"/api/v1/accounts/{REFUSED_UID}/lock",
                             json={"reason": "Départ de l'établissement"})
        assert locked.status_code == 200, locked.text
        allowed = client.get(f"/api/v1/accounts/{ALLOWED_UID}/access")
        assert allowed.json()["allowed"] is True, allowed.text


@pytest.fixture(scope="module")
def live_service(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> dict:
    """The service's database (SQLite) migrated and seeded, the plugin's client, two
    accounts, and how to start the service: the PHP tests start and stop it themselves."""
    tmp = tmp_path_factory.mktemp("moodle-live")
    env = service_env(f"sqlite+aiosqlite:///{tmp / 'convention.db'}", key_file,
                      token_rate_limit_per_minute=1000)
    run_cli("db", "upgrade", env=env, cwd=tmp)
    run_cli("db", "seed", env=env, cwd=tmp)
    created = run_cli("clients", "create", "Moodle plugin", "--scope", "storage:write",
                      "--scope", "access:read", env=env, cwd=tmp).stdout
    credentials = dict(line.split("=", 1) for line in created.splitlines() if "=" in line)
    admin_token = bearer_token(key_file, lifetime_seconds=3600)
    with UvicornProcess(env, tmp / "setup.log") as setup:
        _make_accounts(setup.base_url, admin_token)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", jwt_private_key_file=key_file,
    )
    expired = build_token_service(settings).issue(
        subject="moodle-plugin", scopes=PROFILES["moodle-plugin"],
        client_id=credentials["client_id"], now=datetime.now(UTC) - timedelta(hours=2),
    )
    port = free_port()
    return {
        "argv": cli_command("serve", "--host", "127.0.0.1", "--port", str(port),
                            "--log-level", "warning"),
        "env": env,
        "cwd": str(tmp),
        "url": f"http://127.0.0.1:{port}",
        "log": str(tmp / "service.log"),
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "admin_token": admin_token,
        "expired_token": expired,
        "refused_uid": REFUSED_UID,
        "allowed_uid": ALLOWED_UID,
    }


def test_the_plugin_passes_its_phpunit_suite_on_moodle_tables_and_the_live_service(
    moodle_database: str, live_service: dict, tmp_path: Path
) -> None:
    phpunit = shutil.which("phpunit")
    assert phpunit, "phpunit is not installed (apt-get install phpunit; .ci/run does)"
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "CONVENTION_TEST_PG": moodle_database,
           "CONVENTION_TEST_LIVE": json.dumps(live_service)}
    done = subprocess.run([phpunit, "-c", str(MOODLE / "tests" / "phpunit.xml"),
                           "--log-junit", str(junit)],
                          env=env, cwd=MOODLE / "tests", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"PHPUnit failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    counts = {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}
    assert counts["tests"] >= 15 and counts["failures"] == counts["errors"] == 0, counts
    assert counts["skipped"] == 0, f"PHPUnit skipped tests:\n{done.stdout[-3000:]}"


def _php_files() -> list[Path]:
    return sorted(MOODLE.rglob("*.php"))


def test_every_php_file_of_the_plugin_and_its_tests_passes_php_lint() -> None:
    files = _php_files()
    assert len(files) >= 30
    bad = []
    for path in files:
        done = subprocess.run([PHP, "-l", str(path)], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            bad.append(f"{path.relative_to(REPO)}: {done.stdout.strip()} {done.stderr.strip()}")
    assert not bad, "\n".join(bad)


def test_the_php_code_follows_the_coding_standard() -> None:
    phpcs = shutil.which("phpcs")
    if phpcs is None:
        pytest.skip("phpcs is not installed: apt-get install php-codesniffer (.ci/run does)")
    done = subprocess.run([phpcs, "--standard=" + str(MOODLE / "phpcs.xml"), "--report=full",
                           "-q", str(MOODLE)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
