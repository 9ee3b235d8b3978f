"""Referent trainings (R-REF-2, R-TIME-4). A referent token sees only its schools."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Body, Depends, Path, Query

from app.api.caller import Caller, Router, caller_with
from app.api.deps import (
    ClockDep,
    Cursor,
    Limit,
    UowDep,
    paged,
    text_cursor,
)
from app.api.responses import body_problems, problems
from app.domain.calendar import paris_date
from app.domain.trainings import Training, TrainingStatus
from app.schemas.trainings import (
    CompletionIn,
    ProposalIn,
    TrainingList,
    TrainingOut,
    TrainingStatusText,
)
from app.services import trainings as service

router = Router(prefix="/api/v1/trainings", tags=["trainings"])

TrainingId = Annotated[str, Path(min_length=1, max_length=36)]
RETRY = (
    "Repeating the same body answers 200 with the current state; other values → 409 "
    "`invalid-transition`. "
)


def training_out(training: Training, today: date) -> TrainingOut:
    return TrainingOut(
        id=training.id,
        uid=training.uid,
        school_code=training.school_code,
        status=training.status.value,
        daip_notified_on=training.daip_notified_on,
        due_on=training.due_on,
        overdue=training.overdue_on(today),
        proposed_on=training.proposed_on,
        session_on=training.session_on,
        completed_on=training.completed_on,
    )


@router.get(
    "",
    summary="Referent trainings (R-REF-2)",
    description=(
        "`due_on` is 15 days after `daip_notified_on`, moved to the next working day "
        "(R-TIME-4). `overdue`: no proposal made on or before `due_on` (evaluated today, "
        "Paris). A referent token sees only its schools. Keyset pagination by id."
    ),
    response_model=TrainingList,
    responses=problems(),
)
async def list_trainings(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("accounts:read"))],
    status: Annotated[TrainingStatusText | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    school_code: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> TrainingList:
    items, today = await service.list_trainings(
        uow, clock, caller.principal,
        status=TrainingStatus(status) if status else None,
        overdue=overdue,
        school_code=school_code,
        after_id=text_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = paged(items, limit, lambda t: t.id)
    return TrainingList(items=[training_out(t, today) for t in page], next_cursor=next_cursor)


@router.post(
    "/{training_id}/proposal",
    summary="Record that a training session was proposed",
    description=(
        "due → proposed. `proposed_on` defaults to today (Paris) and may not be in the "
        "future nor before `daip_notified_on`; `session_on` is not before `proposed_on` "
        "(else 422). " + RETRY
    ),
    response_model=TrainingOut,
    responses=body_problems(404, 409),
)
async def propose(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("trainings:write"))],
    training_id: TrainingId,
    body: ProposalIn,
) -> TrainingOut:
    training = await service.propose(
        uow, clock, caller.actor, training_id,
        proposed_on=body.proposed_on, session_on=body.session_on,
    )
    return training_out(training, paris_date(clock.now()))


@router.post(
    "/{training_id}/completion",
    summary="Record that the referent followed the training",
    description=(
        "proposed → completed (a training never proposed → 409 `invalid-transition`). "
        "`completed_on` defaults to today (Paris), may not be in the future nor before "
        "`proposed_on` (422). " + RETRY
    ),
    response_model=TrainingOut,
    responses=body_problems(404, 409),
)
async def complete(
    uow: UowDep,
    clock: ClockDep,
    caller: Annotated[Caller, Depends(caller_with("trainings:write"))],
    training_id: TrainingId,
    body: Annotated[CompletionIn | None, Body()] = None,
) -> TrainingOut:
    training = await service.complete(
        uow, clock, caller.actor, training_id, completed_on=body.completed_on if body else None
    )
    return training_out(training, paris_date(clock.now()))
