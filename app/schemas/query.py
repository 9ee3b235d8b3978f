"""Query-string types: strict RFC 3339 instants (R-TIME-1).

Pydantic alone also accepts Unix timestamps and a few ISO 8601 shortcuts in a query
string; an instant parameter takes RFC 3339 `date-time` with an offset only (`Z` or
`±hh:mm`; clients percent-encode `+`). A malformed or naive value is a 422 naming the
parameter (`query.<name>`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("an RFC 3339 instant with an offset, e.g. 2025-05-02T08:00:00Z")
    text = value.upper()
    if "." in text:  # Python keeps at most microseconds
        head, _, tail = text.partition(".")
        digits = re.match(r"\d+", tail).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid date or time of day") from None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # pragma: no cover - the pattern requires an offset
        raise ValueError("an instant needs an offset")
    return value.astimezone(UTC)


QueryInstant = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]
