"""A development SMTP server that delivers nowhere: it prints each mail the outbox sends
(sender, recipients, subject, text body) and stores it as an `.eml` file, so a newcomer
sees the French mails the rules send. `convention-api mail catch` runs it; the service's
default SMTP settings (127.0.0.1:1025) point at it. Never for production."""

from __future__ import annotations

import itertools
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailCatcher:
    """aiosmtpd handler: accepts every message, prints it and writes it under `directory`."""

    def __init__(self, directory: Path, echo: Callable[[str], None]):
        self.directory = directory
        self.echo = echo
        self._numbers = itertools.count(1)
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{next(self._numbers):04d}.eml"
        path.write_bytes(envelope.content)
        body = message.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        self.echo(
            f"--- mail {path.name}\nFrom: {envelope.mail_from}\n"
            f"To: {', '.join(envelope.rcpt_tos)}\nSubject: {message['subject']}\n\n"
            f"{text.rstrip()}\n"
        )
        return "250 2.0.0 caught (development mail catcher)"


def catch_until_stopped(directory: Path, *, host: str, port: int,
                        echo: Callable[[str], None]) -> None:
    """Catch mail on host:port until SIGINT or SIGTERM."""
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # waited for below, in this thread
    controller = Controller(MailCatcher(directory, echo), hostname=host, port=port)
    controller.start()
    echo(f"catching mail on {host}:{port}, stored in {directory}/ (Ctrl-C stops)")
    try:
        signal.sigwait(stop)
    finally:
        controller.stop()
