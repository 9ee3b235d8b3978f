"""The French wording shared by the statement's CSV and PDF renderings
(app/adapters/statement_render.py, app/adapters/statement_pdf.py): statuses, parties'
roles, version numbers, amounts and the PDF core fonts' character set."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from app.domain.formatting import french_amount

STATUS_FR = {"draft": "brouillon", "issued": "émis", "superseded": "remplacé"}


PAYMENT_STATUS_FR = {
    "unpaid": "non réglé",
    "partially_paid": "partiellement réglé",
    "paid": "réglé",
    "overpaid": "trop-perçu",
}


ROLE_FR = {"region": "Financeur", "ut": "Bénéficiaire du paiement", "gcs": "Partie"}


def previous_number(document: Mapping[str, Any]) -> str | None:
    """The number of the version this one revises (the previous version of the year)."""
    if not document.get("supersedes"):
        return None
    return f"{document['academic_year']}-v{int(document['version']) - 1}"


def next_number(document: Mapping[str, Any]) -> str | None:
    """The number of the version that revised this one: the next version of the year (a
    revision is always made from the latest version, and a discarded draft is deleted)."""
    if not document.get("superseded_by"):
        return None
    return f"{document['academic_year']}-v{int(document['version']) + 1}"


def pdf_text(value: str) -> str:
    """`value` writable in the core fonts' Windows-1252: other characters lose their
    accent (NFKD) or become `?`."""
    out = []
    for char in value:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("cp1252", "ignore").decode(
                "cp1252")
            out.append(plain or "?")
    return "".join(out)


def iban_groups(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def euros(cents: int) -> str:
    return f"{french_amount(cents)} EUR"
