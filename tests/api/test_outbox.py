"""The e-mail outbox over a real SMTP server (aiosmtpd on 127.0.0.1).

Delivery, server down then up, 451 then success, 550 → dead, rollback → nothing, two
dispatchers → one mail each, leases, and the read-only listing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.adapters.db.engine import create_engine, session_factory
from app.adapters.db.uow import SqlUnitOfWorkFactory
from app.adapters.smtp import SmtpMailer
from app.bootstrap import build_mailer
from app.domain.auth import SYSTEM
from app.ports.audit import Actor
from app.services import audit
from app.services.mail import OutboxPolicy, dispatch_outbox, message_id_for, queue_mail
from tests.conftest import bearer
from tests.dbutil import ON_POSTGRES
from tests.smtp import SmtpRecorder, free_port

POLICY = OutboxPolicy(max_attempts=8, backoff_base=timedelta(seconds=60), batch_size=50)
TO = "referente@ifsi.example"


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port}


async def queue(app, clock, key: str, to=(TO,), cc=()) -> bool:
    uow = app.state.container.uow_factory()
    async with uow:
        added = await queue_mail(
            uow, now=clock.now(), template="smtp-test", to=list(to), cc=list(cc),
            context={"requested_at": clock.now()}, dedupe_key=key,
        )
        await uow.commit()
    return added


async def dispatch(app, clock, mailer=None, policy=POLICY) -> dict[str, int]:
    mailer = mailer or build_mailer(app.state.container.settings)
    return await dispatch_outbox(app.state.container.uow_factory, clock, mailer, policy)


async def messages(app, status=None):
    uow = app.state.container.uow_factory()
    async with uow:
        return await uow.outbox.list(status=status, after_id=None, limit=500)


async def attempts(app, message_id: int) -> list[str]:
    uow = app.state.container.uow_factory()
    async with uow:
        return [a.outcome for a in await uow.outbox.attempts(message_id)]


def mailer_on(port: int) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, sender="Plateforme <no-reply@ut.example>",
                      timeout_seconds=5)


async def test_a_queued_mail_is_delivered_once_with_its_stable_message_id(
    app, clock, smtp_server
):
    assert await queue(app, clock, "welcome:abc1234d", cc=("daip@ut.example",))
    assert await dispatch(app, clock) == {"sent": 1, "retried": 0, "dead": 0, "lost": 0}

    [mail] = smtp_server.messages
    assert mail["Message-ID"] == message_id_for("welcome:abc1234d")
    assert mail["To"] == TO and mail["Cc"] == "daip@ut.example"
    assert mail["Subject"].startswith("Message de test de la plateforme Moodle")
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert "Bonjour" in mail.get_body(("plain",)).get_content()
    assert smtp_server.envelopes[0][1] == [TO, "daip@ut.example"]

    [stored] = await messages(app)
    assert (stored.status, stored.attempts, stored.sent_at) == ("sent", 1, clock.now())
    assert await attempts(app, stored.id) == ["sent"]

    clock.advance(hours=1)
    assert (await dispatch(app, clock))["sent"] == 0
    assert len(smtp_server.messages) == 1


async def test_queueing_the_same_dedupe_key_twice_queues_one_mail(app, clock, smtp_server):
    assert await queue(app, clock, "storage-alert:ifms-albi:warning:1") is True
    assert await queue(app, clock, "storage-alert:ifms-albi:warning:1") is False
    await dispatch(app, clock)
    assert len(smtp_server.messages) == 1


async def test_a_rolled_back_change_sends_nothing(app, clock, smtp_server):
    uow = app.state.container.uow_factory()
    with pytest.raises(RuntimeError):
        async with uow:
            await queue_mail(
                uow, now=clock.now(), template="smtp-test", to=[TO],
                context={"requested_at": clock.now()}, dedupe_key="rolled-back",
            )
            await audit.record(uow, Actor(SYSTEM), now=clock.now(), action="x.changed",
                               resource_type="x", resource_id="1")
            raise RuntimeError("the business rule failed after queueing")
    assert await messages(app) == []
    assert await dispatch(app, clock) == {"sent": 0, "retried": 0, "dead": 0, "lost": 0}
    assert smtp_server.messages == []


async def test_while_the_server_is_down_the_mail_waits_and_goes_once_it_is_back(app, clock):
    server = SmtpRecorder(port=free_port())  # not started: connection refused
    mailer = mailer_on(server.port)
    await queue(app, clock, "down-then-up")

    assert (await dispatch(app, clock, mailer))["retried"] == 1
    [waiting] = await messages(app)
    assert (waiting.status, waiting.attempts) == ("retrying", 1)
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert waiting.last_error

    server.start()
    try:
        assert (await dispatch(app, clock, mailer))["sent"] == 0  # backoff not elapsed
        clock.advance(seconds=60)
        assert (await dispatch(app, clock, mailer))["sent"] == 1
        clock.advance(hours=1)
        await dispatch(app, clock, mailer)
        assert len(server.messages) == 1
        assert await attempts(app, waiting.id) == ["retry", "sent"]
    finally:
        server.stop()


async def test_a_451_reply_is_retried_after_the_backoff_then_succeeds(app, clock, smtp_server):
    smtp_server.refuse_data.append("451 4.3.0 Mailbox busy, try again later")
    await queue(app, clock, "busy")

    assert (await dispatch(app, clock))["retried"] == 1
    [waiting] = await messages(app)
    assert waiting.status == "retrying"
    assert waiting.last_error.startswith("451")

    clock.advance(seconds=59)
    assert (await dispatch(app, clock))["sent"] == 0
    clock.advance(seconds=1)
    assert (await dispatch(app, clock))["sent"] == 1

    assert len(smtp_server.messages) == 1
    [sent] = await messages(app)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert await attempts(app, sent.id) == ["retry", "sent"]


async def test_a_550_reply_sends_the_message_to_dead_at_once(app, clock, smtp_server):
    smtp_server.refuse_rcpt.append(f"550 5.1.1 <{TO}>: Recipient address rejected")
    await queue(app, clock, "no-such-user")

    assert (await dispatch(app, clock))["dead"] == 1
    [dead] = await messages(app)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert "550" in dead.last_error
    assert "@" not in dead.last_error  # no address in stored errors (R-GDPR-2)

    clock.advance(days=2)
    await dispatch(app, clock)
    assert smtp_server.messages == []
    assert await attempts(app, dead.id) == ["dead"]


async def test_temporary_failures_end_dead_after_the_maximum_attempts(app, clock):
    mailer = mailer_on(free_port())  # nobody listens there
    policy = OutboxPolicy(max_attempts=3, backoff_base=timedelta(seconds=60))
    await queue(app, clock, "never-up")

    await dispatch(app, clock, mailer, policy)
    clock.advance(seconds=60)
    await dispatch(app, clock, mailer, policy)
    [waiting] = await messages(app)
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=120)  # doubled
    clock.advance(seconds=120)
    assert (await dispatch(app, clock, mailer, policy))["dead"] == 1

    [dead] = await messages(app)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert dead.last_error.startswith("gave up after 3 attempts")
    assert await attempts(app, dead.id) == ["retry", "retry", "dead"]


async def test_a_recipient_refused_among_several_does_not_block_the_others(
    app, clock, smtp_server
):
    smtp_server.refuse_rcpt.append("550 5.1.1 unknown")
    await queue(app, clock, "partial", to=("gone@ifsi.example", TO))
    assert (await dispatch(app, clock))["sent"] == 1
    assert smtp_server.envelopes[0][1] == [TO]
    [sent] = await messages(app)
    assert sent.last_error == "sent; 1 recipient(s) refused (550)"


async def test_two_dispatchers_at_once_send_each_message_once(app, clock, smtp_server, settings):
    for n in range(24):
        await queue(app, clock, f"bulk:{n}")
    engines = [create_engine(settings.database_url) for _ in range(2)]
    policy = OutboxPolicy(batch_size=3)
    try:
        results = await asyncio.gather(
            *(
                dispatch_outbox(
                    SqlUnitOfWorkFactory(session_factory(engine)), clock,
                    build_mailer(settings), policy,
                )
                for engine in engines
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()

    assert sum(r["sent"] for r in results) == 24
    assert sum(r["lost"] for r in results) == 0
    ids = smtp_server.message_ids()
    assert len(ids) == 24
    assert sorted(ids) == sorted({message_id_for(f"bulk:{n}") for n in range(24)})
    assert {m.status for m in await messages(app)} == {"sent"}


async def test_a_leased_message_waits_for_its_lease_to_expire(app, clock, smtp_server):
    """A dispatcher that claimed and died: its messages go out once the lease expires."""
    await queue(app, clock, "orphan")
    uow = app.state.container.uow_factory()
    async with uow:
        claimed = await uow.outbox.claim(
            now=clock.now(), lease_until=clock.now() + POLICY.lease, limit=10
        )
        await uow.commit()
    assert [m.dedupe_key for m in claimed] == ["orphan"]

    assert (await dispatch(app, clock))["sent"] == 0
    clock.advance(seconds=POLICY.lease.total_seconds())
    assert (await dispatch(app, clock))["sent"] == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="SKIP LOCKED is PostgreSQL's")
async def test_a_claim_skips_the_rows_another_dispatcher_holds(app, clock, smtp_server):
    for n in range(3):
        await queue(app, clock, f"locked:{n}")
    lease = clock.now() + POLICY.lease
    first = app.state.container.uow_factory()
    async with first:
        held = await first.outbox.claim(now=clock.now(), lease_until=lease, limit=1)
        second = app.state.container.uow_factory()
        async with second:  # the first transaction is still open: its row stays locked
            other = await asyncio.wait_for(
                second.outbox.claim(now=clock.now(), lease_until=lease, limit=10), 5
            )
    assert [m.dedupe_key for m in held] == ["locked:0"]
    assert [m.dedupe_key for m in other] == ["locked:1", "locked:2"]


async def test_outbox_messages_are_listed_by_status_without_their_bodies(
    app, client, clock, smtp_server, make_token
):
    smtp_server.refuse_rcpt.append("550 5.1.1 unknown")
    for key in ("first", "second", "third"):
        await queue(app, clock, key)
    await dispatch(app, clock)  # first → dead, the others → sent
    headers = bearer(make_token("audit:read"))

    dead = await client.get("/api/v1/outbox-messages", params={"status": "dead"},
                            headers=headers)
    assert dead.status_code == 200, dead.text
    [item] = dead.json()["items"]
    assert item["dedupe_key"] == "first"
    assert item["message_id"] == message_id_for("first")
    assert item["next_attempt_at"] is None
    assert "body_text" not in item and "body_html" not in item

    page = await client.get("/api/v1/outbox-messages", params={"limit": 2}, headers=headers)
    body = page.json()
    assert [m["dedupe_key"] for m in body["items"]] == ["first", "second"]
    rest = await client.get(
        "/api/v1/outbox-messages", params={"limit": 2, "cursor": body["next_cursor"]},
        headers=headers,
    )
    assert [m["dedupe_key"] for m in rest.json()["items"]] == ["third"]
    assert rest.json()["next_cursor"] is None

    bad = await client.get("/api/v1/outbox-messages", params={"status": "lost"},
                           headers=headers)
    assert bad.status_code == 422
    forbidden = await client.get("/api/v1/outbox-messages",
                                 headers=bearer(make_token("schools:read")))
    assert forbidden.status_code == 403


# ------------------------------------------------------------------ requeue of dead mails


async def _dead(app, clock, smtp_server, key: str) -> int:
    smtp_server.refuse_rcpt.append("550 5.1.1 mailbox unavailable")
    await queue(app, clock, key)
    assert (await dispatch(app, clock))["dead"] == 1
    [dead] = [m for m in await messages(app, "dead") if m.dedupe_key == key]
    return dead.id


async def test_a_dead_mail_requeued_by_an_admin_is_delivered_once_and_audited(
    app, client, clock, smtp_server, make_token
):
    dead_id = await _dead(app, clock, smtp_server, "requeue-api")
    url = f"/api/v1/outbox-messages/{dead_id}/requeue"
    admin = bearer(make_token("outbox:write", "audit:read"))

    listed = await client.get("/api/v1/outbox-messages", params={"status": "dead"},
                              headers=admin)
    assert [m["id"] for m in listed.json()["items"]] == [dead_id]

    clock.advance(minutes=5)
    requeued = await client.post(url, headers=admin)
    assert requeued.status_code == 200, requeued.text
    body = requeued.json()
    assert (body["status"], body["attempts"], body["last_error"]) == ("pending", 0, None)
    assert body["next_attempt_at"] == clock.now().isoformat().replace("+00:00", "Z")
    again = await client.post(url, headers=admin)  # a repeat: as it is, nothing changed
    assert again.status_code == 200 and again.json() == body

    assert (await dispatch(app, clock))["sent"] == 1
    assert len(smtp_server.messages) == 1
    assert await attempts(app, dead_id) == ["dead", "sent"]
    sent = await client.post(url, headers=admin)
    assert sent.status_code == 409 and sent.json()["code"] == "message-sent"
    assert (await dispatch(app, clock))["sent"] == 0 and len(smtp_server.messages) == 1

    events = (await client.get("/api/v1/audit-events",
                               params={"resource_type": "outbox-message"},
                               headers=admin)).json()["items"]
    requeues = [e for e in events if e["action"] == "mail.requeued"]
    assert len(requeues) == 1  # the repeat and the refusal changed nothing


async def test_requeue_needs_its_scope_and_is_not_for_confined_callers(
    app, client, clock, smtp_server, make_token
):
    dead_id = await _dead(app, clock, smtp_server, "requeue-scope")
    url = f"/api/v1/outbox-messages/{dead_id}/requeue"
    reader = await client.post(url, headers=bearer(make_token("audit:read")))
    assert reader.status_code == 403
    confined = await client.post(
        url, headers=bearer(make_token("outbox:write", schools=["ifms-rodez"])))
    assert confined.status_code == 404
    missing = await client.post("/api/v1/outbox-messages/999999/requeue",
                                headers=bearer(make_token("outbox:write")))
    assert missing.status_code == 404
    huge = await client.post(f"/api/v1/outbox-messages/{2**70}/requeue",
                             headers=bearer(make_token("outbox:write")))
    assert huge.status_code == 422
    [still] = await messages(app, "dead")
    assert still.id == dead_id


async def test_the_cli_requeues_every_dead_mail_and_reports_each_id(
    app, clock, smtp_server, database_url, key_file, monkeypatch, tmp_path
):
    from typer.testing import CliRunner

    from app.cli import cli

    first = await _dead(app, clock, smtp_server, "requeue-cli-1")
    second = await _dead(app, clock, smtp_server, "requeue-cli-2")
    await queue(app, clock, "requeue-cli-ok")
    assert (await dispatch(app, clock))["sent"] == 1
    [ok] = await messages(app, "sent")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    named = await asyncio.to_thread(runner.invoke, cli,
                                    ["mail", "requeue", str(first), str(ok.id), "424242"])
    assert named.exit_code == 1
    assert f"requeued {first}" in named.stdout
    assert f"{ok.id}: unchanged" in named.stderr and "424242: no such message" in named.stderr
    assert "requeued=1 skipped=1 missing=1" in named.stdout

    everything = await asyncio.to_thread(runner.invoke, cli, ["mail", "requeue", "--all"])
    assert everything.exit_code == 0, everything.output
    assert f"requeued {second}" in everything.stdout
    assert f"requeued {first}" not in everything.stdout  # already queued by the first run
    assert (await asyncio.to_thread(runner.invoke, cli, ["mail", "requeue"])).exit_code == 2

    clock.set(datetime.now(UTC) + timedelta(minutes=1))  # the CLI requeues at system time
    assert (await dispatch(app, clock))["sent"] == 2
    assert len(smtp_server.messages) == 3
    assert {m.status for m in await messages(app)} == {"sent"}


async def test_a_dead_mail_without_recipient_left_is_not_requeued(
    app, client, clock, smtp_server, make_token
):
    dead_id = await _dead(app, clock, smtp_server, "requeue-erased")
    async with app.state.container.engine.begin() as connection:  # as an erasure leaves it
        await connection.execute(text(
            "UPDATE outbox_messages SET recipients = '[]', cc = '[]' WHERE id = :id"),
            {"id": dead_id})
    refused = await client.post(f"/api/v1/outbox-messages/{dead_id}/requeue",
                                headers=bearer(make_token("outbox:write")))
    assert refused.status_code == 409 and refused.json()["code"] == "message-without-recipient"
    [still] = await messages(app, "dead")
    assert still.id == dead_id
