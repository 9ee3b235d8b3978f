"""Query-string types: strict RFC 3339 instants (R-TIME-1).

Pydantic alone also accepts Unix timestamps and a few ISO 8601 shortcuts in a query
string; an instant parameter takes RFC 3339 `date-time` with an offset only (`Z` or
`±hh:mm`; clients percent-encode `+`). A malformed or naive value is a 422 naming the
parameter (`query.<name>`)."""

from __future__ import annotations

from app.schemas.common import Instant

QueryInstant = Instant

__all__ = ["QueryInstant"]
