"""Yearly obligations: recap, payment, needs, storage review, informing students
(RULES.md, Obligations register)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.calendar import AcademicYear
from app.domain.obligations.model import (
    FIRST_DUE_ON,
    GCS,
    REGION,
    UT,
    MetBy,
    Obligation,
    fixed_due_listed_from,
    school_party,
)

PAYMENT_DAYS = 30
FIRST_NEEDS_YEAR = 2025
FIRST_STUDENTS_YEAR = 2025


@dataclass(frozen=True)
class StatementFacts:
    """A year's statement as billing knows it: its first issue date (Paris), the
    current issued version's total, the recorded payment due date and the payments."""

    year: int
    statement_id: str | None
    first_issued_on: date | None
    total_cents: int
    payment_due_on: date | None
    payments: tuple[tuple[date, int], ...] = ()


def _fixed(
    rule: str, article: str, party: str, due: date, title: str, key: str, year: int,
    school_code: str | None = None, subject_kind: str = "academic-year",
    subject_id: str | None = None, met_by: MetBy = MetBy.evidence,
    met_at: date | None = None,
) -> Obligation | None:
    if due < FIRST_DUE_ON:
        return None
    return Obligation(
        rule=rule, article=article, party=party, school_code=school_code,
        subject_kind=subject_kind, subject_id=subject_id or str(AcademicYear(year)),
        title=title, due=due, met_by=met_by, key=key, met_at=met_at,
        listed_from=fixed_due_listed_from(due), academic_year=year,
    )


def recap_obligation(year: int, first_issued_on: date | None) -> Obligation | None:
    """R-OBL-10: UT sends the Region the recap of academic year `year` by 15 July of
    its end; met when the year's statement is first issued."""
    return _fixed(
        "R-OBL-10", "7", UT, date(year + 1, 7, 15),
        f"Envoyer à la Région le récapitulatif {AcademicYear(year)}", str(year), year,
        met_by=MetBy.observed, met_at=first_issued_on,
    )


def paid_on(total_cents: int, payments: Iterable[tuple[date, int]]) -> date | None:
    """The day the payments received reach `total_cents` (None while they do not)."""
    received = 0
    for on, cents in sorted(payments):
        received += cents
        if received >= total_cents:
            return on
    return None


def subsidy_payment_obligation(
    facts: StatementFacts, payment_days: int = PAYMENT_DAYS
) -> Obligation | None:
    """R-OBL-11: the Region pays each year's subsidy by the statement's `payment_due_on`,
    else by the first issue's Paris date + `payment_days` calendar days (never moved);
    met when the payments received reach the current issued total. None before the
    year's first issue."""
    if facts.first_issued_on is None:
        return None
    due = facts.payment_due_on or facts.first_issued_on + timedelta(days=payment_days)
    return Obligation(
        rule="R-OBL-11", article="7", party=REGION, school_code=None,
        subject_kind="statement", subject_id=facts.statement_id or str(facts.year),
        title=f"Verser la subvention {AcademicYear(facts.year)}", due=due,
        met_by=MetBy.observed, key=str(facts.year), opened=facts.first_issued_on,
        met_at=paid_on(facts.total_cents, facts.payments), academic_year=facts.year,
    )


def needs_statement_obligation(year: int) -> Obligation | None:
    """R-OBL-12: the GCS states the schools' needs for academic year `year` by 31 May
    of `year`, once a year from 2025-2026; evidence."""
    if year < FIRST_NEEDS_YEAR:
        return None
    return _fixed(
        "R-OBL-12", "3.1.1", GCS, date(year, 5, 31),
        f"Exprimer les besoins des établissements pour {AcademicYear(year)}",
        str(year), year,
    )


def storage_review_obligation(year: int) -> Obligation | None:
    """R-OBL-13: UT and the schools review storage once a year, UT's duty due 31 Aug
    ending academic year `year`; the evidence names the schools present."""
    return _fixed(
        "R-OBL-13", "3.1.2", UT, AcademicYear(year).ends_on,
        f"Faire le point annuel sur le stockage {AcademicYear(year)}", str(year), year,
    )


def students_information_obligation(
    school_code: str, year: int, main_opens_on: date
) -> Obligation | None:
    """R-OBL-14: each school informs its students of the administrative enrolment at UT
    and its procedure, once per academic year from 2025-2026, by the opening day of
    that year's main campaign; evidence."""
    if year < FIRST_STUDENTS_YEAR:
        return None
    return _fixed(
        "R-OBL-14", "3.2.1", school_party(school_code), main_opens_on,
        f"Informer les étudiants de l'inscription administrative à l'UT ({AcademicYear(year)})",
        f"{school_code}:{year}", year, school_code=school_code, subject_kind="school",
        subject_id=school_code,
    )
