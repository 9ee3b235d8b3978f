"""Shared wire types: strict inputs, bounded strings and integers, lists, problems."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

MAX_SAFE_INT = 2**53 - 1

SafeInt = Annotated[StrictInt, Field(ge=-MAX_SAFE_INT, le=MAX_SAFE_INT)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0, le=MAX_SAFE_INT)]
PositiveInt = Annotated[StrictInt, Field(gt=0, le=MAX_SAFE_INT)]
Bool = StrictBool
Instant = AwareDatetime  # R-TIME-1: an offset is required; naive → 422


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A stripped-of-nothing, bounded string (NUL bytes are refused by the body guard)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


ShortText = text(200)
LongText = text(4000)
Reference = text(128)
SchoolCode = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
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
