"""Reads an export of DAIP's mailbox: an mbox file or a folder of `.eml` files
(standard library `email` and `mailbox`), message by message.

Instants: the topmost `Received:` header is the one DAIP's own server added last, so
its date (after the last `;`) is when the message reached DAIP; `Date:` is when the
sender's client sent it. An RFC 5322 `-0000` zone is read as UTC. Unparseable dates are
None; the import decides what to do with them."""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from app.services.support_ports import InboundMail

_MSG_ID = re.compile(r"<[^<>\s]+>")


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value).strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:  # pragma: no cover - older Pythons returned None
        return None
    if parsed.tzinfo is None:  # "-0000": UTC, local zone unknown (RFC 5322 §3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _received_at(message: Message) -> datetime | None:
    received = message.get_all("Received") or []
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


def parse_message(raw: bytes, source: str) -> InboundMail:
    message = email.message_from_bytes(raw, policy=policy.default)
    return InboundMail(
        message_id=_message_id(message),
        from_email=_sender(message),
        subject=_header(message, "Subject"),
        received_at=_received_at(message),
        sent_at=_date(_header(message, "Date") or None),
        in_reply_to=_references(message),
        source=source,
    )


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
