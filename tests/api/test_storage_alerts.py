"""Storage levels, alerts and their mails over a real SMTP server, and the storage jobs
(R-STO-1, R-STO-2, R-STO-4, R-UNIT-1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.domain.auth import SCOPES
from app.services.storage import FOLD_JOB, REMINDERS_JOB, RETRIEVAL_JOB
from tests.api.storage_helpers import (
    GB,
    add_referent,
    alerts,
    measure,
    post,
    queued,
    run,
    snap,
    stored_count,
)
from tests.conftest import bearer

REFERENT = "referente.rodez@ifsi.example"
UT = "daip.contact@univ-tlse3.fr"


@pytest.fixture
def settings_overrides(smtp_server):
    return {"smtp_port": smtp_server.port}


@pytest.fixture
def plugin(make_token) -> str:
    return make_token(profile="moodle-plugin", sub="moodle-plugin")


@pytest.fixture
def admin(make_token) -> str:
    return make_token(*SCOPES, sub="ut-admin")


async def deliver(app, clock) -> dict[str, int]:
    """Run the outbox dispatcher as of the test clock (mails go to the SMTP server)."""
    return await run(app, clock, "outbox-dispatch", clock.now().isoformat())


def level_of(usage: dict, code: str) -> str:
    return next(s["level"] for s in usage["schools"] if s["school_code"] == code)


async def current_level(client, token: str, code: str = "ifms-rodez") -> str:
    response = await client.get("/api/v1/storage/usage", headers=bearer(token))
    return level_of(response.json(), code)


def summary(events: list[dict]) -> list[tuple]:
    return [(e["kind"], e["level_from"], e["level_to"], e["bytes_used"], e["threshold_bytes"],
             e["recipients_count"]) for e in events]


async def test_levels_rise_at_90_and_100_percent_and_clear_one_gigabyte_below(
    app, client, clock, plugin, admin, smtp_server
):
    await add_referent(app, "ifms-rodez", REFERENT)
    steps = [
        (36_899_999_999, "ok"),
        (36_900_000_000, "warning"),
        (41_000_000_000, "critical"),
        (40_500_000_000, "critical"),  # within the 1 GB margin: stays critical
        (40_000_000_000, "critical"),  # exactly threshold − 1 GB: still held
        (39_999_999_999, "warning"),  # below: one `cleared` event, no mail
        (35_900_000_000, "warning"),
        (35_899_999_999, "ok"),
    ]
    start = datetime(2025, 3, 3, 8, tzinfo=UTC)
    for hour, (size, expected) in enumerate(steps):
        at = (start + timedelta(hours=hour)).isoformat()
        await measure(client, clock, plugin, "ifms-rodez", at, size)
        assert await current_level(client, admin) == expected, (size, expected)

    assert summary(await alerts(client, admin)) == [
        ("raised", "ok", "warning", 36_900_000_000, 36_900_000_000, 1),
        ("raised", "warning", "critical", 41_000_000_000, 41_000_000_000, 1),
        ("cleared", "critical", "warning", 39_999_999_999, 41_000_000_000, 0),
        ("cleared", "warning", "ok", 35_899_999_999, 36_900_000_000, 0),
    ]
    assert (await deliver(app, clock))["sent"] == 2
    warning, critical = smtp_server.messages
    for mail, (_, recipients) in zip(smtp_server.messages, smtp_server.envelopes, strict=True):
        assert mail["To"] == REFERENT and mail["Cc"] == UT
        assert recipients == [REFERENT, UT]
    assert warning["Subject"] == (
        "Espace de stockage Moodle : IFMS Rodez approche du seuil de 41,00 Go"
    ), warning["Subject"]
    text = warning.get_body(("plain",)).get_content()
    assert "Espace utilisé : 36,90 Go (36\u202f900\u202f000\u202f000 octets), 90 % du seuil" in text
    assert "il a atteint 36,90 Go, soit 90 %" in text
    assert "Tendance : non calculée" in text and "Prévision :" in text
    assert "a atteint le seuil de 41,00 Go" in critical["Subject"]
    assert "tous les 7 jours" in critical.get_body(("plain",)).get_content()


async def test_ok_straight_to_critical_is_one_rise_and_one_mail(
    app, client, clock, plugin, admin, smtp_server
):
    await add_referent(app, "ifms-rodez", REFERENT)
    await add_referent(app, "ifms-rodez", "second.referent@ifsi.example")
    await add_referent(app, "ifms-rodez", "former@ifsi.example",
                       valid_until=date(2025, 3, 2))  # no longer a referent
    await add_referent(app, "ifms-albi", "albi@ifsi.example")
    for minute in range(5):
        await measure(client, clock, plugin, "ifms-rodez", f"2025-03-03T08:{minute:02d}:00Z",
                      45 * GB + minute)
    assert summary(await alerts(client, admin)) == [
        ("raised", "ok", "critical", 45 * GB, 41 * GB, 2)
    ]
    await deliver(app, clock)
    [mail] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == [REFERENT, "second.referent@ifsi.example", UT]
    assert "Espace utilisé : 45,00 Go" in mail.get_body(("plain",)).get_content()


async def test_a_school_without_referents_alerts_ut_alone(
    app, client, clock, plugin, admin, smtp_server
):
    await measure(client, clock, plugin, "ifms-auch", "2025-03-03T08:00:00Z", 42 * GB)
    [event] = await alerts(client, admin)
    assert event["recipients_count"] == 0
    await deliver(app, clock)
    assert smtp_server.envelopes[0][1] == [UT]
    assert "IFMS Auch a atteint le seuil" in smtp_server.messages[0]["Subject"]


async def test_fifty_days_of_snapshots_above_41_gb_send_one_rise_mail_and_seven_reminders(
    app, client, clock, plugin, admin, smtp_server
):
    """A snapshot every 6 hours for 50 days, the reminder job run daily (crossing the
    spring DST change): reminders fall 7, 14, … 49 days of measured time after the rise."""
    await add_referent(app, "ifms-rodez", REFERENT)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    reminders_sent = []
    for step in range(50 * 4):
        at = start + timedelta(hours=6 * step)
        await measure(client, clock, plugin, "ifms-rodez", at.isoformat(), 41 * GB + step)
        if at.hour == 12:
            counts = await run(app, clock, REMINDERS_JOB, (at + timedelta(minutes=30)).isoformat())
            reminders_sent.append(counts["reminders"])
    assert sum(reminders_sent) == 7
    assert max(reminders_sent) == 1
    # Replaying the last day sends nothing again.
    assert (await run(app, clock, REMINDERS_JOB, clock.now().isoformat()))["reminders"] == 0

    events = await alerts(client, admin)
    assert [e["kind"] for e in events] == ["raised"] + ["reminder"] * 7
    # 7 Paris days each: 01:00 Paris before 30 March (UTC+1), 01:00 Paris after (UTC+2).
    assert [e["occurred_at"] for e in events[1:]] == [
        "2025-03-08T00:00:00Z", "2025-03-15T00:00:00Z", "2025-03-22T00:00:00Z",
        "2025-03-29T00:00:00Z", "2025-04-04T23:00:00Z", "2025-04-11T23:00:00Z",
        "2025-04-18T23:00:00Z",
    ]
    assert all(e["threshold_bytes"] == 41 * GB for e in events)

    assert (await deliver(app, clock))["sent"] == 8
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sum(s.startswith("Espace de stockage Moodle") for s in subjects) == 1
    assert sum(s.startswith("Rappel") for s in subjects) == 7
    assert len(set(smtp_server.message_ids())) == 8
    last = smtp_server.messages[-1].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "au niveau « critique »\ndepuis le 1er mars 2025" in last
    assert "n’est pas redescendu sous 40,00 Go" in last


async def test_reminders_wait_for_measured_time(app, client, clock, plugin, admin):
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:00:00Z", 42 * GB)
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-09T08:00:00Z", 42 * GB)
    # Ten days later by the wall clock, but the plugin measured only 6 days.
    assert (await run(app, clock, REMINDERS_JOB, "2025-03-13T08:00:00Z"))["reminders"] == 0
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-13T09:00:00Z", 42 * GB)
    assert (await run(app, clock, REMINDERS_JOB, "2025-03-13T10:00:00Z"))["reminders"] == 1


async def test_the_pool_alerts_ut_at_90_and_100_percent_of_the_capacity(
    app, client, clock, plugin, admin, smtp_server, make_token
):
    schools = ["ifms-albi", "ifms-auch", "ifms-lot", "ifms-montauban", "ifms-pamiers",
               "ifms-rodez", "ifms-tarbes", "ifsi-millau", "prefms-ife", "prefms-ifsi"]
    clock.set("2025-03-03T09:00:00Z")
    items = [snap(code, "2025-03-03T08:00:00Z", 30 * GB) for code in schools]
    assert (await post(client, plugin, items)).json()["accepted"] == 10
    pool = (await client.get("/api/v1/storage/usage", headers=bearer(admin))).json()
    assert (pool["total_bytes"], pool["pool_level"]) == (300 * GB, "ok")

    # 449 GB: not yet 90 %; 450 GB: warning.
    await measure(client, clock, plugin, "prefms-eia", "2025-03-03T08:10:00Z", 149 * GB)
    assert (await client.get("/api/v1/storage/usage", headers=bearer(admin))).json()[
        "pool_level"] == "ok"
    await measure(client, clock, plugin, "prefms-eia", "2025-03-03T08:20:00Z", 150 * GB)
    usage = (await client.get("/api/v1/storage/usage", headers=bearer(admin))).json()
    assert (usage["total_bytes"], usage["total_ratio"], usage["pool_level"]) == (
        450 * GB, 0.9, "warning")
    pool_events = [e for e in await alerts(client, admin) if e["scope"] == "pool"]
    assert summary(pool_events) == [("raised", "ok", "warning", 450 * GB, 450 * GB, 1)]
    assert pool_events[0]["school_code"] is None

    # 500 GB: critical.
    await measure(client, clock, plugin, "prefms-eia", "2025-03-03T08:30:00Z", 200 * GB)
    pool_events = [e for e in await alerts(client, admin) if e["scope"] == "pool"]
    assert summary(pool_events)[1:] == [
        ("raised", "warning", "critical", 500 * GB, 500 * GB, 1)]

    # A referent sees neither the pool events nor other schools' events.
    referent = make_token(profile="school-referent", schools=["ifms-rodez"])
    assert [e["scope"] for e in await alerts(client, referent)] == []

    await deliver(app, clock)
    pool_mails = [m for m in smtp_server.messages if "partagé" in m["Subject"]]
    assert len(pool_mails) == 2
    assert [m["To"] for m in pool_mails] == [UT, UT]
    assert "450,00 Go sur 500,00 Go (90 %)" in pool_mails[0].get_body(("plain",)).get_content()
    assert "500,00 Go sur 500,00 Go (100 %)" in pool_mails[1].get_body(("plain",)).get_content()


async def test_the_alert_list_filters_by_school_and_since_and_pages(
    app, client, clock, plugin, admin, make_token
):
    for code, hour in (("ifms-rodez", 8), ("ifms-albi", 9), ("ifms-rodez", 10)):
        size = 42 * GB if hour != 10 else 30 * GB
        await measure(client, clock, plugin, code, f"2025-03-03T{hour:02d}:00:00Z", size)
    assert [(e["school_code"], e["kind"]) for e in await alerts(client, admin)] == [
        ("ifms-rodez", "raised"), ("ifms-albi", "raised"), ("ifms-rodez", "cleared")]
    assert len(await alerts(client, admin, school_code="ifms-rodez")) == 2
    assert len(await alerts(client, admin, since="2025-03-03T09:00:00Z")) == 2
    assert await alerts(client, admin, school_code="nowhere") == []

    first = await client.get("/api/v1/storage/alerts", params={"limit": 2},
                             headers=bearer(admin))
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = await client.get("/api/v1/storage/alerts",
                            params={"limit": 2, "cursor": page["next_cursor"]},
                            headers=bearer(admin))
    assert [e["kind"] for e in rest.json()["items"]] == ["cleared"]
    assert rest.json()["next_cursor"] is None

    referent = make_token(profile="school-referent", schools=["ifms-albi"])
    assert [e["school_code"] for e in await alerts(client, referent)] == ["ifms-albi"]
    assert await alerts(client, referent, school_code="ifms-rodez") == []
    forged = await client.get("/api/v1/storage/alerts", params={"cursor": "nope"},
                              headers=bearer(admin))
    assert forged.status_code == 422


async def test_retrieval_reminders_go_90_and_30_days_before_the_access_end_once(
    app, client, clock, smtp_server
):
    await add_referent(app, "ifms-rodez", REFERENT, valid_until=date(2029, 8, 31))
    await add_referent(app, "ifms-albi", "albi@ifsi.example", valid_until=date(2029, 8, 31))
    # Access end 31 Aug 2029: reminders on 2 June and 1 August 2029 (Paris days).
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-06-01T21:59:00Z"))["mailed"] == 0
    first = await run(app, clock, RETRIEVAL_JOB, "2029-06-01T22:00:00Z")
    assert first["mailed"] == 20  # two schools to referents, 18 to UT alone
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-06-03T06:00:00Z"))["mailed"] == 0
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-07-31T06:00:00Z"))["mailed"] == 0
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-08-01T06:00:00Z"))["mailed"] == 20
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-08-30T06:00:00Z"))["mailed"] == 0
    assert (await run(app, clock, RETRIEVAL_JOB, "2029-09-01T06:00:00Z"))["mailed"] == 0

    mails = await queued(app, "storage-retrieval")
    rodez = [m for m in mails if REFERENT in m.recipients]
    assert len(rodez) == 2 and rodez[0].cc == (UT,)
    assert rodez[0].subject == (
        "Fin de la convention Moodle le 31 août 2029 : récupérez vos contenus (IFMS Rodez)"
    ), rodez[0].subject
    assert "dans 90 jours" in rodez[0].body_text and "dans 30 jours" in rodez[1].body_text
    clock.set("2029-08-01T06:00:00Z")
    assert (await deliver(app, clock))["sent"] == 40
    assert len(smtp_server.messages) == 40


async def test_old_snapshots_are_folded_into_daily_figures_that_history_still_reads(
    app, client, clock, plugin, admin
):
    for at, size in (("2025-03-03T07:00:00Z", 5), ("2025-03-03T20:00:00Z", 8),
                     ("2025-03-03T22:00:00Z", 6), ("2025-03-04T10:00:00Z", 7)):
        await measure(client, clock, plugin, "ifms-rodez", at, size * GB)
    query = {"from": "2025-03-01T00:00:00Z", "to": "2025-03-06T00:00:00Z"}
    before = (await client.get("/api/v1/schools/ifms-rodez/storage", params=query,
                               headers=bearer(admin))).json()["points"]
    # 22:00Z is 23:00 in Paris: still 3 March, its last measurement.
    assert [(p["bytes_max"], p["bytes_last"]) for p in before] == [(8 * GB, 6 * GB),
                                                                  (7 * GB, 7 * GB)]
    # 3 March is folded once it is more than 400 days old (Paris days), 4 March a day later.
    assert (await run(app, clock, FOLD_JOB, "2026-04-07T12:00:00Z"))["folded"] == 0
    assert (await run(app, clock, FOLD_JOB, "2026-04-07T22:30:00Z"))["folded"] == 3
    assert await stored_count(app) == 1
    assert (await run(app, clock, FOLD_JOB, "2026-04-08T22:30:00Z"))["folded"] == 1
    assert await stored_count(app) == 0
    clock.set("2026-04-09T00:00:00Z")
    after = (await client.get("/api/v1/schools/ifms-rodez/storage", params=query,
                              headers=bearer(admin))).json()["points"]
    assert after == before
    weekly = (await client.get("/api/v1/schools/ifms-rodez/storage",
                               params=query | {"window": "week"},
                               headers=bearer(admin))).json()["points"]
    assert [(p["bytes_max"], p["bytes_last"]) for p in weekly] == [(8 * GB, 7 * GB)]
    assert (await run(app, clock, FOLD_JOB, "2026-04-09T22:30:00Z"))["folded"] == 0


def test_the_storage_jobs_are_registered(app):
    assert {REMINDERS_JOB, RETRIEVAL_JOB, FOLD_JOB} <= set(app.state.container.jobs.names())


async def test_the_reminder_job_replays_a_day_from_the_command_line(
    app, client, clock, plugin, admin, settings, monkeypatch
):
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-03T08:00:00Z", 42 * GB)
    await measure(client, clock, plugin, "ifms-rodez", "2025-03-10T09:00:00Z", 42 * GB)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(settings.jwt_private_key_file))
    result = await asyncio.to_thread(
        CliRunner().invoke, cli,
        ["jobs", "run", REMINDERS_JOB, "--at", "2025-03-10T10:00:00+01:00"],
    )
    assert result.exit_code == 0, result.output
    assert "reminders=1" in result.output
    assert [e["kind"] for e in await alerts(client, admin)] == ["raised", "reminder"]
