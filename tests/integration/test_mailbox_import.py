"""`convention-api support import FILE`: DAIP's exported mailbox (an mbox file or a
folder of .eml files) becomes support requests and first responses, idempotently."""

from __future__ import annotations

import asyncio
import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.adapters.mailbox import parse_message, read_mailbox
from app.cli import cli
from tests.conftest import bearer

runner = CliRunner()

REQUEST = """\
Received: from mx.univ-tlse3.fr (mx.univ-tlse3.fr [192.0.2.1])
\tby mail.univ-tlse3.fr with ESMTPS; Mon, 3 Mar 2025 10:00:05 +0100
Received: from smtp.ifsi.example by mx.univ-tlse3.fr;
 Mon, 03 Mar 2025 08:59:58 +0000
Date: Mon, 3 Mar 2025 09:59:50 +0100
From: =?utf-8?q?Secr=C3=A9tariat_IFSI?= <secretariat@ifsi.example>
To: daip.contact@univ-tlse3.fr
Subject: =?utf-8?q?Acc=C3=A8s_=C3=A0_Moodle_impossible?=
Message-ID: <req-1@ifsi.example>
Content-Type: text/plain; charset=utf-8

Bonjour, nos étudiants ne peuvent plus se connecter.
""".encode()

REPLY = b"""\
Date: Tue, 4 Mar 2025 10:00:00 +0100
From: DAIP <Daip.Contact@univ-tlse3.fr>
To: secretariat@ifsi.example
Subject: Re: Acces a Moodle impossible
Message-ID: <reply-1@univ-tlse3.fr>
In-Reply-To: <req-1@ifsi.example>
References: <req-1@ifsi.example>

Bonjour, c'est corrige.
"""

FOLLOW_UP = b"""\
Received: by mail.univ-tlse3.fr; Tue, 4 Mar 2025 11:00:00 +0100
Date: Tue, 4 Mar 2025 10:59:00 +0100
From: secretariat@ifsi.example
Subject: Re: Re: Acces a Moodle impossible
Message-ID: <follow-1@ifsi.example>
In-Reply-To: <reply-1@univ-tlse3.fr>
References: <req-1@ifsi.example> <reply-1@univ-tlse3.fr>

Merci !
"""

DATE_ONLY = b"""\
Date: Wed, 5 Mar 2025 16:00:00 +0100
From: formateur@ifms.example
Subject: Question
Message-ID: <req-2@ifms.example>

Une question.
"""

NO_ID = b"""\
Date: Wed, 5 Mar 2025 16:00:00 +0100
From: formateur@ifms.example
Subject: Sans identifiant

Texte.
"""


def write_mbox(path: Path, *messages: bytes) -> Path:
    box = mailbox.mbox(path)
    try:
        for raw in messages:
            box.add(raw)
        box.flush()
    finally:
        box.close()
    return path


@pytest.fixture
def cli_env(database_url, key_file, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("DAIP_EMAIL", "daip.contact@univ-tlse3.fr")
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def import_file(path: Path) -> dict[str, int]:
    result = await asyncio.to_thread(runner.invoke, cli, ["support", "import", str(path)])
    assert result.exit_code == 0, result.output
    first_line = result.stdout.strip().splitlines()[0]
    return {k: int(v) for k, v in (item.split("=") for item in first_line.split())}


async def test_an_mbox_imports_requests_and_daip_replies_and_runs_again_safely(
    app, client, clock, cli_env, make_token
):
    path = write_mbox(cli_env / "daip.mbox", REQUEST, REPLY, REQUEST, FOLLOW_UP, DATE_ONLY, NO_ID)
    first = await import_file(path)
    assert first == first | {
        "read": 6, "created": 2, "duplicates": 1, "responses": 1, "follow_ups": 1,
        "invalid": 1, "already_recorded": 0, "conflicts": 0,
    }
    second = await import_file(path)
    assert second == second | {
        "read": 6, "created": 0, "already_recorded": 2, "duplicates": 1, "responses": 0,
        "responses_already_recorded": 1, "follow_ups": 1, "invalid": 1, "conflicts": 0,
    }

    clock.set("2025-03-10T12:00:00+01:00")
    reader = bearer(make_token("support:read"))
    items = (await client.get("/api/v1/support-requests", headers=reader)).json()["items"]
    by_message = {i["message_id"]: i for i in items}
    assert set(by_message) == {"<req-1@ifsi.example>", "<req-2@ifms.example>"}
    answered = by_message["<req-1@ifsi.example>"]
    # The topmost Received: header is DAIP's server: 10:00:05 Paris.
    assert answered["received_at"] == "2025-03-03T09:00:05Z"
    assert answered["from_email"] == "secretariat@ifsi.example"
    assert answered["subject"] == "Accès à Moodle impossible"
    assert answered["response_due_at"] == "2025-03-05T09:00:05Z"
    assert answered["responded_at"] == "2025-03-04T09:00:00Z"
    assert (answered["status"], answered["sla_outcome"]) == ("answered", "met")
    assert answered["business_seconds_to_response"] == 7 * 3600 + 29 * 60 + 55 + 5400
    # R-SUP-3: the follow-up (Received 11:00 Paris) is the request's last message.
    assert answered["last_message_at"] == "2025-03-04T10:00:00Z"
    date_only = by_message["<req-2@ifms.example>"]
    assert date_only["received_at"] == "2025-03-05T15:00:00Z"  # Date: without Received:
    assert date_only["response_due_at"] == "2025-03-07T15:00:00Z"
    assert date_only["status"] == "open"


async def test_a_later_reply_from_daip_does_not_replace_the_first_response(
    app, client, clock, cli_env, make_token
):
    later = REPLY.replace(b"<reply-1@", b"<reply-2@").replace(b" 4 Mar", b" 6 Mar")
    await import_file(write_mbox(cli_env / "a.mbox", REQUEST, later))
    counts = await import_file(write_mbox(cli_env / "b.mbox", REQUEST, REPLY, later))
    assert counts == counts | {"already_recorded": 1, "other_replies": 1, "responses": 0}
    clock.set("2025-03-10T12:00:00+01:00")
    reader = bearer(make_token("support:read"))
    [item] = (await client.get("/api/v1/support-requests", headers=reader)).json()["items"]
    assert item["responded_at"] == "2025-03-06T09:00:00Z"  # the first import's reply
    assert item["sla_outcome"] == "breached"


async def test_a_folder_of_eml_files_is_read_in_path_order(tmp_path):
    folder = tmp_path / "export"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "001.eml").write_bytes(REQUEST)
    (folder / "inbox" / "002.EML").write_bytes(FOLLOW_UP)
    (folder / "notes.txt").write_text("not a message")
    (folder / "sent.eml").write_bytes(REPLY)
    mails = list(read_mailbox(folder))
    assert [m.message_id for m in mails] == [
        "<req-1@ifsi.example>", "<follow-1@ifsi.example>", "<reply-1@univ-tlse3.fr>"
    ]
    follow_up = mails[1]
    assert follow_up.in_reply_to == ("<reply-1@univ-tlse3.fr>", "<req-1@ifsi.example>")
    assert follow_up.received_at == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    assert mails[2].received_at is None
    assert mails[2].sent_at == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert mails[2].from_email == "Daip.Contact@univ-tlse3.fr"


def test_an_unreadable_received_date_falls_back_to_date_and_minus_zero_is_utc():
    raw = (b"Received: by mx; not a date\nDate: Wed, 5 Mar 2025 16:00:00 -0000\n"
           b"From: a@b.example\nMessage-ID: <x@y>\n\nbody\n")
    mail = parse_message(raw, "x.eml")
    assert mail.received_at is None
    assert mail.instant == datetime(2025, 3, 5, 16, 0, tzinfo=UTC)
    assert mail.subject == ""


def test_a_missing_file_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["support", "import", str(tmp_path / "missing.mbox")])
    assert result.exit_code == 2


async def test_hostile_mails_are_rejected_alone_and_reported_and_the_others_imported(
    app, client, clock, cli_env, make_token
):
    nul = DATE_ONLY.replace(b"<req-2@", b"<nul@").replace(b"Subject: Question",
                                                          b"Subject: Qu\x00estion")
    naive = DATE_ONLY.replace(b"<req-2@", b"<naive@").replace(b"16:00:00 +0100",
                                                              b"16:00:00")
    impossible = DATE_ONLY.replace(b"<req-2@", b"<feb@").replace(b"Wed, 5 Mar",
                                                                 b"Sat, 31 Feb")
    long_id = DATE_ONLY.replace(b"<req-2@", b"<" + b"x" * 1200 + b"@")
    path = write_mbox(cli_env / "hostile.mbox", nul, REQUEST, naive, impossible, long_id,
                      DATE_ONLY)
    result = await asyncio.to_thread(runner.invoke, cli, ["support", "import", str(path)])
    assert result.exit_code == 0, result.output
    counts = dict(item.split("=") for item in result.stdout.strip().splitlines()[0].split())
    assert (counts["read"], counts["created"], counts["invalid"]) == ("6", "2", "4")
    for index in (1, 3, 4, 5):
        assert f"hostile.mbox#{index}:" in result.stderr
    clock.set("2025-03-10T12:00:00+01:00")
    reader = bearer(make_token("support:read"))
    items = (await client.get("/api/v1/support-requests", headers=reader)).json()["items"]
    assert {i["message_id"] for i in items} == {"<req-1@ifsi.example>",
                                                "<req-2@ifms.example>"}
