"""Obligations opened by a request UT receives: account creation, referent training,
support answers and restoration after a suspension (RULES.md, Obligations register)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.calendar import WorkingCalendar
from app.domain.obligations.model import UT, MetBy, Obligation
from app.domain.opening_hours import OpeningHoursClock

RESTORATION_DAYS = 15
AtRisk = Callable[[datetime, datetime], bool]


@dataclass(frozen=True)
class AccountRequestFacts:
    id: str
    school_code: str
    kind: str
    academic_year: int
    received_at: datetime
    due_on: date
    status: str
    fulfilled_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class TrainingFacts:
    id: str
    school_code: str
    created_at: datetime
    due_on: date
    proposed_on: date | None


@dataclass(frozen=True)
class SupportFacts:
    id: str
    school_code: str | None
    received_at: datetime
    response_due_at: datetime
    responded_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class RestorationFacts:
    suspension_id: str
    school_code: str
    requested_at: datetime
    lifted_at: datetime | None
    refused_at: datetime | None


_KIND_FR = {"referent": "référent", "trainer": "formateur", "student": "étudiant"}


def account_creation_obligation(request: AccountRequestFacts) -> Obligation:
    """R-OBL-1: UT creates the requested hosted account by the request's due
    date (`AccountRequest`); met by the fulfilment, void from a rejection or cancellation."""
    withdrawn = request.status in ("rejected", "cancelled") and request.closed_at is not None
    return Obligation(
        rule="R-OBL-1", article="3.2", party=UT, school_code=request.school_code,
        subject_kind="account-request", subject_id=request.id,
        title=f"Créer le compte {_KIND_FR.get(request.kind, request.kind)} demandé "
        f"({request.school_code})",
        due=request.due_on, met_by=MetBy.observed, key=f"account-request:{request.id}",
        opened=request.received_at, met_at=request.fulfilled_at,
        void_at=request.closed_at if withdrawn else None,
    )


def referent_training_obligation(training: TrainingFacts) -> Obligation:
    """R-OBL-2: UT proposes a new referent's training by the training's due date (15
    days after DAIP is notified); met on the day a session is proposed."""
    return Obligation(
        rule="R-OBL-2", article="3.2.2", party=UT, school_code=training.school_code,
        subject_kind="training", subject_id=training.id,
        title=f"Proposer la formation d'un nouveau référent ({training.school_code})",
        due=training.due_on, met_by=MetBy.observed, key=f"training:{training.id}",
        opened=training.created_at, met_at=training.proposed_on,
    )


def support_answer_obligation(
    request: SupportFacts, at_risk: AtRisk
) -> Obligation:
    """R-OBL-3: UT answers a support request by its opening-hours deadline (an instant);
    met by the first response, void when the request is closed unanswered. `due_soon`
    is exactly the request's `at_risk` (`at_risk(t, due)`)."""
    due = request.response_due_at
    unanswered_close = request.closed_at if request.responded_at is None else None
    return Obligation(
        rule="R-OBL-3", article="5", party=UT, school_code=request.school_code,
        subject_kind="support-request", subject_id=request.id,
        title="Répondre à la demande d'assistance"
        + (f" ({request.school_code})" if request.school_code else ""),
        due=due, met_by=MetBy.observed, key=f"support-request:{request.id}",
        opened=request.received_at, met_at=request.responded_at,
        void_at=unanswered_close, at_risk=lambda t: at_risk(t, due),
    )


def restoration_obligation(
    restoration: RestorationFacts, calendar: WorkingCalendar
) -> Obligation:
    """R-OBL-15: a restoration request opens UT's duty to restore access, due 15 days
    (`WorkingCalendar.deadline`) after the request; met when UT lifts the suspension or refuses in
    writing."""
    answers = [a for a in (restoration.lifted_at, restoration.refused_at) if a is not None]
    requested = restoration.requested_at
    return Obligation(
        rule="R-OBL-15", article="6.2", party=UT, school_code=restoration.school_code,
        subject_kind="suspension", subject_id=restoration.suspension_id,
        title=f"Rétablir l'accès après correction ({restoration.school_code})",
        due=calendar.deadline_from_instant(requested, RESTORATION_DAYS),
        met_by=MetBy.observed,
        key=f"suspension:{restoration.suspension_id}:{requested.isoformat()}",
        opened=requested, met_at=min(answers) if answers else None,
    )




def at_risk_on(clock: OpeningHoursClock, risk_threshold_seconds: int) -> AtRisk:
    """A support request's `at_risk` as `sla_state` decides it: fewer than
    `risk_threshold_seconds` opening seconds left before the due instant, not yet past."""

    def at_risk(t: datetime, due: datetime) -> bool:
        return t <= due and due < clock.add(t, risk_threshold_seconds)

    return at_risk
