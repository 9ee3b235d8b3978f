"""Referent trainings (R-REF-2): list, proposal and completion.

A training is created with the referent role (app/services/accounts.fulfil_request);
its `due_on` is R-TIME-4 (15 days) from `daip_notified_on`. It moves due → proposed →
completed; a transition repeated with the same values answers the current state, a
different one is a 409 `invalid-transition` (clients retry)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.domain.auth import Principal
from app.domain.calendar import paris_date
from app.domain.errors import Conflict, InvalidInput
from app.domain.trainings import Training, TrainingStatus
from app.ports.audit import Actor
from app.ports.clock import Clock
from app.ports.unit_of_work import UnitOfWork
from app.services import audit
from app.services.visibility import school_filter, visible_or_404


async def list_trainings(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    *,
    status: TrainingStatus | None,
    overdue: bool | None,
    school_code: str | None,
    after_id: str | None,
    limit: int,
) -> tuple[list[Training], date]:
    """A page of trainings (keyset by id) and the Paris day `overdue` is evaluated on."""
    today = paris_date(clock.now())
    codes = school_filter(principal, school_code)
    if codes == []:
        return [], today
    async with uow:
        items = await uow.trainings.list(
            status=status,
            school_codes=codes,
            overdue_on=today if overdue is True else None,
            not_overdue_on=today if overdue is False else None,
            after_id=after_id,
            limit=limit,
        )
    return items, today


def _not_in_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise InvalidInput("this date is in the future", code="date-in-future", field=field)


def _fields(training: Training) -> dict[str, object]:
    return {
        "status": training.status,
        "proposed_on": training.proposed_on,
        "session_on": training.session_on,
        "completed_on": training.completed_on,
    }


async def propose(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    training_id: str,
    *,
    proposed_on: date | None,
    session_on: date,
) -> Training:
    """Record the offer of a session (due → proposed). `proposed_on` defaults to today
    (Paris); a retry without it compares only `session_on`."""
    now = clock.now()
    today = paris_date(now)
    async with uow:
        training = visible_or_404(
            actor.principal, await uow.trainings.get(training_id, for_update=True),
            "no such training",
        )
        if training.status is not TrainingStatus.DUE:
            same = training.session_on == session_on and (
                proposed_on is None or proposed_on == training.proposed_on
            )
            if same:
                return training
            raise Conflict("the training was already proposed with other dates",
                           code="invalid-transition")
        on = proposed_on or today
        _not_in_future(on, today, "proposed_on")
        if on < training.daip_notified_on:
            raise InvalidInput("proposed before DAIP was notified", code="out-of-order",
                               field="proposed_on")
        if session_on < on:
            raise InvalidInput("the session comes before its proposal", code="out-of-order",
                               field="session_on")
        done = replace(training, status=TrainingStatus.PROPOSED, proposed_on=on,
                       session_on=session_on)
        await uow.trainings.update(done)
        await audit.record(
            uow, actor, now=now, action="training.proposed", resource_type="training",
            resource_id=training.id, old=_fields(training), new=_fields(done),
        )
        await uow.commit()
    return done


async def complete(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    training_id: str,
    *,
    completed_on: date | None,
) -> Training:
    """Record the training as followed (proposed → completed). `completed_on` defaults
    to today (Paris); completing a training never proposed is a 409."""
    now = clock.now()
    today = paris_date(now)
    async with uow:
        training = visible_or_404(
            actor.principal, await uow.trainings.get(training_id, for_update=True),
            "no such training",
        )
        if training.status is TrainingStatus.COMPLETED:
            if completed_on is None or completed_on == training.completed_on:
                return training
            raise Conflict("the training was completed on another date",
                           code="invalid-transition")
        if training.status is TrainingStatus.DUE:
            raise Conflict("a training is proposed before it is completed",
                           code="invalid-transition")
        on = completed_on or today
        _not_in_future(on, today, "completed_on")
        assert training.proposed_on is not None
        if on < training.proposed_on:
            raise InvalidInput("completed before it was proposed", code="out-of-order",
                               field="completed_on")
        done = replace(training, status=TrainingStatus.COMPLETED, completed_on=on)
        await uow.trainings.update(done)
        await audit.record(
            uow, actor, now=now, action="training.completed", resource_type="training",
            resource_id=training.id, old=_fields(training), new=_fields(done),
        )
        await uow.commit()
    return done
