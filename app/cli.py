"""`convention-api`: database, reference data, clients, tokens, contract, jobs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from app.adapters.auth import TokenClientAuth
from app.adapters.clock import SystemClock
from app.adapters.db import migrations
from app.adapters.uvicorn_workers import serve_workers
from app.bootstrap import (
    build_jobs,
    build_rules,
    build_support_policy,
    build_token_service,
    open_database,
)
from app.domain.auth import PROFILES, SYSTEM, Principal
from app.ports.audit import Actor
from app.services import clients as client_service
from app.services import jobs as job_service
from app.services import mail as mail_service
from app.services.seed import seed_reference_data
from app.settings import Settings, load_settings

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
db_cli = typer.Typer(no_args_is_help=True, help="Schema and reference data.")
clients_cli = typer.Typer(no_args_is_help=True, help="Registered machine clients (OAuth2).")
tokens_cli = typer.Typer(no_args_is_help=True, help="Tokens for development and tests.")
cli.add_typer(db_cli, name="db")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(tokens_cli, name="tokens")
jobs_cli = typer.Typer(no_args_is_help=True, help="Periodic jobs (cron, CronJob, replays).")
mail_cli = typer.Typer(no_args_is_help=True, help="The e-mail outbox.")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(mail_cli, name="mail")

CLI_ACTOR = Actor(Principal(subject="cli", client_id=None, scopes=SYSTEM.scopes))


def _settings() -> Settings:
    return load_settings()


async def _with_uow(settings: Settings, work):
    async with open_database(settings) as database:
        return await work(database.uow_factory)


@db_cli.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations (alembic upgrade)."""
    migrations.upgrade(_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (`base` for an empty schema)."""
    migrations.downgrade(_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_cli.command("seed")
def db_seed() -> None:
    """Load the convention's reference data (idempotent)."""
    settings = _settings()
    added = asyncio.run(
        _with_uow(
            settings,
            lambda f: seed_reference_data(f(), SystemClock(), CLI_ACTOR, build_rules(settings)),
        )
    )
    typer.echo(f"seeded: {added['convention']} convention, {added['schools']} schools")


@cli.command("openapi")
def openapi(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("openapi/openapi.json"),
) -> None:
    """Write the OpenAPI contract generated from create_app()."""
    # The app (every route and schema) is loaded by this command only: the others, and
    # the workers `serve` spawns (which import this module before they answer uvicorn's
    # health pings), start without it.
    from app.main import create_app

    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", environment="development")
    document = create_app(settings).openapi()
    output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    output.write_text(text)
    typer.echo(f"wrote {output}")
    # The fingerprint CHANGELOG.md records for this contract (tests/contract/test_versioning.py).
    typer.echo(f"openapi.json sha256 `{hashlib.sha256(text.encode()).hexdigest()}`")


def _auth(settings: Settings) -> TokenClientAuth:
    return TokenClientAuth(build_token_service(settings))


def _profile_scopes(profile: str | None) -> list[str]:
    if profile is None:
        return []
    if profile not in PROFILES:
        raise typer.BadParameter(f"unknown profile; one of {', '.join(PROFILES)}",
                                 param_hint="--profile")
    return list(PROFILES[profile])


def _requested_scopes(profile: str | None, scope: list[str] | None) -> list[str]:
    """The profile's scopes and the `--scope` ones (each may list several)."""
    scopes = _profile_scopes(profile) + [s for item in scope or [] for s in item.split()]
    if not scopes:
        raise typer.BadParameter("give --profile or --scope", param_hint="--scope")
    return scopes


PROFILE_HELP = "the scopes of a profile of README's table (" + ", ".join(PROFILES) + ")"


@clients_cli.command("create")
def clients_create(
    name: str,
    scope: Annotated[list[str] | None,
                     typer.Option("--scope", help="repeat; a scope of DESIGN.md")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help=PROFILE_HELP)] = None,
    school: Annotated[list[str] | None, typer.Option("--school")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id")] = None,
) -> None:
    """Register a client; prints its id and secret (the secret is shown once)."""
    settings = _settings()
    scopes = _requested_scopes(profile, scope)
    created = asyncio.run(
        _with_uow(
            settings,
            lambda f: client_service.create_client(
                f(), SystemClock(), _auth(settings), CLI_ACTOR,
                name=name, scopes=scopes, schools=school or None, client_id=client_id,
            ),
        )
    )
    typer.echo(f"client_id={created.client.client_id}")
    typer.echo(f"client_secret={created.secret}")


@clients_cli.command("list")
def clients_list() -> None:
    """List registered clients (never their secrets)."""
    found = asyncio.run(_with_uow(_settings(), lambda f: client_service.list_clients(f())))
    for c in found:
        state = "revoked" if c.revoked_at else "active"
        schools = ",".join(c.schools) if c.schools else "-"
        typer.echo(f"{c.client_id}\t{state}\t{c.name}\t{' '.join(c.scopes)}\t{schools}")


@clients_cli.command("revoke")
def clients_revoke(client_id: str) -> None:
    """Revoke a client: it gets no new tokens."""
    asyncio.run(
        _with_uow(
            _settings(),
            lambda f: client_service.revoke_client(f(), SystemClock(), CLI_ACTOR, client_id),
        )
    )
    typer.echo(f"revoked {client_id}")


@tokens_cli.command("mint")
def tokens_mint(
    sub: Annotated[str, typer.Option("--sub")],
    scope: Annotated[list[str] | None, typer.Option("--scope")] = None,
    profile: Annotated[str | None, typer.Option("--profile", help=PROFILE_HELP)] = None,
    school: Annotated[list[str] | None, typer.Option("--school")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id")] = None,
) -> None:
    """Print a signed token (development and tests)."""
    settings = _settings()
    scopes = client_service.check_scopes(_requested_scopes(profile, scope))
    token = _auth(settings).issue(
        subject=sub, scopes=scopes, client_id=client_id, schools=school or None,
        now=datetime.now(UTC),
    )
    typer.echo(token)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "an RFC 3339 instant, e.g. 2025-05-02T06:00:00+02:00", param_hint="--at"
        ) from None
    if parsed.tzinfo is None:
        raise typer.BadParameter("the instant needs an offset (Z or ±hh:mm)", param_hint="--at")
    return parsed.astimezone(UTC)


@jobs_cli.command("list")
def jobs_list() -> None:
    """List the periodic jobs: name, schedule, what it does."""
    for job in build_jobs(_settings()):
        typer.echo(f"{job.name}\t{job.schedule.describe()}\t{job.description}")


@jobs_cli.command("run")
def jobs_run(
    name: Annotated[
        str | None, typer.Argument(help="One job, run due or not; default: every due job")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Run as of this RFC 3339 instant (default: now)"),
    ] = None,
) -> None:
    """Run the jobs due as of --at, or job NAME; exit 1 when a job failed."""
    settings = _settings()
    instant = _instant(at)
    registry = build_jobs(settings)
    if name is not None and name not in registry.names():
        raise typer.BadParameter(
            f"no such job (known: {', '.join(registry.names())})", param_hint="NAME"
        )

    async def work() -> list[job_service.JobOutcome]:
        async with open_database(settings) as database:
            wiring = {"uow_factory": database.uow_factory, "locks": database.job_locks,
                      "clock": SystemClock(), "at": instant}
            if name is None:
                return await job_service.run_due(registry, **wiring)
            return [await job_service.run_job(registry, name, **wiring)]

    outcomes = asyncio.run(work())
    for outcome in outcomes:
        slot = outcome.scheduled_for.isoformat() if outcome.scheduled_for else "-"
        counts = " ".join(f"{k}={v}" for k, v in outcome.counts.items()) or "-"
        line = f"{outcome.job}\t{outcome.outcome}\t{slot}\t{counts}"
        typer.echo(line + (f"\t{outcome.error}" if outcome.error else ""))
    if any(o.outcome == "failed" for o in outcomes):
        raise typer.Exit(1)


@mail_cli.command("requeue")
def mail_requeue(
    ids: Annotated[list[int] | None, typer.Argument(
        help="Outbox message ids (GET /api/v1/outbox-messages?status=dead)")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Every dead message")] = False,
) -> None:
    """Put e-mails the dispatcher gave up (`dead`) back in the queue, audited; the next
    `jobs run outbox-dispatch` sends them. Exit 1 when an id is unknown."""
    if bool(ids) == all_dead:
        typer.echo("give message ids or --all", err=True)
        raise typer.Exit(2)
    report = asyncio.run(
        _with_uow(
            _settings(),
            lambda f: mail_service.requeue_dead(f, SystemClock(), CLI_ACTOR,
                                                None if all_dead else ids),
        )
    )
    for message_id in report.requeued:
        typer.echo(f"requeued {message_id}")
    for message_id, reason in report.skipped:
        typer.echo(f"{message_id}: unchanged: {reason}", err=True)
    for message_id in report.missing:
        typer.echo(f"{message_id}: no such message", err=True)
    typer.echo(f"requeued={len(report.requeued)} skipped={len(report.skipped)} "
               f"missing={len(report.missing)}")
    if report.missing:
        raise typer.Exit(1)


@mail_cli.command("catch")
def mail_catch(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 1025,
    directory: Annotated[Path, typer.Option("--dir", help="Where .eml files go")] = Path(
        "var/mail"),
) -> None:
    """Development: an SMTP server on SMTP_HOST:SMTP_PORT's defaults that prints and stores
    every mail the outbox sends (in var/mail/), delivering nothing. Ctrl-C stops it."""
    try:  # aiosmtpd: a development tool, missing from a runtime-only install (the image)
        from app.adapters.mail_catcher import catch_until_stopped
    except ImportError:
        typer.echo("aiosmtpd is missing: pip install -r requirements-dev.lock", err=True)
        raise typer.Exit(1) from None

    def echo(text: str) -> None:
        typer.echo(text)
        sys.stdout.flush()

    catch_until_stopped(directory, host=host, port=port, echo=echo)


@mail_cli.command("test")
def mail_test(to: Annotated[str, typer.Option("--to", help="Recipient address")]) -> None:
    """Queue the French test mail (checks the SMTP set-up once the dispatcher runs)."""
    message_id = asyncio.run(
        _with_uow(
            _settings(),
            lambda f: mail_service.queue_test_mail(f(), SystemClock(), CLI_ACTOR, to=to),
        )
    )
    typer.echo(f"queued {message_id}; `convention-api jobs run outbox-dispatch` sends it now")


support_cli = typer.Typer(no_args_is_help=True, help="Support requests to DAIP.")
cli.add_typer(support_cli, name="support")


@support_cli.command("import")
def support_import(
    file: Annotated[
        Path,
        typer.Argument(exists=True, help="An mbox file, or a folder of .eml files"),
    ],
) -> None:
    """Import DAIP's exported mailbox: one request per Message-ID, DAIP's replies as
    first responses. Safe to run again on the same export."""
    from app.adapters.mailbox import read_mailbox
    from app.services import support as support_service

    settings = _settings()
    mails = list(read_mailbox(file))
    report = asyncio.run(
        _with_uow(
            settings,
            lambda f: support_service.import_mailbox(
                f, SystemClock(), CLI_ACTOR, mails, build_support_policy(settings),
                daip_email=settings.daip_email,
            ),
        )
    )
    typer.echo(" ".join(f"{k}={v}" for k, v in report.counts().items()))
    for problem in report.problems:
        typer.echo(problem, err=True)


enrolments_cli = typer.Typer(no_args_is_help=True, help="Students: the schooling office's files.")
cli.add_typer(enrolments_cli, name="enrolments")


@enrolments_cli.command("import")
def enrolments_import(
    file: Annotated[Path, typer.Argument(help="CSV export (see README, section Students)")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check everything, store nothing")]
    = False,
) -> None:
    """Enrol the students of a CSV file in batches of 1,000; exit 1 when a row is rejected."""
    from rich.console import Console
    from rich.progress import Progress

    from app.adapters import csv_import
    from app.services import enrolments as enrolment_service

    console = Console(stderr=True)
    try:
        parsed = csv_import.read_enrolments(file)
    except csv_import.CsvFormatError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if parsed.ignored_columns:
        console.print("ignored column(s): " + ", ".join(parsed.ignored_columns))

    async def work(factory):
        with Progress(console=console) as progress:
            task = progress.add_task(f"{file.name} ({parsed.encoding}, '{parsed.delimiter}')",
                                     total=len(parsed.items))
            return await enrolment_service.import_enrolments(
                factory, SystemClock(), CLI_ACTOR, parsed.items, dry_run=dry_run,
                on_batch=lambda _, size: progress.advance(task, size),
            )

    outcome = asyncio.run(_with_uow(_settings(), work))
    rejected = [(parsed.lines[r.index], error) for r in outcome.results for error in r.errors]
    tables = [csv_import.summary_table(created=outcome.created, duplicates=outcome.duplicates,
                                       rejected=outcome.rejected, dry_run=dry_run)]
    if rejected:
        tables.append(csv_import.rejections_table(rejected))
    csv_import.print_tables(Console(), *tables)
    if outcome.rejected:
        raise typer.Exit(1)


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    app: Annotated[str, typer.Option(help="ASGI app factory (import string)")] = (
        "app.main:create_app"),
    access_log: Annotated[bool, typer.Option(help="uvicorn's access log")] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
    graceful_seconds: Annotated[int, typer.Option(
        help="Seconds given to requests in flight at shutdown")] = 20,
    keep_alive_seconds: Annotated[int, typer.Option(
        help="Seconds an idle keep-alive connection is kept")] = 5,
) -> None:
    """Serve the API with uvicorn (`uvicorn --factory app.main:create_app`), and with
    several workers keep TCP_NODELAY on their connections and put Prometheus in
    multiprocess mode, so that a scrape answered by any worker counts the requests of all
    of them (app/adapters/uvicorn_workers.py)."""
    config = uvicorn.Config(
        app, factory=True, host=host, port=port, workers=workers, access_log=access_log,
        log_level=log_level, timeout_graceful_shutdown=graceful_seconds,
        timeout_keep_alive=keep_alive_seconds,
        proxy_headers=True, forwarded_allow_ips=_settings().forwarded_allow_ips,
    )
    if workers == 1:
        uvicorn.Server(config).run()  # asyncio makes a TCP listener itself
    else:
        serve_workers(config)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
