"""The `convention-api` command: database, seed, clients, tokens, contract."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import Settings

runner = CliRunner()


@pytest.fixture
def cli_env(databases, key_file, monkeypatch, tmp_path):
    url = databases.empty_url()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    return url


def _ok(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_then_seed_twice_loads_the_reference_data_once(cli_env):
    _ok("db", "upgrade")
    assert "1 convention, 20 schools" in _ok("db", "seed")
    assert "0 convention, 0 schools" in _ok("db", "seed")


def test_a_created_client_gets_a_token_with_its_secret(cli_env):
    _ok("db", "upgrade")
    _ok("db", "seed")
    output = _ok("clients", "create", "Moodle plugin", "--scope", "storage:write access:read")
    values = dict(line.split("=", 1) for line in output.strip().splitlines())
    assert values["client_secret"]
    listed = _ok("clients", "list")
    assert values["client_id"] in listed and values["client_secret"] not in listed

    from app.adapters.auth import TokenClientAuth
    from app.adapters.clock import SystemClock
    from app.adapters.db.engine import create_engine, session_factory
    from app.adapters.db.uow import SqlUnitOfWorkFactory
    from app.bootstrap import build_token_service
    from app.services import clients

    settings = Settings(_env_file=None, database_url=cli_env,  # type: ignore[call-arg]
                        jwt_private_key_file=__import__("os").environ["JWT_PRIVATE_KEY_FILE"])

    async def token() -> str:
        engine = create_engine(cli_env)
        try:
            issued = await clients.issue_token(
                SqlUnitOfWorkFactory(session_factory(engine))(), SystemClock(),
                TokenClientAuth(build_token_service(settings)),
                client_id=values["client_id"], client_secret=values["client_secret"],
                requested_scope=None,
            )
            return issued.scope
        finally:
            await engine.dispose()

    assert asyncio.run(token()) == "storage:write access:read"
    _ok("clients", "revoke", values["client_id"])
    assert "revoked" in _ok("clients", "list")


def test_an_unknown_scope_is_refused_by_the_cli(cli_env):
    _ok("db", "upgrade")
    result = runner.invoke(cli, ["clients", "create", "x", "--scope", "everything:all"])
    assert result.exit_code != 0


def test_minted_tokens_carry_scopes_and_schools(cli_env):
    output = _ok("tokens", "mint", "--sub", "referent-1", "--scope", "schools:read",
                 "--school", "ifms-rodez")
    from app.bootstrap import build_token_service

    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        jwt_private_key_file=__import__("os").environ["JWT_PRIVATE_KEY_FILE"])
    principal = build_token_service(settings).verify(output.strip())
    assert principal.subject == "referent-1"
    assert principal.scopes == {"schools:read"}
    assert principal.schools == ("ifms-rodez",)


def test_openapi_command_writes_the_contract(cli_env, tmp_path):
    target = tmp_path / "openapi.json"
    _ok("openapi", "--output", str(target))
    assert "/api/v1/schools" in json.loads(target.read_text())["paths"]


def test_a_token_minted_for_a_profile_carries_the_profiles_scopes(cli_env):
    from app.bootstrap import build_token_service
    from app.domain.auth import PROFILES

    output = _ok("tokens", "mint", "--sub", "ticketing", "--profile", "ticketing")
    settings = Settings(_env_file=None,  # type: ignore[call-arg]
                        jwt_private_key_file=__import__("os").environ["JWT_PRIVATE_KEY_FILE"])
    assert build_token_service(settings).verify(output.strip()).scopes == set(
        PROFILES["ticketing"])


def test_an_unknown_profile_or_no_scope_at_all_is_refused_by_the_cli(cli_env):
    _ok("db", "upgrade")
    assert runner.invoke(cli, ["clients", "create", "x", "--profile", "nobody"]).exit_code != 0
    assert runner.invoke(cli, ["clients", "create", "x"]).exit_code != 0
    assert runner.invoke(cli, ["tokens", "mint", "--sub", "x"]).exit_code != 0
