"""The statement's PDF recap (fpdf2), split from `app.adapters.statement_render` and
imported only when a PDF is asked for: fpdf2 and its font tools weigh ~30 MB of memory
per process, which a worker serving Moodle's access checks never needs
(docs/PERFORMANCE.md, peak RSS per worker)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from app.adapters.statement_text import (
    PAYMENT_STATUS_FR,
    ROLE_FR,
    euros,
    iban_groups,
    next_number,
    pdf_text,
    previous_number,
)
from app.domain.formatting import french_amount
from app.ports.billing import DateWords

_INK = (26, 26, 26)
_GREY = (95, 95, 95)
_ACCENT = (0, 62, 120)
_RULE = (200, 200, 200)
_HEAD_FILL = (230, 236, 243)
_ALERT = (170, 20, 20)


class _RecapPdf(FPDF):
    """A4 portrait; the footer carries the number, the fingerprint and the page."""

    def __init__(self, document: Mapping[str, Any], words: DateWords):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.words = words
        self.core_fonts_encoding = "windows-1252"
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=24)
        self.alias_nb_pages()

    def write_text(self, w: float, h: float, value: str, **kwargs: Any) -> None:
        self.cell(w, h, pdf_text(value), **kwargs)

    def footer(self) -> None:
        self.set_y(-18)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.5)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(*_GREY)
        fingerprint = self.document.get("content_sha256")
        mark = (f"Empreinte SHA-256 (JSON canonique RFC 8785) : {fingerprint}"
                if fingerprint else "Empreinte : attribuée à l'émission (brouillon)")
        self.write_text(0, 4, mark, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.write_text(
            0, 4,
            f"Relevé {self.document['number']} - rendu du relevé JSON servi par l'API "
            f"de la convention - page {self.page_no()}/{{nb}}",
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )


def _heading(pdf: _RecapPdf, title: str) -> None:
    pdf.ln(2.5)
    pdf.set_font("Helvetica", "B", 10.5)
    pdf.set_text_color(*_ACCENT)
    pdf.write_text(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.set_font("Helvetica", "", 9.5)


def _pair(pdf: _RecapPdf, label: str, value: str, *, label_width: float = 48,
          bold: bool = False) -> None:
    pdf.set_font("Helvetica", "", 9.5)
    pdf.set_text_color(*_GREY)
    pdf.write_text(label_width, 4.8, label)
    pdf.set_text_color(*_INK)
    pdf.set_font("Helvetica", "B" if bold else "", 9.5)
    pdf.multi_cell(0, 4.8, pdf_text(value), align="L", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9.5)


def _status_banner(pdf: _RecapPdf, document: Mapping[str, Any]) -> None:
    status = document["status"]
    if status == "draft":
        text = ("BROUILLON - document de travail non émis, sans valeur de relevé : "
                "l'empreinte est attribuée à l'émission.")
        color = _ALERT
    else:
        issued_at = datetime.fromisoformat(document["issued_at"].replace("Z", "+00:00"))
        text = f"Relevé émis le {pdf.words.instant(issued_at)}"
        if document.get("late"):
            text += ", après l'échéance du " + pdf.words.day(date.fromisoformat(document["due_on"]))
        color = _ACCENT
        if status == "superseded":
            text = f"REMPLACÉ par le relevé {next_number(document)} - {text[0].lower()}{text[1:]}"
            color = _ALERT
    pdf.set_draw_color(*color)
    pdf.set_text_color(*color)
    pdf.set_font("Helvetica", "B", 9.5)
    pdf.multi_cell(0, 6, pdf_text(text), border=1, align="C", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)


def _parties(pdf: _RecapPdf, parties: Sequence[Mapping[str, Any]]) -> None:
    _heading(pdf, "Parties à la convention")
    for party in parties:
        details = ", ".join(
            v for v in (party.get("address"),
                        f"SIRET {party['siret']}" if party.get("siret") else None) if v
        )
        role = ROLE_FR.get(str(party.get("code")), "Partie")
        _pair(pdf, role, f"{party.get('name')}" + (f" - {details}" if details else ""))


_COLUMNS = (("Code école", 44, "L"), ("École", 74, "L"), ("Étudiants", 24, "R"),
            ("Montant (EUR)", 32, "R"))


def _table(pdf: _RecapPdf, document: Mapping[str, Any]) -> None:
    row_height = 5.2

    def header() -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_fill_color(*_HEAD_FILL)
        for title, width, align in _COLUMNS:
            pdf.write_text(width, row_height + 0.8, title, border="B", align=align, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)

    pdf.set_draw_color(*_RULE)
    header()
    for line in document["lines"]:
        if pdf.will_page_break(row_height):
            pdf.add_page()
            header()
        values = (line["school_code"], line["school_name"], str(line["students"]),
                  french_amount(line["amount_cents"]))
        for (_, width, align), value in zip(_COLUMNS, values, strict=True):
            pdf.write_text(width, row_height, value, border="B", align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 9.5)
    total = ("Total", "", str(document["total_students"]),
             french_amount(document["total_amount_cents"]))
    for (_, width, align), value in zip(_COLUMNS, total, strict=True):
        pdf.write_text(width, row_height + 1, value, align=align, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9.5)


def _payments(pdf: _RecapPdf, document: Mapping[str, Any]) -> None:
    payments = document.get("payments") or []
    if not payments and document["status"] == "draft":
        return
    _heading(pdf, "Paiements reçus")
    for p in payments:
        _pair(pdf, pdf.words.day(date.fromisoformat(p["received_on"])),
              f"{euros(p['amount_cents'])} - référence {p['reference']} "
              f"(relevé {p['statement_number']})")
    status = PAYMENT_STATUS_FR.get(document["payment_status"], document["payment_status"])
    _pair(pdf, "État du règlement", status, bold=True)


def _title(pdf: _RecapPdf, document: Mapping[str, Any]) -> None:
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_text_color(*_GREY)
    pdf.write_text(0, 4, "UNIVERSITÉ DE TOULOUSE - RÉGION OCCITANIE - GCS DES IFSI",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_text_color(*_ACCENT)
    pdf.set_font("Helvetica", "B", 16)
    pdf.write_text(0, 8, "Relevé annuel des étudiants inscrits", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 11)
    pdf.set_text_color(*_INK)
    pdf.write_text(
        0, 6,
        f"Année universitaire {document['academic_year']} - relevé n° {document['number']} "
        f"(version {document['version']})",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )
    pdf.set_font("Helvetica", "", 8.5)
    pdf.set_text_color(*_GREY)
    pdf.write_text(0, 5, f"Convention de mise à disposition de la plateforme Moodle, "
                         f"réf. {document['convention_reference']}",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.ln(2)


def render_pdf(document: Mapping[str, Any], words: DateWords) -> bytes:
    pdf = _RecapPdf(document, words)
    pdf.set_title(pdf_text(f"Relevé {document['number']}"))
    pdf.set_author("Université de Toulouse")
    pdf.set_subject(pdf_text("Relevé annuel des étudiants inscrits - convention Moodle"))
    pdf.set_lang("fr")
    stamp = document.get("issued_at") or document["generated_at"]
    pdf.set_creation_date(datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    pdf.add_page()
    _title(pdf, document)
    _status_banner(pdf, document)
    previous = previous_number(document)
    if previous:
        pdf.ln(1)
        _pair(pdf, "Remplace le relevé", previous)
        _pair(pdf, "Motif de la révision", document.get("revision_reason") or "")

    _parties(pdf, document.get("parties") or [])

    _heading(pdf, "Recensement")
    census = pdf.words.day(date.fromisoformat(document["census_on"]))
    _pair(pdf, "Date du recensement",
          f"{census} (clôture de la campagne principale d'inscription)")
    _pair(pdf, "Étudiants comptés", f"{document['total_students']} - inscrits à cette date, "
          "inscription non annulée à cette date, hors transferts")
    _pair(pdf, "Tarif par étudiant",
          f"{euros(document['rate_per_student_cents'])} (en vigueur à la date du recensement)")
    pdf.ln(2)
    _table(pdf, document)

    if pdf.will_page_break(40):
        pdf.add_page()
    _heading(pdf, "Montant et règlement")
    _pair(pdf, "Montant total dû", euros(document["total_amount_cents"]), bold=True)
    _pair(pdf, "Échéance", pdf.words.day(date.fromisoformat(document["due_on"])), bold=True)
    payee = document["payee"]
    _pair(pdf, "Par virement à", payee["name"])
    _pair(pdf, "IBAN", iban_groups(payee["iban"]))
    _pair(pdf, "BIC", payee["bic"])
    _pair(pdf, "Référence à rappeler", document["number"])
    _payments(pdf, document)
    return bytes(pdf.output())
