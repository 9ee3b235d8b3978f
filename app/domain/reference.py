"""The convention's reference data, as signed (preamble, art. 7, 8, 12, annex 1).

Seeded idempotently by `convention-api db seed`; later changes go through amendments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.convention import EFFECTIVE_FROM, INITIAL_TERMS
from app.domain.units import GB, go_in_bytes

CONVENTION_REFERENCE = "CONV-UT-REGION-GCS-MOODLE-2024"
CONVENTION_TITLE = (
    "Convention de partenariat relative à la mise à disposition de la plateforme Moodle "
    "de l'UT à destination des écoles et instituts de formations paramédicales de la "
    "Région Occitanie"
)

PARTIES: tuple[dict[str, str | None], ...] = (
    {
        "code": "region",
        "name": "Région Occitanie",
        "siret": "20005379100014",
        "address": "22 boulevard du Maréchal Juin, 31400 Toulouse",
    },
    {
        "code": "ut",
        "name": "Université de Toulouse",
        "siret": "93827139200012",
        "address": "118 route de Narbonne, 31400 Toulouse",
    },
    {
        "code": "gcs",
        "name": "Groupement de Coopération Sanitaire des IFSI d'Occitanie Ouest",
        "siret": None,  # none in the text
        "address": "GIP IFMS du Gers, Allée Marie Clarac, BP 80382, Auch Cedex",
    },
)

PAYEE = {
    "name": "Université de Toulouse - Agent comptable",
    "iban": "FR7610071310000000100132788",
    "bic": "TRPUFRP1",
}

DPO_CONTACTS: tuple[dict[str, str], ...] = (
    {"party": "region", "phone": "06 73 28 73 30", "email": "jean-francois.mangin@laregion.fr"},
    {"party": "gcs", "phone": "05 42 54 01 30", "email": "h.fofy@gip-ifsidugers.fr"},
    {"party": "ut", "phone": "05 61 55 78 94", "email": "dpo@univ-tlse3.fr"},
)

MOODLE_VERSION = "4.1.9+ (Build: 20240215)"

PLUGINS: tuple[dict[str, str], ...] = (
    {"name": "Choix de groupe", "type": "activity"},
    {"name": "Viewer DICOM Image", "type": "activity"},
    {"name": "Module Hot Potatoes", "type": "activity"},
    {"name": "Questionnaire", "type": "activity"},
    {"name": "Wooclap", "type": "activity"},
    {"name": "Wooflash", "type": "activity"},
    {"name": "Progression", "type": "block"},
    {"name": "Formulas", "type": "question_type"},
    {"name": "Vue en image", "type": "course_format"},
    {"name": "Une section par onglet", "type": "course_format"},
    {"name": "Hybridmeter", "type": "report"},
    {"name": "Compilatio", "type": "plagiarism"},
    {"name": "Inscription par liste", "type": "local"},
)


@dataclass(frozen=True)
class SeedSchool:
    code: str
    name: str
    group: str | None = None
    sites: tuple[str, ...] = ()


SCHOOLS: tuple[SeedSchool, ...] = (
    SeedSchool("ifsi-millau", "IFSI Millau", sites=("Millau",)),
    SeedSchool("ifms-lot", "IFMS du Lot", sites=("Cahors", "Figeac")),
    SeedSchool("ifms-montauban", "IFMS Montauban", sites=("Montauban",)),
    SeedSchool("ifms-pamiers", "IFMS Pamiers", sites=("Pamiers",)),
    SeedSchool("ifms-albi", "IFMS – IFSI Albi", sites=("Albi",)),
    SeedSchool("ifms-castres-mazamet", "IFMS Castres-Mazamet", sites=("Castres", "Mazamet")),
    SeedSchool("ifms-rodez", "IFMS Rodez", sites=("Rodez",)),
    SeedSchool("ifms-tarbes", "IFMS Tarbes", sites=("Tarbes",)),
    SeedSchool("ifms-auch", "IFMS Auch", sites=("Auch",)),
    SeedSchool("croix-rouge-toulouse", "Croix Rouge Toulouse", sites=("Toulouse",)),
    SeedSchool("aehp-toulouse", "AEHP Toulouse", sites=("Toulouse",)),
    SeedSchool("prefms-ifmem", "PREFMS – IFMEM", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-ifpp", "PREFMS – IFPP", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-ife", "PREFMS – IFE", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-ifsi", "PREFMS – IFSI", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-esf", "PREFMS – ESF", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-eia", "PREFMS – EIA", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-eibo", "PREFMS – EIBO", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-ifmk", "PREFMS – IFMK", "PREFMS", ("Toulouse",)),
    SeedSchool("prefms-ifcs", "PREFMS – IFCS", "PREFMS", ("Toulouse",)),
)


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34) or not compact[:2].isalpha():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def bic_is_valid(bic: str) -> bool:
    return len(bic) in (8, 11) and bic[:6].isalpha() and bic.isalnum()


__all__ = [
    "CONVENTION_REFERENCE",
    "DPO_CONTACTS",
    "EFFECTIVE_FROM",
    "INITIAL_TERMS",
    "PARTIES",
    "PAYEE",
    "PLUGINS",
    "SCHOOLS",
]


@dataclass(frozen=True)
class ConventionReference:
    """The stored convention: identity, initial terms and the published contacts."""

    reference: str
    title: str
    effective_from: date
    ends_on: date
    storage_capacity_bytes: int
    school_alert_threshold_bytes: int
    rate_per_student_cents: int
    currency: str
    parties: tuple[dict[str, Any], ...]
    payee: dict[str, Any]
    dpo_contacts: tuple[dict[str, Any], ...]
    platform: dict[str, Any]


STORAGE_CAPACITY_GO = 500  # art. 3.1.2
SCHOOL_ALERT_GO = 41  # art. 3.1.2


def convention_size_figures(size_unit: int = GB) -> tuple[int, int]:
    """R-UNIT-1a: the convention's own figures (capacity 500 Go, school threshold 41 Go)
    in bytes under the reading `size_unit`; amendments state bytes and are not read
    through it."""
    return go_in_bytes(STORAGE_CAPACITY_GO, size_unit), go_in_bytes(SCHOOL_ALERT_GO, size_unit)


def initial_reference(size_unit: int = GB) -> ConventionReference:
    """The signed terms; "Go" converted to bytes (`convention_size_figures`)."""
    capacity, threshold = convention_size_figures(size_unit)
    return ConventionReference(
        reference=CONVENTION_REFERENCE,
        title=CONVENTION_TITLE,
        effective_from=EFFECTIVE_FROM,
        ends_on=INITIAL_TERMS.ends_on,
        storage_capacity_bytes=capacity,
        school_alert_threshold_bytes=threshold,
        rate_per_student_cents=INITIAL_TERMS.rate_per_student_cents,
        currency=INITIAL_TERMS.currency,
        parties=PARTIES,
        payee=dict(PAYEE),
        dpo_contacts=DPO_CONTACTS,
        platform={"moodle_version": MOODLE_VERSION, "plugins": [dict(p) for p in PLUGINS]},
    )
