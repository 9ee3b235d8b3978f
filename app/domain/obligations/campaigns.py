"""Obligations of the June campaigns and of the referent minimum (RULES.md,
Obligations register)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain.calendar import AcademicYear, WorkingCalendar
from app.domain.obligations.model import (
    FIRST_DUE_ON,
    UT,
    MetBy,
    Obligation,
    fixed_due_listed_from,
    school_party,
)

LIST_DUE = {"referent": (6, 30), "trainer": (6, 25)}
REFERENT_GAP_DAYS = 15
_LIST_FR = {"referent": "des référents", "trainer": "des formateurs"}


@dataclass(frozen=True)
class CampaignListFacts:
    """A school with someone of `kind` listed in the June campaign of `year` (for
    academic year year/year+1)."""

    year: int
    school_code: str
    kind: str
    mail_sent_at: datetime | None
    has_recipient: bool


@dataclass(frozen=True)
class RenewalAnswerFacts:
    year: int
    school_code: str
    kind: str
    deadline: date
    opened_at: datetime
    first_saved_at: datetime | None


@dataclass(frozen=True)
class ReferentSpan:
    """A referent role of a non-erased account: its validity, capped by the access end."""

    valid_from: date
    valid_until: date


def campaign_list_obligation(facts: CampaignListFacts) -> Obligation | None:
    """R-OBL-4: UT sends each school its June list of `kind` by 30 June (referents) or
    25 June (trainers) of the campaign year; met when the campaign mail to that school
    is sent; evidence when the school has nobody to write to. None before the first
    listed year."""
    month, day = LIST_DUE[facts.kind]
    due = date(facts.year, month, day)
    if due < FIRST_DUE_ON:
        return None
    return Obligation(
        rule="R-OBL-4", article="3.2", party=UT, school_code=facts.school_code,
        subject_kind="renewal-campaign", subject_id=str(AcademicYear(facts.year)),
        title=f"Envoyer la liste {_LIST_FR[facts.kind]} {AcademicYear(facts.year)} "
        f"({facts.school_code})",
        due=due, met_by=MetBy.observed if facts.has_recipient else MetBy.evidence,
        key=f"{facts.school_code}:{facts.year}:{facts.kind}",
        met_at=facts.mail_sent_at if facts.has_recipient else None,
        listed_from=fixed_due_listed_from(due), academic_year=facts.year,
    )


def renewal_answer_obligation(facts: RenewalAnswerFacts) -> Obligation:
    """R-OBL-5: a school's renewal answer for `kind` is shown, not owed: met when the
    school first saves decisions (an empty list counts), void after the deadline without
    a save, never overdue."""
    return Obligation(
        rule="R-OBL-5", article="3.2", party=school_party(facts.school_code),
        school_code=facts.school_code, subject_kind="renewal-campaign",
        subject_id=str(AcademicYear(facts.year)),
        title=f"Répondre à la campagne de juin {AcademicYear(facts.year)} "
        f"({_LIST_FR[facts.kind]})",
        due=facts.deadline, met_by=MetBy.observed,
        key=f"{facts.school_code}:{facts.year}:{facts.kind}",
        opened=facts.opened_at, met_at=facts.first_saved_at, void_if_missed=True,
        academic_year=facts.year,
    )


def referent_gap_day(
    year: AcademicYear, spans: Iterable[ReferentSpan], *, beneficiary_from: date | None
) -> date | None:
    """The first day of `year` on which the school has no referent role valid that day
    or later in the year (from its `beneficiary_from` for a school added by amendment),
    or None when a role covers the year to its end."""
    first = year.starts_on if beneficiary_from is None else max(year.starts_on, beneficiary_from)
    last_valid = max(
        (s.valid_until for s in spans if s.valid_from <= year.ends_on and s.valid_until >= first),
        default=None,
    )
    if last_valid is None:
        return first
    if last_valid >= year.ends_on:
        return None
    return last_valid + timedelta(days=1)


def referent_minimum_obligation(
    school_code: str, year: AcademicYear, opened_on: date, calendar: WorkingCalendar,
    request_received: Iterable[datetime],
) -> Obligation:
    """R-OBL-6: a school left without a referent for academic year `year` from day
    `opened_on` (the June campaign's closing day when it leaves none, else
    `referent_gap_day`) requests one within 15 days (`WorkingCalendar.deadline`); met at the
    reception of a referent request of the school targeting `year` that is not rejected or
    cancelled."""
    received = sorted(request_received)
    return Obligation(
        rule="R-OBL-6", article="3.2.2", party=school_party(school_code),
        school_code=school_code, subject_kind="school", subject_id=school_code,
        title=f"Désigner au moins un référent pour {year}",
        due=calendar.deadline(opened_on, REFERENT_GAP_DAYS), met_by=MetBy.observed,
        key=f"{school_code}:{year.start_year}", opened=opened_on,
        met_at=received[0] if received else None, academic_year=year.start_year,
    )
