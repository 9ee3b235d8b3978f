"""The statement for the Region in CSV and PDF, rendered from the served JSON
document (`app.domain.billing.served_document`), so the three representations agree.

* CSV for the Region's finance office, French spreadsheet conventions: UTF-8 with a BOM,
  `;` separator, decimal comma, dates `JJ/MM/AAAA`, CRLF line ends. Header rows
  (number, year, version, status, census, rate, due date, fingerprint…), an empty row,
  one row per school, a total row. Text cells a spreadsheet would run as a formula
  (starting with `=`, `+`, `-`, `@`, tab or CR: OWASP "CSV injection") are written with
  a leading `'`, so a person sees the text and nothing runs; the numbers the renderer
  formats itself (counts, amounts, negative ones included) stay numbers (`Number`).
* PDF: a one- to two-page French recap (fpdf2, core Helvetica font in Windows-1252, so no
  font file has to ship: a character outside that encoding is written without its
  accent, or `?`).
No personal data is ever in a statement (schools, institutions and figures only)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.adapters.statement_text import PAYMENT_STATUS_FR, STATUS_FR, next_number, previous_number
from app.domain.calendar import PARIS
from app.ports.billing import DateWords

# ------------------------------------------------------------------------ French forms


def _day(value: str | None) -> str:
    """`2024-10-31` → `31/10/2024` (empty for None)."""
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""


def _instant(value: str | None) -> str:
    """An RFC 3339 instant → `03/07/2025 10:05` in Paris time (empty for None)."""
    if not value:
        return ""
    local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(PARIS)
    return local.strftime("%d/%m/%Y %H:%M")


class Number(str):
    """A cell the renderer wrote from a number: only an optional minus, digits and one
    decimal comma (checked), so it can stay a number in the spreadsheet."""

    __slots__ = ()
    _FORM = re.compile(r"-?\d+(?:,\d+)?")

    def __new__(cls, value: str) -> Number:
        if not cls._FORM.fullmatch(value):
            raise ValueError("not a number the renderer writes")
        return super().__new__(cls, value)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: str) -> str:
    """What a spreadsheet shows as `value` and never runs (OWASP CSV injection): a text
    starting with a formula character gets a leading `'`. A `Number` is left as is."""
    if isinstance(value, Number) or not value.startswith(FORMULA_STARTS):
        return value
    return "'" + value


def _decimal_comma(amount: str) -> Number:
    """`82874.00` → `82874,00` (spreadsheets read it as a number; no thousands
    separator)."""
    return Number(amount.replace(".", ","))






# ------------------------------------------------------------------------ CSV


def csv_rows(document: Mapping[str, Any]) -> list[list[str]]:
    """The CSV's rows (strings, numbers as `Number`), header rows first, before
    `spreadsheet_cell`."""
    rows = [
        ["Relevé annuel des étudiants inscrits", "Convention " + document["convention_reference"]],
        ["Numéro", document["number"]],
        ["Année universitaire", document["academic_year"]],
        ["Version", Number(str(document["version"]))],
        ["Statut", STATUS_FR.get(document["status"], document["status"])],
        ["Date du recensement", _day(document["census_on"])],
        ["Tarif par étudiant (EUR)", _decimal_comma(document["rate_per_student"])],
        ["Échéance", _day(document["due_on"])],
        ["Émis le", _instant(document.get("issued_at"))],
        ["Remplace", previous_number(document) or ""],
        ["Remplacé par", next_number(document) or ""],
        ["Motif de la révision", document.get("revision_reason") or ""],
        ["Bénéficiaire", document["payee"]["name"]],
        ["IBAN", document["payee"]["iban"]],
        ["BIC", document["payee"]["bic"]],
        ["Règlement", PAYMENT_STATUS_FR.get(document["payment_status"],
                                            document["payment_status"])],
        ["Empreinte SHA-256", document.get("content_sha256") or ""],
        [],
        ["Code école", "École", "Étudiants", "Montant (EUR)"],
    ]
    rows += [
        [line["school_code"], line["school_name"], Number(str(line["students"])),
         _decimal_comma(line["amount"])]
        for line in document["lines"]
    ]
    rows.append(["Total", "", Number(str(document["total_students"])),
                 _decimal_comma(document["total_amount"])])
    return rows


class CsvStatementRenderer:
    media_type = "text/csv"
    file_extension = "csv"

    def render(self, document: Mapping[str, Any]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n",
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerows([spreadsheet_cell(cell) for cell in row]
                         for row in csv_rows(document))
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ------------------------------------------------------------------------ PDF








def render_pdf(document: Mapping[str, Any], words: DateWords) -> bytes:
    """The PDF recap (app/adapters/statement_pdf.py, imported at the first PDF)."""
    from app.adapters.statement_pdf import render_pdf as render

    return render(document, words)


class PdfStatementRenderer:
    media_type = "application/pdf"
    file_extension = "pdf"

    def __init__(self, words: DateWords):
        self.words = words

    def render(self, document: Mapping[str, Any]) -> bytes:
        return render_pdf(document, self.words)


def statement_renderers(words: DateWords) -> dict[str, Any]:
    """media type → renderer, for the container's `statement_renderers`; `words` writes the
    PDF's dates as the mails do."""
    return {r.media_type: r for r in (CsvStatementRenderer(), PdfStatementRenderer(words))}
