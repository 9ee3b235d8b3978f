"""`convention-api jobs list|run` and `convention-api mail test`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import cli

runner = CliRunner()


@pytest.fixture
def cli_env(databases, key_file, smtp_server, monkeypatch, tmp_path):
    url = databases.empty_url()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("SMTP_PORT", str(smtp_server.port))
    monkeypatch.chdir(tmp_path)
    for step in (["db", "upgrade"], ["db", "seed"]):
        result = runner.invoke(cli, step)
        assert result.exit_code == 0, result.output
    return url


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_jobs_list_names_each_job_with_its_schedule(cli_env):
    lines = run("jobs", "list").splitlines()
    assert any(line.startswith("outbox-dispatch\tevery 1 minute\t") for line in lines)
    assert all(len(line.split("\t")) == 3 for line in lines)


def test_jobs_run_as_of_an_instant_runs_each_slot_once(cli_env):
    first = run("jobs", "run", "--at", "2025-03-03T10:00:30+01:00")
    assert "outbox-dispatch\tsucceeded\t2025-03-03T09:00:00+00:00\tsent=0" in first
    again = run("jobs", "run", "--at", "2025-03-03T10:00:45+01:00")
    assert "outbox-dispatch\tnot-due" in again
    named = run("jobs", "run", "outbox-dispatch", "--at", "2025-03-03T10:00:45+01:00")
    assert "outbox-dispatch\tsucceeded\t2025-03-03T09:00:45+00:00" in named


def test_a_queued_test_mail_goes_out_with_the_next_run(cli_env, smtp_server):
    queued = run("mail", "test", "--to", "exploitation@ut.example")
    assert queued.startswith("queued <")
    output = run("jobs", "run", "outbox-dispatch")
    assert "sent=1" in output
    [mail] = smtp_server.messages
    assert mail["To"] == "exploitation@ut.example"
    assert mail["Message-ID"] in queued


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "run", "--at", "2025-03-03T10:00:00"),  # naive
        ("jobs", "run", "--at", "yesterday"),
        ("jobs", "run", "no-such-job"),
    ],
)
def test_jobs_run_refuses_a_naive_or_malformed_instant_and_unknown_jobs(cli_env, args):
    output = run(*args, code=2)
    assert "Invalid value" in output
