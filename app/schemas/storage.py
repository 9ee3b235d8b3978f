"""Wire models of the storage capability (R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.schemas.common import FieldError, Input, Instant, NonNegativeInt, Output

SnapshotId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")
]
"""Client-chosen, 1 to 64 visible ASCII characters (a UUID, a hash, …)."""


class SnapshotIn(Input):
    """One absolute measurement of a school's content (never a delta)."""

    snapshot_id: SnapshotId
    school_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    measured_at: Instant = Field(
        description="RFC 3339 with offset; at most the clock skew ahead (R-TIME-5), at "
        "most 35 days old"
    )
    bytes_used: NonNegativeInt = Field(description="Integer bytes (R-UNIT-1)")
    files_count: NonNegativeInt | None = None
    bytes_backup: NonNegativeInt | None = None


class SnapshotBatchIn(Input):
    items: list[SnapshotIn] = Field(max_length=1000)


def batch_schema() -> dict[str, Any]:
    """The request body's JSON schema, for the OpenAPI document (the route reads the raw
    body itself so that one bad item never fails the batch)."""
    item = SnapshotIn.model_json_schema()
    item.pop("title", None)
    return {
        "title": "SnapshotBatchIn",
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "maxItems": 1000,
                # Items are validated one by one: an invalid item is answered `rejected`
                # in `results` (200), never a 422 for the batch. The contract therefore
                # accepts any JSON value as an item; `x-item-schema` documents a valid one.
                "items": {"description": "A snapshot; see `x-item-schema`."},
                "x-item-schema": item,
                "description": "at most 1,000 items (more → 413), each validated on its own",
            }
        },
    }


class SnapshotResult(BaseModel):
    snapshot_id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    errors: list[FieldError]


class SnapshotBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    results: list[SnapshotResult]


Level = Literal["ok", "warning", "critical"]


class SchoolUsageOut(Output):
    school_code: str
    bytes_used: int
    measured_at: datetime | None = Field(description="null: never measured")
    threshold_bytes: int = Field(
        description="School alert threshold in force at measured_at (R-CONV-2, R-STO-2)"
    )
    ratio: float = Field(description="bytes_used / threshold_bytes")
    level: Level


class UsageOut(BaseModel):
    capacity_bytes: int = Field(description="Total capacity in force today (R-STO-1)")
    total_bytes: int = Field(description="Sum of every school's current usage")
    total_ratio: float
    pool_level: Level
    schools: list[SchoolUsageOut]


class PointOut(Output):
    period_start: datetime
    period_end: datetime
    bytes_max: int
    bytes_last: int


class ForecastOut(BaseModel):
    slope_bytes_per_day: float | None = Field(
        description="Least-squares slope of the daily bytes_last over the 30 Paris days "
        "ending at the latest measurement; null with fewer than 7 daily points"
    )
    critical_on: date | None = Field(
        description="Paris date the threshold would be reached; null when the slope is "
        "≤ 0, the school is already critical or there are fewer than 7 daily points"
    )
    points_used: int
    threshold_bytes: int | None
    latest_measured_at: datetime | None


class HistoryOut(BaseModel):
    school_code: str
    window: Literal["day", "week"]
    period_start: datetime
    period_end: datetime
    level: Level
    points: list[PointOut]
    forecast: ForecastOut


class AlertOut(BaseModel):
    id: int
    scope: Literal["school", "pool"]
    school_code: str | None
    kind: Literal["raised", "reminder", "cleared"]
    level_from: Level
    level_to: Level
    bytes_used: int
    threshold_bytes: int = Field(description="The threshold crossed")
    occurred_at: datetime
    recipients_count: int


class AlertList(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None
