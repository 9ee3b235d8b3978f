"""Texts that may reach a log, a stored error or a problem body, without e-mail
addresses (R-GDPR-2): SMTP replies and exception messages often echo them."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


def without_addresses(text: str, limit: int = 1000) -> str:
    """`text` on one line, every e-mail address replaced by `<address>`, at most
    `limit` characters."""
    one_line = " ".join(str(text).split())
    return _ADDRESS.sub("<address>", one_line)[:limit]
