"""Billing: the yearly statement UT sends the Region (R-BIL-1, R-BIL-2, R-BIL-3, R-MONEY-1).

Pure Python: dates are Paris calendar days, money is integer cents, time is an argument.

* A statement of academic year N/N+1 counts the students of the census (R-BIL-1) per
  beneficiary school at the rate in force on the census date, and is due on 15 July N+1
  (R-BIL-2). Its versions are numbered `N-N+1-vK`.
* Its document (`content`) is the JSON served to the Region: built once when the draft
  is generated, completed with `issued_at` and `late` when it is issued, then frozen
  (R-BIL-3): a correction is a new version that supersedes it. The fingerprint
  `content_sha256` covers every field of the served document but those that may still
  change (`FLOATING_FIELDS`).
* Payments are recorded against the issued version; a revision carries the payments
  already received for the year (`payment_status` compares them with its total).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from app.domain.calendar import AcademicYear
from app.domain.errors import Conflict

CURRENCY = "EUR"
DUE_MONTH, DUE_DAY = 7, 15  # R-BIL-2: by 15 July N+1

# Fields of the served document that change after issuing (supersession, payments) or
# are the fingerprint itself: everything else is frozen and fingerprinted.
FLOATING_FIELDS = frozenset(
    {"status", "payments", "payment_status", "superseded_by", "content_sha256"}
)


class StatementStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    SUPERSEDED = "superseded"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"


# --------------------------------------------------------------------------- figures


def statement_number(academic_year: int, version: int) -> str:
    """`2024-2025-v1`."""
    return f"{AcademicYear(academic_year).label}-v{version}"


def due_on(academic_year: int) -> date:
    """R-BIL-2: the statement of N/N+1 is due on 15 July N+1."""
    return date(academic_year + 1, DUE_MONTH, DUE_DAY)


def amount_text(cents: int) -> str:
    """R-MONEY-1: the decimal string of integer cents, two decimals (`82874.00`)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def ensure_census_reached(census_on: date, today: date) -> None:
    """A statement is computed from the day after the census date (Paris) on: until the
    census day is over, enrolments dated that day may still arrive."""
    if today <= census_on:
        raise Conflict(
            f"the census of {census_on.isoformat()} is not over yet: a statement can be "
            "generated from the day after (R-BIL-1)",
            code="census-not-reached",
        )


def is_late(issued_on: date, due: date) -> bool:
    """Issued after its due date (Paris dates): 15 July itself is on time."""
    return issued_on > due


@dataclass(frozen=True)
class BeneficiarySchool:
    """A school as the statement needs it. `joined_on` is the effective date of the
    amendment that added it (None: a beneficiary from the start)."""

    code: str
    name: str
    joined_on: date | None = None


@dataclass(frozen=True)
class StatementLine:
    school_code: str
    school_name: str
    students: int
    amount_cents: int


def statement_lines(
    schools: Iterable[BeneficiarySchool],
    counts: Mapping[str, int],
    *,
    rate_per_student_cents: int,
    census_on: date,
) -> list[StatementLine]:
    """One line per beneficiary school on the census date, also with 0 students, and one
    per school with counted students (whatever its date), ordered by school code. Each
    line's amount is students × rate: the total is the sum of the lines."""
    if rate_per_student_cents < 0:
        raise ValueError("a rate is never negative")
    names: dict[str, str] = {}
    for school in schools:
        counted = counts.get(school.code, 0) > 0
        if counted or school.joined_on is None or school.joined_on <= census_on:
            names[school.code] = school.name
    for code, students in counts.items():
        if students > 0:
            names.setdefault(code, code)
    return [
        StatementLine(
            school_code=code,
            school_name=names[code],
            students=counts.get(code, 0),
            amount_cents=counts.get(code, 0) * rate_per_student_cents,
        )
        for code in sorted(names)
    ]


def _instant(value: datetime) -> str:
    """An instant as the API writes it: UTC, `Z`."""
    if value.tzinfo is None:
        raise ValueError("an instant is aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_content(
    *,
    statement_id: str,
    academic_year: int,
    version: int,
    census_on: date,
    rate_per_student_cents: int,
    lines: Sequence[StatementLine],
    payee: Mapping[str, Any],
    parties: Sequence[Mapping[str, Any]],
    convention_reference: str,
    generated_at: datetime,
    supersedes: str | None = None,
    revision_reason: str | None = None,
) -> dict[str, Any]:
    """The frozen part of a statement's document (plain JSON values), as a draft:
    `issued_at` and `late` are null until it is issued. The parties and the payee are
    institutions (no personal data)."""
    total_students = sum(line.students for line in lines)
    total_cents = sum(line.amount_cents for line in lines)
    return {
        "id": statement_id,
        "number": statement_number(academic_year, version),
        "academic_year": AcademicYear(academic_year).label,
        "version": version,
        "census_on": census_on.isoformat(),
        "rate_per_student_cents": rate_per_student_cents,
        "rate_per_student": amount_text(rate_per_student_cents),
        "currency": CURRENCY,
        "lines": [
            {
                "school_code": line.school_code,
                "school_name": line.school_name,
                "students": line.students,
                "amount_cents": line.amount_cents,
                "amount": amount_text(line.amount_cents),
            }
            for line in lines
        ],
        "total_students": total_students,
        "total_amount_cents": total_cents,
        "total_amount": amount_text(total_cents),
        "due_on": due_on(academic_year).isoformat(),
        "payee": {"name": payee["name"], "iban": payee["iban"], "bic": payee["bic"]},
        "parties": [
            {
                "code": p.get("code"),
                "name": p.get("name"),
                "siret": p.get("siret"),
                "address": p.get("address"),
            }
            for p in parties
        ],
        "convention_reference": convention_reference,
        "generated_at": _instant(generated_at),
        "supersedes": supersedes,
        "revision_reason": revision_reason,
        "issued_at": None,
        "late": None,
    }


def issued_content(content: Mapping[str, Any], *, issued_at: datetime, issued_on: date
                   ) -> dict[str, Any]:
    """The draft's content completed at issuing (`issued_on` is the Paris date)."""
    return {
        **content,
        "issued_at": _instant(issued_at),
        "late": is_late(issued_on, date.fromisoformat(content["due_on"])),
    }


def frozen_fields(document: Mapping[str, Any]) -> dict[str, Any]:
    """What `content_sha256` covers: the served document but its floating fields. The
    fingerprint is SHA-256 of the RFC 8785 canonical JSON of this."""
    return {k: v for k, v in document.items() if k not in FLOATING_FIELDS}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Payment:
    id: str
    statement_id: str
    statement_number: str
    received_on: date
    amount_cents: int
    reference: str
    created_at: datetime

    def same_as(self, received_on: date, amount_cents: int) -> bool:
        return self.received_on == received_on and self.amount_cents == amount_cents


@dataclass(frozen=True)
class Statement:
    """One stored version. `content` is the frozen part of its document."""

    id: str
    number: str
    academic_year: int
    version: int
    status: StatementStatus
    census_on: date
    rate_per_student_cents: int
    total_students: int
    total_amount_cents: int
    content: Mapping[str, Any]
    content_sha256: str | None
    generated_at: datetime
    issued_at: datetime | None
    supersedes_id: str | None
    superseded_by_id: str | None
    revision_reason: str | None
    updated_at: datetime
    payments: tuple[Payment, ...] = field(default=())

    @property
    def is_current(self) -> bool:
        """A draft or the issued version: at most one of each per year."""
        return self.status is not StatementStatus.SUPERSEDED

    @property
    def visible_to_readers(self) -> bool:
        """The Region (`billing:read`) sees issued and superseded versions only."""
        return self.status is not StatementStatus.DRAFT


def payment_status(total_cents: int, received_cents: int) -> PaymentStatus:
    """Received against due: nothing (and something due) → unpaid; less → partially
    paid; exactly → paid (also a total of 0 with nothing received); more → overpaid."""
    if received_cents > total_cents:
        return PaymentStatus.OVERPAID
    if received_cents == total_cents:
        return PaymentStatus.PAID
    if received_cents == 0:
        return PaymentStatus.UNPAID
    return PaymentStatus.PARTIALLY_PAID


def ensure_payment_matches(
    existing: Payment | None, received_on: date, amount_cents: int
) -> bool:
    """True when the payment must be stored; False for a resend of a stored one (same
    reference and content); another content under a stored reference → 409."""
    if existing is None:
        return True
    if existing.same_as(received_on, amount_cents):
        return False
    raise Conflict(
        "a payment with this reference was recorded with other figures",
        code="payment-conflict",
    )


# The served document's fields, in the order they are written.
DOCUMENT_ORDER = (
    "id", "number", "academic_year", "version", "status", "census_on",
    "rate_per_student_cents", "rate_per_student", "currency", "lines", "total_students",
    "total_amount_cents", "total_amount", "due_on", "payee", "parties",
    "convention_reference", "generated_at", "issued_at", "late", "supersedes",
    "superseded_by", "revision_reason", "content_sha256", "payments", "payment_status",
)


def served_document(statement: Statement) -> dict[str, Any]:
    """The statement as served (JSON values): its frozen content plus status,
    supersession, fingerprint, payments (those of the versions it supersedes too) and
    the payment status. CSV and PDF are rendered from this very dictionary."""
    received = sum(p.amount_cents for p in statement.payments)
    floating: dict[str, Any] = {
        "status": statement.status.value,
        "superseded_by": statement.superseded_by_id,
        "content_sha256": statement.content_sha256,
        "payments": [
            {
                "received_on": p.received_on.isoformat(),
                "amount_cents": p.amount_cents,
                "amount": amount_text(p.amount_cents),
                "currency": CURRENCY,
                "reference": p.reference,
                "statement_number": p.statement_number,
            }
            for p in sorted(statement.payments, key=lambda p: (p.received_on, p.created_at,
                                                               p.reference))
        ],
        "payment_status": payment_status(statement.total_amount_cents, received).value,
    }
    merged = {**statement.content, **floating}
    ordered = {key: merged[key] for key in DOCUMENT_ORDER if key in merged}
    ordered.update({k: v for k, v in merged.items() if k not in ordered})
    return ordered
