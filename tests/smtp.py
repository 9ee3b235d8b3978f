"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in its own thread.

It records what it accepts and can be scripted to refuse: `refuse_rcpt` and
`refuse_data` hold replies (e.g. "451 4.3.0 Try later") used once each, in order."""

from __future__ import annotations

import socket
import threading
from collections import deque
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpRecorder:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_rcpt: deque[str] = deque()
        self.refuse_data: deque[str] = deque()
        self.sessions = 0
        self._received = threading.Condition()
        self._controller: Controller | None = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sessions += 1
        if self.refuse_data:
            return self.refuse_data.popleft()
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._received:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._received.notify_all()
        return "250 2.0.0 Message accepted for delivery"

    def start(self) -> SmtpRecorder:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block (in a worker thread) until `count` messages arrived; False on timeout."""
        with self._received:
            return self._received.wait_for(lambda: len(self.messages) >= count, timeout)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]
