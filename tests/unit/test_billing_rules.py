"""Billing rules with explicit dates: numbering, due date, lines and totals, the census
gate, lateness, payment status, the frozen fields and the renderers (R-BIL-1, R-BIL-2, R-BIL-3,
R-MONEY-1)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.statement_render import (
    CsvStatementRenderer,
    Number,
    PdfStatementRenderer,
    csv_rows,
    spreadsheet_cell,
)
from app.adapters.statement_text import pdf_text
from app.domain.billing import (
    FLOATING_FIELDS,
    BeneficiarySchool,
    Payment,
    PaymentStatus,
    Statement,
    StatementStatus,
    amount_text,
    build_content,
    due_on,
    ensure_census_reached,
    ensure_payment_matches,
    frozen_fields,
    is_late,
    issued_content,
    payment_status,
    served_document,
    statement_lines,
    statement_number,
)
from app.domain.errors import Conflict
from app.domain.formatting import french_date, french_datetime
from app.domain.reference import CONVENTION_REFERENCE, PARTIES, PAYEE
from app.ports.billing import DateWords
from app.services.billing import fingerprint

CENSUS = date(2024, 10, 31)
GENERATED = datetime(2024, 11, 4, 9, 30, tzinfo=UTC)
SCHOOLS = [BeneficiarySchool("ifms-rodez", "IFMS Rodez"),
           BeneficiarySchool("ifms-albi", "IFMS – IFSI Albi"),
           BeneficiarySchool("ifms-auch", "IFMS Auch")]


def content(counts: dict[str, int], *, rate: int = 2200, version: int = 1) -> dict:
    lines = statement_lines(SCHOOLS, counts, rate_per_student_cents=rate, census_on=CENSUS)
    return build_content(
        statement_id="s-1", academic_year=2024, version=version, census_on=CENSUS,
        rate_per_student_cents=rate, lines=lines, payee=PAYEE, parties=PARTIES,
        convention_reference=CONVENTION_REFERENCE, generated_at=GENERATED,
    )


def statement(doc: dict, *, status: StatementStatus = StatementStatus.DRAFT,
              payments: tuple[Payment, ...] = ()) -> Statement:
    return Statement(
        id=doc["id"], number=doc["number"], academic_year=2024, version=doc["version"],
        status=status, census_on=CENSUS, rate_per_student_cents=doc["rate_per_student_cents"],
        total_students=doc["total_students"], total_amount_cents=doc["total_amount_cents"],
        content=doc, content_sha256=None, generated_at=GENERATED, issued_at=None,
        supersedes_id=None, superseded_by_id=None, revision_reason=None,
        updated_at=GENERATED, payments=payments,
    )


def payment(cents: int, reference: str = "VIR-1") -> Payment:
    return Payment(id="p", statement_id="s-1", statement_number="2024-2025-v1",
                   received_on=date(2025, 7, 20), amount_cents=cents, reference=reference,
                   created_at=GENERATED)


def test_a_statement_is_numbered_by_year_and_version():
    assert statement_number(2024, 1) == "2024-2025-v1"
    assert statement_number(2028, 12) == "2028-2029-v12"


@pytest.mark.parametrize(("year", "due"), [(2024, date(2025, 7, 15)),
                                           (2028, date(2029, 7, 15))])
def test_the_statement_of_n_is_due_on_15_july_of_n_plus_1(year, due):
    assert due_on(year) == due


@pytest.mark.parametrize(
    ("cents", "text"),
    [(8_287_400, "82874.00"), (0, "0.00"), (5, "0.05"), (2200, "22.00"),
     (100_000_000, "1000000.00"), (-150, "-1.50")],
)
def test_amounts_are_written_from_integer_cents_with_two_decimals(cents, text):
    assert amount_text(cents) == text


def test_3767_students_at_22_eur_make_8287400_cents_and_the_lines_sum_to_the_total():
    doc = content({"ifms-rodez": 2000, "ifms-albi": 1767})
    assert doc["total_students"] == 3767
    assert (doc["total_amount_cents"], doc["total_amount"]) == (8_287_400, "82874.00")
    assert sum(line["amount_cents"] for line in doc["lines"]) == doc["total_amount_cents"]
    assert [line["amount"] for line in doc["lines"]] == ["38874.00", "0.00", "44000.00"]


def test_every_beneficiary_school_has_a_line_ordered_by_code_also_with_no_student():
    lines = statement_lines(SCHOOLS, {"ifms-rodez": 3}, rate_per_student_cents=2200,
                            census_on=CENSUS)
    assert [(line.school_code, line.students, line.amount_cents) for line in lines] == [
        ("ifms-albi", 0, 0), ("ifms-auch", 0, 0), ("ifms-rodez", 3, 6600)]


def test_a_school_added_by_an_amendment_after_the_census_has_no_line_unless_it_counts():
    late = BeneficiarySchool("ifsi-new", "IFSI Nouveau", joined_on=date(2024, 11, 1))
    on_census = BeneficiarySchool("ifsi-day", "IFSI du jour", joined_on=CENSUS)
    codes = [line.school_code for line in statement_lines(
        [*SCHOOLS, late, on_census], {}, rate_per_student_cents=2200, census_on=CENSUS)]
    assert "ifsi-new" not in codes and "ifsi-day" in codes
    counted = statement_lines([late], {"ifsi-new": 2}, rate_per_student_cents=2200,
                              census_on=CENSUS)
    assert [(line.school_code, line.students) for line in counted] == [("ifsi-new", 2)]


def test_a_negative_rate_is_a_bug():
    with pytest.raises(ValueError):
        statement_lines(SCHOOLS, {}, rate_per_student_cents=-1, census_on=CENSUS)


@pytest.mark.parametrize(("today", "refused"), [(date(2024, 10, 30), True),
                                                (date(2024, 10, 31), True),
                                                (date(2024, 11, 1), False)])
def test_a_statement_waits_for_the_day_after_the_census(today, refused):
    if refused:
        with pytest.raises(Conflict) as caught:
            ensure_census_reached(CENSUS, today)
        assert caught.value.code == "census-not-reached"
    else:
        ensure_census_reached(CENSUS, today)


@pytest.mark.parametrize(("issued_on", "late"), [(date(2025, 7, 14), False),
                                                 (date(2025, 7, 15), False),
                                                 (date(2025, 7, 16), True)])
def test_a_statement_is_late_when_issued_after_its_due_date(issued_on, late):
    assert is_late(issued_on, date(2025, 7, 15)) is late


def test_issuing_completes_the_content_with_the_instant_and_lateness():
    draft = content({"ifms-rodez": 1})
    issued = issued_content(draft, issued_at=datetime(2025, 7, 15, 21, 59, tzinfo=UTC),
                            issued_on=date(2025, 7, 15))
    assert (issued["issued_at"], issued["late"]) == ("2025-07-15T21:59:00Z", False)
    assert (draft["issued_at"], draft["late"]) == (None, None)


@pytest.mark.parametrize(
    ("total", "received", "status"),
    [(6600, 0, PaymentStatus.UNPAID), (6600, 1, PaymentStatus.PARTIALLY_PAID),
     (6600, 6599, PaymentStatus.PARTIALLY_PAID), (6600, 6600, PaymentStatus.PAID),
     (6600, 6601, PaymentStatus.OVERPAID), (0, 0, PaymentStatus.PAID),
     (0, 100, PaymentStatus.OVERPAID)],
)
def test_the_payment_status_compares_what_was_received_with_the_total(total, received, status):
    assert payment_status(total, received) is status


def test_a_payment_resent_is_recognised_and_another_under_its_reference_conflicts():
    stored = payment(5000)
    assert ensure_payment_matches(None, date(2025, 7, 20), 5000) is True
    assert ensure_payment_matches(stored, date(2025, 7, 20), 5000) is False
    for other in ((date(2025, 7, 21), 5000), (date(2025, 7, 20), 4000)):
        with pytest.raises(Conflict) as caught:
            ensure_payment_matches(stored, *other)
        assert caught.value.code == "payment-conflict"


def test_the_fingerprint_covers_all_but_the_floating_fields():
    doc = served_document(replace(statement(content({"ifms-rodez": 2})),
                                  status=StatementStatus.ISSUED, payments=(payment(100),)))
    assert set(doc) >= FLOATING_FIELDS
    frozen = frozen_fields(doc)
    assert set(frozen) == set(doc) - FLOATING_FIELDS
    assert fingerprint(doc) == hashlib.sha256(rfc8785.dumps(frozen)).hexdigest()
    superseded = {**doc, "status": "superseded", "superseded_by": "s-2", "payments": [],
                  "payment_status": "paid", "content_sha256": "x"}
    assert fingerprint(superseded) == fingerprint(doc)
    assert fingerprint({**doc, "total_students": 3}) != fingerprint(doc)


def test_the_served_document_is_the_content_plus_status_supersession_and_payments():
    doc = served_document(statement(content({"ifms-albi": 3}), status=StatementStatus.ISSUED,
                                    payments=(payment(4000, "B"), payment(2600, "A"))))
    assert list(doc)[:5] == ["id", "number", "academic_year", "version", "status"]
    assert (doc["status"], doc["payment_status"], doc["superseded_by"]) == (
        "issued", "paid", None)
    assert [p["reference"] for p in doc["payments"]] == ["A", "B"]
    assert doc["payments"][0] == {"received_on": "2025-07-20", "amount_cents": 2600,
                                  "amount": "26.00", "currency": "EUR", "reference": "A",
                                  "statement_number": "2024-2025-v1"}


def test_the_csv_is_french_and_its_total_row_matches_the_document():
    doc = served_document(statement(content({"ifms-albi": 1767, "ifms-rodez": 2000})))
    raw = CsvStatementRenderer().render(doc)
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == csv_rows(doc)
    assert rows[-1] == ["Total", "", "3767", "82874,00"]
    assert ["Tarif par étudiant (EUR)", "22,00"] in rows
    assert ["Échéance", "15/07/2025"] in rows


def test_pdf_text_keeps_windows_1252_and_degrades_the_rest():
    assert pdf_text("IFMS – IFSI Albi, 22 € l’étudiant") == "IFMS – IFSI Albi, 22 € l’étudiant"
    assert pdf_text("Łódź ✓") == "?ódz ?"


def test_the_pdf_is_a_french_recap_of_one_or_two_pages():
    doc = served_document(statement(content({"ifms-albi": 12})))
    renderer = PdfStatementRenderer(DateWords(day=french_date, instant=french_datetime))
    pdf = renderer.render(doc)
    assert pdf.startswith(b"%PDF-")
    assert 1 <= len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf)) <= 2
    assert renderer.render(doc) == pdf  # the same document renders the same bytes


FORMULA_TEXTS = ["=1+1", "+33 5 61", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd",
                 '=HYPERLINK("http://x","y")']


@pytest.mark.parametrize("text", FORMULA_TEXTS)
def test_a_formula_like_text_cell_reads_back_as_the_text_after_a_quote(text):
    doc = served_document(statement(content({"ifms-albi": 2})))
    doc["lines"][0] = {**doc["lines"][0], "school_name": text, "school_code": text}
    doc["payee"] = {**doc["payee"], "name": text}
    rows = list(csv.reader(io.StringIO(CsvStatementRenderer().render(doc).decode("utf-8-sig"),
                                       newline=""), delimiter=";"))
    assert ["Bénéficiaire", "'" + text] in rows
    assert ["'" + text, "'" + text, "2", "44,00"] in rows


@given(st.text(max_size=40))
def test_any_text_cell_is_shown_as_written_or_after_a_quote_and_never_runs(text):

    shown = spreadsheet_cell(text)
    assert shown in (text, "'" + text)
    assert not shown.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value", ["0", "3767", "82874,00", "-12,50", "-3"])
def test_numbers_the_renderer_writes_stay_numbers_negative_ones_included(value):

    assert spreadsheet_cell(Number(value)) == value


@pytest.mark.parametrize("value", ["-1+1", "=1", "1,2,3", "", "1.5", "- 1", "--1"])
def test_only_plain_numbers_can_pass_as_numbers(value):

    with pytest.raises(ValueError):
        Number(value)
