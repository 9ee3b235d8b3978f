"""The obligations register's record and its states (RULES.md, "Obligations register").

An obligation is derived from facts by the one domain function of its rule (the
sibling modules); its state at an instant is decided here, the same for every rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from app.domain.calendar import AcademicYear, paris_date, paris_day_start

DUE_SOON_DAYS = 7
UT = "ut"
REGION = "region"
GCS = "gcs"
PARTIES = (UT, REGION, GCS)
FIRST_DUE_ON = date(2024, 9, 1)
"""A fixed-date obligation exists for the years whose due date is on or after this day."""

Due = date | datetime | None
When = date | datetime


class ObligationState(StrEnum):
    upcoming = "upcoming"
    due_soon = "due_soon"
    overdue = "overdue"
    open = "open"
    met = "met"
    met_late = "met_late"
    waived = "waived"
    void = "void"


class MetBy(StrEnum):
    """How an obligation is met: the service observes it in its data, or someone
    records evidence."""

    observed = "observed"
    evidence = "evidence"


def school_party(school_code: str) -> str:
    return f"school:{school_code}"


def is_party(text: str) -> bool:
    """`ut`, `region`, `gcs` or `school:<code>` (a non-empty code)."""
    return text in PARTIES or (text.startswith("school:") and len(text) > len("school:"))


@dataclass(frozen=True)
class Evidence:
    """What met an evidence-kind obligation: the date or instant it was done, a
    document reference and an optional note, recorded by someone at some instant."""

    occurred: When
    document_ref: str
    note: str | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Waiver:
    """UT's decision that an obligation is not owed, with its reason."""

    reason: str
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Obligation:
    """One duty of one party about one subject.

    `key` identifies the subject within the rule (a request id, a school and a year…),
    so `id` is the same for the same duty on every call. `met_at` is the observed fact's
    instant (or date); `void_at` when its subject was withdrawn. `at_risk` decides
    `due_soon` for an opening-hours due (the support request's own `at_risk`)."""

    rule: str
    article: str
    party: str
    school_code: str | None
    subject_kind: str
    subject_id: str
    title: str
    due: Due
    met_by: MetBy
    key: str
    opened: When | None = None
    met_at: When | None = None
    void_at: datetime | None = None
    listed_from: date | None = None
    void_if_missed: bool = False
    academic_year: int | None = None
    at_risk: Callable[[datetime], bool] | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.key}"

    def voided_at(self, instant: datetime) -> Obligation:
        """The same duty withdrawn from `instant` (the earlier withdrawal wins)."""
        if self.void_at is not None and self.void_at <= instant:
            return self
        return replace(self, void_at=instant)


def _instant_key(value: When) -> datetime:
    """A date or an instant on one time line: a date counts as its Paris day's start,
    so that comparing it with an instant compares Paris dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return paris_day_start(value)


def happened_by(value: When, t: datetime) -> bool:
    """Whether a fact dated `value` (a date or an instant) had happened at `t`."""
    if isinstance(value, datetime):
        return value <= t
    return value <= paris_date(t)


def on_time(value: When, due: Due) -> bool:
    """A fact meets a due when its Paris date is on or before a due date, or its
    instant at or before a due instant (a date fact against a due instant: its date on
    or before the due's Paris date)."""
    if due is None:
        return True
    if isinstance(due, datetime):
        if isinstance(value, datetime):
            return value <= due
        return value <= paris_date(due)
    day = paris_date(value) if isinstance(value, datetime) else value
    return day <= due


def obligation_state(
    obligation: Obligation,
    t: datetime,
    evidence: Evidence | None = None,
    waiver: Waiver | None = None,
) -> ObligationState:
    """The register's states at instant `t`, first match: void, waived, met/met_late,
    overdue, due_soon, upcoming (open without a due). A due date is judged on t's Paris
    date; an instant due on the instant. A duty met before its subject was withdrawn
    stays met."""
    done = met_instant(obligation, evidence)
    if obligation.void_at is not None and obligation.void_at <= t and not (
        done is not None and _before(done, obligation.void_at)
    ):
        return ObligationState.void
    if waiver is not None and waiver.recorded_at <= t:
        return ObligationState.waived
    if done is not None and happened_by(done, t):
        return ObligationState.met if on_time(done, obligation.due) else ObligationState.met_late
    due = obligation.due
    if due is None:
        return ObligationState.open
    if _past(due, t):
        return ObligationState.void if obligation.void_if_missed else ObligationState.overdue
    if _soon(obligation, due, t):
        return ObligationState.due_soon
    return ObligationState.upcoming


def _before(done: When, instant: datetime) -> bool:
    if isinstance(done, datetime):
        return done < instant
    return done < paris_date(instant)


def _past(due: date | datetime, t: datetime) -> bool:
    if isinstance(due, datetime):
        return t > due
    return paris_date(t) > due


def _soon(obligation: Obligation, due: date | datetime, t: datetime) -> bool:
    if isinstance(due, datetime):
        if obligation.at_risk is not None:
            return obligation.at_risk(t)
        return due - t <= timedelta(days=DUE_SOON_DAYS)
    return (due - paris_date(t)).days <= DUE_SOON_DAYS


def met_instant(obligation: Obligation, evidence: Evidence | None) -> When | None:
    """What met the obligation (observed fact or recorded evidence), if anything."""
    if obligation.met_by is MetBy.observed:
        return obligation.met_at
    return evidence.occurred if evidence is not None else None


def fixed_due_listed_from(due: date) -> date:
    """A fixed-date obligation is listed from 1 Sept of the academic year containing
    its due date."""
    return AcademicYear.containing(due).starts_on


def listed_at(obligation: Obligation, t: datetime) -> bool:
    """Whether the register lists the obligation at `t`: it has opened and, for a
    fixed-date one, its listing year has begun."""
    if obligation.listed_from is not None and paris_date(t) < obligation.listed_from:
        return False
    return obligation.opened is None or happened_by(obligation.opened, t)


def sort_key(obligation: Obligation) -> tuple[datetime, str]:
    """Register order: by due (a date at its Paris day's start; no due last), then id."""
    if obligation.due is None:
        return (datetime.max.replace(tzinfo=UTC), obligation.id)
    return (_instant_key(obligation.due), obligation.id)
