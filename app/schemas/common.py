"""Shared wire types: strict inputs, bounded strings and integers, lists, problems."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from app.domain.accounts import UID_FORMAT_TEXT, UID_REGEX

MAX_SAFE_INT = 2**53 - 1

SafeInt = Annotated[StrictInt, Field(ge=-MAX_SAFE_INT, le=MAX_SAFE_INT)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=MAX_SAFE_INT)]
PositiveInt = Annotated[StrictInt, Field(gt=0, le=MAX_SAFE_INT)]
Bool = StrictBool
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
_NEEDS_OFFSET = "an instant needs an offset (RFC 3339), e.g. 2025-03-03T10:00:00+01:00"


def _iso_date(value: Any) -> Any:
    """Only `YYYY-MM-DD` (no timestamps, no other formats)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return date.fromisoformat(value)


def _rfc3339(value: Any) -> Any:
    """Only RFC 3339 `date-time` with an offset (R-TIME-1): no Unix timestamps, no naive
    instants, no ISO 8601 shortcuts. Returned in UTC."""
    if isinstance(value, str):
        return _rfc3339_text(value)
    if not isinstance(value, datetime):
        raise ValueError("an instant is an RFC 3339 string")
    return _in_utc(value)


@lru_cache(maxsize=4096)
def _rfc3339_text(value: str) -> datetime:
    """`_rfc3339` of a string, remembered: the instants of a 1,000-item batch repeat (a
    plugin measures every school at the same minute). Refusals raise, so are not kept."""
    match = _INSTANT.fullmatch(value)
    if not match:
        raise ValueError("an instant is RFC 3339, e.g. 2025-03-03T10:00:00+01:00")
    if match.group("offset") is None:
        raise ValueError(_NEEDS_OFFSET)
    text = value.upper()
    if "." in text:  # Python keeps at most microseconds
        head, _, tail = text.partition(".")
        digits = re.match(r"\d+", tail).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid date or time of day") from None
    return _in_utc(parsed)


def _in_utc(parsed: datetime) -> datetime:
    if parsed.tzinfo is None:
        raise ValueError(_NEEDS_OFFSET)
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("this instant is out of range") from None
    if utc.year > 9998:
        raise ValueError("this instant is out of range")
    return utc


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]  # UTC; naive → 422


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A stripped-of-nothing, bounded string (NUL bytes are refused by the body guard)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


ShortText = text(200)
LongText = text(4000)
Reference = text(128)
SchoolCode = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
]
# R-ACC-1: the uid's pattern is the domain's; a malformed uid in a path answers 422.
Uid = Annotated[
    str,
    StringConstraints(min_length=8, max_length=8, pattern=UID_REGEX),
    Field(description=f"R-ACC-1: {UID_FORMAT_TEXT}"),
]
AcademicYearText = Annotated[
    str, StringConstraints(min_length=9, max_length=9, pattern=r"^\d{4}-\d{4}$")
]


class Input(BaseModel):
    """Base of every request body: unknown fields are refused (mass assignment)."""

    model_config = ConfigDict(extra="forbid", strict=False, str_strip_whitespace=False)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(BaseModel):
    field: str
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, plus the machine `code` and field `errors`."""

    type: str
    title: str
    status: int
    detail: str | None = None
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class Money(BaseModel):
    amount_cents: int
    currency: str = "EUR"
    amount: str


def money_fields(cents: int) -> str:
    """R-MONEY-1: the decimal string of an integer number of cents, two decimals."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


class DateQuery(BaseModel):
    at: date | None = None
