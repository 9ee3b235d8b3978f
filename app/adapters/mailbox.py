"""Reads an export of DAIP's mailbox: an mbox file or a folder of `.eml` files
(standard library `email` and `mailbox`), message by message.

Instants: the topmost `Received:` header is the one DAIP's own server added last, so
its date (after the last `;`) is when the message reached DAIP; `Date:` is when the
sender's client sent it. An RFC 5322 `-0000` zone is read as UTC; a date without a zone
(naive: its instant is unknown), an impossible one (31 February) or one out of range is
None, as a missing one; the import decides what to do with them.

A message that cannot be stored as it is (a NUL character in a header, a Message-ID or
an address longer than the database holds, a message the parser cannot read at all)
carries its `problem`: the import rejects it alone and reports it."""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from app.ports.support import InboundMail

_MSG_ID = re.compile(r"<[^<>\s]+>")
# The last token of a date without a zone is its time (an optional "(comment)" aside).
_ENDS_WITH_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:\([^()]*\))?\s*$")
MESSAGE_ID_MAX = 998  # RFC 5322 line length, the column's size
EMAIL_MAX = 320


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    text = str(value).strip()
    if _ENDS_WITH_TIME.search(text):
        return None  # no zone: not an instant
    try:
        parsed = parsedate_to_datetime(text)
        if parsed is None:  # pragma: no cover - older Pythons returned None
            return None
        if f"{parsed.year:04d}" not in text:
            return None  # "0001" read as 2001: a year the header does not say
        if parsed.tzinfo is None:  # "-0000": UTC, local zone unknown (RFC 5322 §3.3)
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _raw_values(message: Message, name: str) -> list[str]:
    """The header's values as written: the parsed form would turn a date without a zone
    into one at `-0000` (UTC), hiding that its instant is unknown."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def _received_at(message: Message) -> datetime | None:
    received = _raw_values(message, "Received")
    if not received:
        return None
    topmost = " ".join(str(received[0]).split())
    if ";" not in topmost:
        return None
    return _date(topmost.rsplit(";", 1)[1])


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _message_id(message: Message) -> str | None:
    raw = _header(message, "Message-ID")
    if not raw:
        return None
    found = _MSG_ID.search(raw)
    return found.group(0) if found else raw


def _references(message: Message) -> tuple[str, ...]:
    """In-Reply-To first, then References from the nearest ancestor up."""
    refs = _MSG_ID.findall(_header(message, "In-Reply-To"))
    refs += reversed(_MSG_ID.findall(_header(message, "References")))
    seen: dict[str, None] = {}
    for ref in refs:
        seen.setdefault(ref, None)
    return tuple(seen)


def _sender(message: Message) -> str:
    addresses = [a for _, a in getaddresses([_header(message, "From")]) if a]
    return addresses[0] if addresses else ""


def _problem(mail: InboundMail) -> str | None:
    texts = [mail.message_id or "", mail.from_email, mail.subject, *mail.in_reply_to]
    if any("\x00" in text for text in texts):
        return "a header holds a NUL character"
    if len(mail.message_id or "") > MESSAGE_ID_MAX or any(
        len(ref) > MESSAGE_ID_MAX for ref in mail.in_reply_to
    ):
        return f"a Message-ID is longer than {MESSAGE_ID_MAX} characters"
    if len(mail.from_email) > EMAIL_MAX:
        return f"the sender's address is longer than {EMAIL_MAX} characters"
    return None


def parse_message(raw: bytes, source: str) -> InboundMail:
    """One message; never raises: what cannot be imported carries its `problem`."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        mail = InboundMail(
            message_id=_message_id(message),
            from_email=_sender(message),
            subject=_header(message, "Subject"),
            received_at=_received_at(message),
            sent_at=_date(next(iter(_raw_values(message, "Date")), None)),
            in_reply_to=_references(message),
            source=source,
        )
    except Exception as exc:  # any message the standard parser cannot read
        return InboundMail(
            message_id=None, from_email="", subject="", received_at=None, sent_at=None,
            in_reply_to=(), source=source,
            problem=f"the message cannot be read ({type(exc).__name__})",
        )
    problem = _problem(mail)
    return replace(mail, problem=problem) if problem else mail


def read_mailbox(path: Path) -> Iterator[InboundMail]:
    """Every message of an mbox file, or of the `.eml` files under a folder (sorted by
    path). Raises FileNotFoundError when `path` does not exist."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.suffix.lower() == ".eml"):
            yield parse_message(file.read_bytes(), str(file.relative_to(path)))
        return
    if not path.exists():
        raise FileNotFoundError(path)
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys(), start=1):
            yield parse_message(box.get_bytes(key), f"{path.name}#{index}")
    finally:
        box.close()
