"""The e-mail outbox under faults: a real SMTP server (aiosmtpd) that
is down then back, and a real dispatcher process (`convention-api jobs run
outbox-dispatch`) killed with SIGKILL between sending a mail and recording it.

Both run on SQLite and PostgreSQL: the service writes through the in-process app, the
dispatcher is a child process on the same database, moved in time with `--at`."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.services.mail import message_id_for, queue_mail
from tests.api.accounts_helpers import hosted_account
from tests.api.storage_helpers import GB, measure
from tests.api.test_outbox import attempts, messages
from tests.conftest import bearer
from tests.processes import run_cli, service_env, start_cli
from tests.smtp import SmtpRecorder, free_port

LEASE = timedelta(seconds=120)
BACKOFF = timedelta(seconds=60)
REFERENT = "camille.martin@example.org"  # the address accounts_helpers files requests with


def dispatcher_env(settings, key_file: Path, smtp_port: int) -> dict[str, str]:
    return service_env(
        settings.database_url, key_file, smtp_port=smtp_port, smtp_timeout_seconds=10,
        outbox_lease_seconds=int(LEASE.total_seconds()),
        outbox_backoff_base_seconds=int(BACKOFF.total_seconds()),
    )


def dispatch(env: dict[str, str], cwd: Path, at: datetime) -> dict[str, int]:
    """One `convention-api jobs run outbox-dispatch --at AT` process; its counts."""
    done = run_cli("jobs", "run", "outbox-dispatch", "--at", at.isoformat(), env=env, cwd=cwd)
    [line] = [ln for ln in done.stdout.splitlines() if ln.startswith("outbox-dispatch\t")]
    _, outcome, _, counts = line.split("\t")[:4]
    assert outcome == "succeeded", done.stdout
    return {k: int(v) for k, v in (item.split("=") for item in counts.split())}


# ------------------------------------------------------------- SMTP down, then back


async def test_storage_alerts_queued_while_smtp_is_down_are_each_delivered_once_when_it_is_back(
    app, client, clock, make_token, settings, key_file, tmp_path
):
    smtp = SmtpRecorder(port=free_port())  # not started yet: connections are refused
    env = dispatcher_env(settings, key_file, smtp.port)
    staff = bearer(make_token(profile="ut-admin", sub="ut-staff"))
    await hosted_account(
        client, staff, clock, received_at="2025-03-02T09:00:00+01:00",
        fulfilled_at="2025-03-03T09:00:00+01:00",
    )
    plugin = make_token(profile="moodle-plugin", sub="moodle-plugin")
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T09:00:00Z", 37 * GB)
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T10:00:00Z", 42 * GB)
    queued = await messages(app)
    alerts = [m for m in queued if m.template == "storage-alert"]
    assert len(alerts) == 2, [m.template for m in queued]  # warning, then critical
    assert all(m.recipients == (REFERENT,) for m in alerts)
    assert {m.template for m in queued} == {"storage-alert", "account-created"}
    down_at = clock.now()

    counts = dispatch(env, tmp_path, down_at)
    assert counts == {"sent": 0, "retried": len(queued), "dead": 0, "lost": 0}
    for message in await messages(app):
        assert (message.status, message.attempts) == ("retrying", 1), message
        assert message.next_attempt_at == down_at + BACKOFF
        assert message.last_error and "@" not in message.last_error
        assert await attempts(app, message.id) == ["retry"]

    smtp.start()
    try:
        assert dispatch(env, tmp_path, down_at + BACKOFF / 2)["sent"] == 0  # backing off
        assert smtp.messages == []
        assert dispatch(env, tmp_path, down_at + BACKOFF)["sent"] == len(queued)
        assert dispatch(env, tmp_path, down_at + timedelta(hours=1))["sent"] == 0
    finally:
        smtp.stop()

    delivered = smtp.message_ids()
    assert sorted(delivered) == sorted(m.message_id for m in queued)  # each exactly once
    assert len(set(delivered)) == len(delivered)
    alert_mails = [m for m in smtp.messages if m["Message-ID"] in {a.message_id for a in alerts}]
    assert [m["To"] for m in alert_mails] == [REFERENT, REFERENT]
    for message in await messages(app):
        assert (message.status, message.attempts) == ("sent", 2)
        assert await attempts(app, message.id) == ["retry", "sent"]


# ------------------------------------------- the dispatcher killed before it settles


class KillingSmtp(SmtpRecorder):
    """Records the mail, then SIGKILLs the dispatcher process `victim` at `moment`:
    `data` — the message is received, the 250 reply never goes out; `quit` — the client
    got its 250 and says QUIT, so it has sent the mail and not yet recorded it."""

    def __init__(self, moment: str):
        super().__init__()
        self.moment = moment
        self.victim: int | None = None
        self.armed = threading.Event()
        self.killed = threading.Event()

    def _kill(self) -> None:
        if self.armed.wait(10) and not self.killed.is_set():
            assert self.victim is not None
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.moment == "data":
            self._kill()
        return reply

    async def handle_QUIT(self, server, session, envelope):
        if self.moment == "quit":
            self._kill()
        return "221 Bye"


@pytest.mark.parametrize("moment", ["data", "quit"],
                         ids=["killed-while-the-data-is-answered", "killed-after-the-250"])
async def test_a_dispatcher_killed_between_sending_and_settling_sends_at_most_one_duplicate(
    app, clock, settings, key_file, tmp_path, moment
):
    smtp = KillingSmtp(moment).start()
    env = dispatcher_env(settings, key_file, smtp.port)
    uow = app.state.container.uow_factory()
    async with uow:
        await queue_mail(uow, now=clock.now(), template="smtp-test", to=["ops@ut.example"],
                         context={"requested_at": clock.now()}, dedupe_key="killed-once")
        await uow.commit()
    started_at = clock.now()
    try:
        victim = start_cli("jobs", "run", "outbox-dispatch", "--at", started_at.isoformat(),
                           env=env, cwd=tmp_path)
        smtp.victim = victim.pid
        smtp.armed.set()
        try:
            victim.wait(timeout=60)
        finally:
            if victim.poll() is None:  # never left hanging by a failed test
                victim.kill()
                victim.wait(timeout=10)
        assert smtp.killed.is_set(), victim.stderr.read() if victim.stderr else ""
        assert victim.returncode == -signal.SIGKILL
        assert len(smtp.messages) == 1

        [leased] = await messages(app)
        assert (leased.status, leased.attempts, leased.sent_at) == ("pending", 0, None)
        assert await attempts(app, leased.id) == []

        before_expiry = started_at + LEASE - timedelta(seconds=1)
        assert dispatch(env, tmp_path, before_expiry)["sent"] == 0  # still leased
        assert len(smtp.messages) == 1
        assert dispatch(env, tmp_path, started_at + LEASE)["sent"] == 1
        assert dispatch(env, tmp_path, started_at + LEASE * 10)["sent"] == 0
    finally:
        smtp.stop()

    assert smtp.message_ids() == [message_id_for("killed-once")] * 2  # one duplicate at most
    first, second = smtp.messages
    for header in ("Message-ID", "Date", "Subject", "To"):
        assert first[header] == second[header], header
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    [sent] = await messages(app)
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert await attempts(app, sent.id) == ["sent"]
    uow = app.state.container.uow_factory()
    async with uow:
        runs = await uow.job_runs.list(job="outbox-dispatch", before_id=None, limit=10)
    killed, *others = sorted(runs, key=lambda r: r.id)
    assert killed.outcome == "failed" and "abandoned" in (killed.error or "")
    assert [r.outcome for r in others] == ["succeeded"] * 3
