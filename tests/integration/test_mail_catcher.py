"""`convention-api mail catch`: the development SMTP server the README names prints and
stores every mail the outbox sends (and delivers none)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from email.message import EmailMessage

import aiosmtplib

from tests.processes import start_cli
from tests.smtp import free_port


def test_the_mail_catcher_prints_and_stores_a_french_mail(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    catcher = start_cli("mail", "catch", "--port", str(port), "--dir", str(tmp_path / "mail"),
                        env=env, cwd=tmp_path)
    try:
        assert "catching mail" in catcher.stdout.readline()
        message = EmailMessage()
        message["From"] = "convention@univ-toulouse.fr"
        message["To"] = "camille.durand@ifms-rodez.fr"
        message["Subject"] = "Votre compte Moodle est créé"
        message.set_content("Bonjour Camille,\nvotre compte dur1234a est créé.")
        asyncio.run(aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=10))
        lines = [catcher.stdout.readline() for _ in range(7)]
        printed = "".join(lines)
        assert "To: camille.durand@ifms-rodez.fr" in printed
        assert "Subject: Votre compte Moodle est créé" in printed
        assert "votre compte dur1234a est créé." in printed
        [stored] = list((tmp_path / "mail").glob("*.eml"))
        assert b"dur1234a" in stored.read_bytes()
    finally:
        catcher.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while catcher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if catcher.poll() is None:
            catcher.kill()
    assert catcher.returncode == 0
