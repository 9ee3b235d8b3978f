"""The `Mailer` over real SMTP (aiosmtplib): one connection per message.

Classification: connection errors, timeouts and 4xx replies are temporary
(retried by the dispatcher with backoff); a 5xx reply is permanent (the message goes to
`dead`). An authentication failure is treated as temporary: it is the server's
configuration, not the message, that is wrong, and mails must survive the fix.
Details never contain e-mail addresses (R-GDPR-2): servers often echo them."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

import aiosmtplib

from app.domain.redaction import without_addresses
from app.ports.outbox import DeliveryError, OutboxMessage

DETAIL_MAX = 500


def scrub(text: str) -> str:
    return without_addresses(text, DETAIL_MAX)


def build_message(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, the stored Message-ID, and the
    queueing instant as its Date (the same bytes on every attempt)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(message.recipients)
    if message.cc:
        mail["Cc"] = ", ".join(message.cc)
    mail["Subject"] = message.subject
    mail["Message-ID"] = message.message_id
    mail["Date"] = format_datetime(message.created_at)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body_text, subtype="plain", charset="utf-8")
    mail.add_alternative(message.body_html, subtype="html", charset="utf-8")
    return mail


class SmtpMailer:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_seconds: float = 10.0,
    ):
        self.host = host
        self.port = port
        self.sender = sender
        self.envelope_sender = parseaddr(sender)[1] or sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout_seconds = timeout_seconds

    async def send(self, message: OutboxMessage) -> str | None:
        mail = build_message(message, sender=self.sender)
        recipients = [addr for _, addr in getaddresses([*message.recipients, *message.cc])]
        try:
            refused, _ = await aiosmtplib.send(
                mail,
                sender=self.envelope_sender,
                recipients=recipients,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls,
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            permanent = all(code >= 500 for code in codes)
            raise DeliveryError(
                f"every recipient refused ({', '.join(map(str, codes))})", permanent=permanent
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP authentication failed ({exc.code})", permanent=False
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"{exc.code} {scrub(exc.message)}", permanent=exc.code >= 500
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{type(exc).__name__}: {scrub(str(exc))}", permanent=False
            ) from None
        if refused:
            codes = sorted({r.code for r in refused.values()})
            return f"sent; {len(refused)} recipient(s) refused ({', '.join(map(str, codes))})"
        return None
