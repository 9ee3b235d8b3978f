"""Storage: snapshots from the Moodle plugin, usage, history and alerts
(R-STO-1, R-STO-2, R-STO-3, R-STO-4, R-UNIT-1, R-TIME-1, R-TIME-5)."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import ValidationError

from app.api.caller import Caller, Router, caller_with
from app.api.container import container_of
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    decode_id_cursor,
    paged,
)
from app.api.problems import ProblemException
from app.api.responses import body_problems, problems
from app.domain.storage import Snapshot
from app.schemas.query import QueryInstant
from app.schemas.storage import (
    AlertList,
    AlertOut,
    ForecastOut,
    HistoryOut,
    PointOut,
    SchoolUsageOut,
    SnapshotBatchIn,
    SnapshotBatchOut,
    SnapshotIn,
    UsageOut,
    batch_schema,
)
from app.services import storage as service

router = Router(prefix="/api/v1", tags=["storage"])


# ------------------------------------------------------------------------ parsing


def _snapshot(item: SnapshotIn) -> Snapshot:
    return Snapshot(
        snapshot_id=item.snapshot_id,
        school_code=item.school_code,
        measured_at=item.measured_at.astimezone(UTC),
        bytes_used=item.bytes_used,
        files_count=item.files_count,
        bytes_backup=item.bytes_backup,
    )


def _claimed_id(item: Any) -> str | None:
    """The item's snapshot_id when it is a usable one (echoed in its result)."""
    value = item.get("snapshot_id") if isinstance(item, dict) else None
    if isinstance(value, str) and 0 < len(value) <= 64 and value.isascii() \
            and value.isprintable() and " " not in value:
        return value
    return None


def _item_errors(exc: ValidationError) -> tuple[service.ItemError, ...]:
    out = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in error.get("loc", ())) or "item"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(service.ItemError(loc, str(error.get("type", "invalid")), message[:300]))
    return tuple(out)


def _invalid_envelope() -> ProblemException:
    return ProblemException(
        422, "the body is an object with one member, `items`, a list", code="validation-error",
        errors=[{"field": "body.items", "code": "list_type",
                 "message": "an object {\"items\": [...]} is expected"}],
    )


def parse_batch(raw: bytes) -> list[service.Candidate]:
    """Candidates from the raw body. Fast path: the whole batch is valid (one pydantic
    pass over the JSON). Otherwise each item is validated on its own, so that one bad
    item is rejected alone. Not an object with a list → 422; over 1,000 items → 413."""
    try:
        batch = SnapshotBatchIn.model_validate_json(raw)
    except ValidationError:
        pass
    else:
        return [service.Candidate(i.snapshot_id, _snapshot(i)) for i in batch.items]
    try:
        data = json.loads(raw)
    except ValueError:
        raise _invalid_envelope() from None
    if not isinstance(data, dict) or set(data) != {"items"} or not isinstance(
        data["items"], list
    ):
        raise _invalid_envelope()
    items = data["items"]
    if len(items) > service.MAX_BATCH_ITEMS:
        raise ProblemException(
            413, f"a batch holds at most {service.MAX_BATCH_ITEMS} items",
            code="payload-too-large",
        )
    candidates = []
    for item in items:
        try:
            parsed = SnapshotIn.model_validate(item)
        except ValidationError as exc:
            candidates.append(service.Candidate(_claimed_id(item), None, _item_errors(exc)))
        else:
            candidates.append(service.Candidate(parsed.snapshot_id, _snapshot(parsed)))
    return candidates


# ------------------------------------------------------------------------ routes


@router.post(
    "/storage/snapshots",
    summary="Post storage snapshots (Moodle plugin)",
    description=(
        "Up to 1,000 absolute snapshots (never deltas; a resent one is harmless). Each "
        "item is `accepted`, a `duplicate` (same `snapshot_id`, same content) or "
        "`rejected` with `errors`: unknown school (`unknown-school`, also a school the "
        "caller is not confined to), a bad number "
        "(negative, fractional, boolean, string, above 2^53−1), `measured_at` more than "
        "the clock skew ahead (`instant-in-future`, R-TIME-5) or more than 35 days old "
        "(`snapshot-too-old`), the same `snapshot_id` with other content "
        "(`snapshot-conflict`). One bad item never fails the batch. A body that is not "
        "an object with a list → 422, more than 1,000 items → 413; nothing is stored "
        "then. Usage and alerts follow the latest `measured_at` per school (R-STO-3): a "
        "late, older snapshot is stored but changes nothing. A rise of level mails the "
        "school's referents once (UT in copy)."
    ),
    response_model=SnapshotBatchOut,
    responses=body_problems(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": batch_schema()}},
        }
    },
)
async def post_snapshots(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("storage:write"))],
) -> Response:
    candidates = parse_batch(await request.body())
    report = await service.ingest_snapshots(
        uow, clock, container_of(request.app).storage_policy, candidates, caller.principal
    )
    # `SnapshotBatchOut` written directly: 1,000 result models built, validated again by
    # FastAPI and dumped cost more than the batch's INSERT (docs/PERFORMANCE.md).
    document = {
        "accepted": report.count(service.ACCEPTED),
        "duplicates": report.count(service.DUPLICATE),
        "rejected": report.count(service.REJECTED),
        "results": [
            {"snapshot_id": r.snapshot_id, "status": r.status,
             "errors": [{"field": e.field, "code": e.code, "message": e.message}
                        for e in r.errors]}
            for r in report.results
        ],
    }
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        media_type="application/json",
    )


@router.get(
    "/storage/usage",
    summary="Current storage usage per school and of the pool",
    description=(
        "Current usage = each school's latest `measured_at` (R-STO-3); `level` with the "
        "1 GB hysteresis of R-STO-2, `threshold_bytes` in force at `measured_at`. The "
        "pool figures (`capacity_bytes` in force today, `total_bytes`, `pool_level`, "
        "R-STO-1) are the whole pool's. A referent sees only its schools."
    ),
    response_model=UsageOut,
    responses=problems(),
)
async def get_usage(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("storage:read"))],
) -> UsageOut:
    found = await service.usage(uow, clock, caller.principal)
    return UsageOut(
        capacity_bytes=found.capacity_bytes,
        total_bytes=found.total_bytes,
        total_ratio=found.total_ratio,
        pool_level=found.pool_level.value,
        schools=[
            SchoolUsageOut(
                school_code=s.school_code, bytes_used=s.bytes_used, measured_at=s.measured_at,
                threshold_bytes=s.threshold_bytes, ratio=s.ratio, level=s.level.value,
            )
            for s in found.schools
        ],
    )


@router.get(
    "/schools/{code}/storage",
    summary="Storage history of a school, with its forecast",
    description=(
        "Points (`bytes_max`, `bytes_last`) on whole Europe/Paris days (23 h or 25 h on "
        "DST days) or weeks (Monday 00:00 Paris), covering `from`–`to` (default: the 30 "
        "days, or 26 weeks, up to now; at most 1,830 days), from raw snapshots and the "
        "daily figures they are folded into after 400 days; only periods with "
        "measurements. `forecast`: least-squares slope of the daily `bytes_last` over "
        "the 30 days ending at the latest measurement and the Paris date the threshold "
        "would be reached. Another school of a referent answers 404."
    ),
    response_model=HistoryOut,
    responses=problems(404),
)
async def get_history(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("storage:read"))],
    code: str,
    from_: Annotated[QueryInstant | None, Query(alias="from")] = None,
    to: Annotated[QueryInstant | None, Query()] = None,
    window: Annotated[Literal["day", "week"], Query()] = "day",
) -> HistoryOut:
    found = await service.history(
        uow, clock, caller.principal, code, start=from_, end=to, window=window
    )
    return HistoryOut(
        school_code=found.school_code,
        window=window,
        period_start=found.start,
        period_end=found.end,
        level=found.level.value,
        points=[PointOut.model_validate(p) for p in found.points],
        forecast=ForecastOut(
            slope_bytes_per_day=found.forecast.slope_bytes_per_day,
            critical_on=found.forecast.critical_on,
            points_used=found.forecast.points_used,
            threshold_bytes=found.threshold_bytes,
            latest_measured_at=found.latest_measured_at,
        ),
    )


@router.get(
    "/storage/alerts",
    summary="Storage alert events",
    description=(
        "Every alert event, oldest first: `raised` (a rise of level, mailed), `reminder` "
        "(still critical 7, 14, … days of measured time later, mailed) and `cleared` (a "
        "fall below the threshold minus 1 GB, not mailed); `scope` `school` or `pool`. "
        "`since`: events that occurred at or after it. A referent sees its schools' "
        "events only. Keyset pagination."
    ),
    response_model=AlertList,
    responses=problems(),
)
async def get_alerts(
    uow: UowDep,
    caller: Annotated[Caller, Depends(caller_with("storage:read"))],
    school_code: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    since: Annotated[QueryInstant | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AlertList:
    found = await service.list_alerts(
        uow, caller.principal, school_code=school_code, since=since,
        after_id=decode_id_cursor(cursor), limit=limit + 1,
    )
    page, next_cursor = paged(found, limit, lambda r: r.id)
    return AlertList(
        items=[
            AlertOut(
                id=a.id or 0, scope=a.scope,  # type: ignore[arg-type]
                school_code=a.school_code, kind=a.event.kind.value,
                level_from=a.event.level_from.value, level_to=a.event.level_to.value,
                bytes_used=a.event.bytes_used, threshold_bytes=a.event.threshold_bytes,
                occurred_at=a.event.occurred_at, recipients_count=a.recipients_count,
            )
            for a in page
        ],
        next_cursor=next_cursor,
    )
