"""Personal-data breach notices between the parties (RULES.md, Obligations register)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.obligations.model import PARTIES, MetBy, Obligation

BREACH_NOTICE_HOURS = 72
_PARTY_FR = {"ut": "l'UT", "region": "la Région", "gcs": "le GCS"}


@dataclass(frozen=True)
class BreachFacts:
    id: str
    discovered_by: str
    discovered_at: datetime


def breach_notice_obligations(breach: BreachFacts) -> Iterator[Obligation]:
    """R-OBL-16: the party that discovers a personal-data breach informs each other
    party's DPO within 72 hours of elapsed time from `discovered_at` (an instant due);
    met by evidence carrying the instant the DPO was informed. It survives the
    convention's end."""
    due = breach.discovered_at.astimezone(UTC) + timedelta(hours=BREACH_NOTICE_HOURS)
    for informed in PARTIES:
        if informed == breach.discovered_by:
            continue
        yield Obligation(
            rule="R-OBL-16", article="12", party=breach.discovered_by, school_code=None,
            subject_kind="breach", subject_id=breach.id,
            title=f"Informer le DPO de {_PARTY_FR[informed]} d'une violation de données",
            due=due, met_by=MetBy.evidence, key=f"{breach.id}:{informed}",
            opened=breach.discovered_at,
        )
