"""Storage obligations: the alert, the clean-up at `critical` and the retrieval before
the access end (RULES.md, Obligations register)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.calendar import paris_date
from app.domain.obligations.model import (
    UT,
    MetBy,
    Obligation,
    fixed_due_listed_from,
    school_party,
)


@dataclass(frozen=True)
class LevelRiseFacts:
    """A rise of a school's storage level, the snapshot reception that raised it and
    the instant its alert mail was sent (None while unsent or dead)."""

    alert_id: str
    school_code: str
    level_to: str
    raised_at: datetime
    mail_sent_at: datetime | None


@dataclass(frozen=True)
class CriticalSpellFacts:
    """A spell at level `critical`: from its rise to its clearing (None while it lasts)."""

    alert_id: str
    school_code: str
    raised_at: datetime
    cleared_at: datetime | None


_LEVEL_FR = {"warning": "alerte", "critical": "critique"}


def storage_alert_obligation(rise: LevelRiseFacts) -> Obligation:
    """R-OBL-7: UT alerts a school's referents of each rise of its storage level, due
    the Paris date the raising snapshot was received; met when the alert mail is sent.
    Reminders are not obligations."""
    return Obligation(
        rule="R-OBL-7", article="3.1.2", party=UT, school_code=rise.school_code,
        subject_kind="storage-alert", subject_id=rise.alert_id,
        title=f"Alerter les référents : stockage au niveau "
        f"{_LEVEL_FR.get(rise.level_to, rise.level_to)} ({rise.school_code})",
        due=paris_date(rise.raised_at), met_by=MetBy.observed,
        key=f"storage-alert:{rise.alert_id}", opened=rise.raised_at,
        met_at=rise.mail_sent_at,
    )


def critical_cleanup_obligation(spell: CriticalSpellFacts) -> Obligation:
    """R-OBL-8: a school at level `critical` deletes obsolete content: open (no due)
    from the rise, met when `critical` clears, even if `warning` remains."""
    return Obligation(
        rule="R-OBL-8", article="3.1.2", party=school_party(spell.school_code),
        school_code=spell.school_code, subject_kind="storage-alert",
        subject_id=spell.alert_id,
        title="Supprimer les contenus obsolètes (stockage critique)",
        due=None, met_by=MetBy.observed, key=f"storage-alert:{spell.alert_id}",
        opened=spell.raised_at, met_at=spell.cleared_at,
    )


def retrieval_obligation(school_code: str, access_end_on: date) -> Obligation:
    """R-OBL-9: each school retrieves its contents before its access end (the
    convention's prospective access end, a pending termination counting, or a removed
    school's own end); met by evidence recorded by UT."""
    return Obligation(
        rule="R-OBL-9", article="3.1.2", party=school_party(school_code),
        school_code=school_code, subject_kind="school", subject_id=school_code,
        title="Récupérer ses contenus avant la fin de l'accès",
        due=access_end_on, met_by=MetBy.evidence, key=school_code,
        listed_from=fixed_due_listed_from(access_end_on),
    )


@dataclass(frozen=True)
class LevelEvent:
    """A recorded change of a school's storage level (a rise, a reminder, a clearing)."""

    alert_id: str
    school_code: str
    kind: str
    level_from: str
    level_to: str
    occurred_at: datetime


def critical_spells(events: Iterable[LevelEvent]) -> list[CriticalSpellFacts]:
    """Each school's spells at `critical`: from a rise to it until the first later
    event that leaves it."""
    spells: list[CriticalSpellFacts] = []
    opened: dict[str, LevelEvent] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.alert_id)):
        rise = opened.get(event.school_code)
        if event.level_to == "critical" and event.kind == "raised" and rise is None:
            opened[event.school_code] = event
        elif rise is not None and event.level_from == "critical" and event.level_to != "critical":
            spells.append(_spell(rise, event.occurred_at))
            del opened[event.school_code]
    spells.extend(_spell(rise, None) for rise in opened.values())
    return spells


def _spell(rise: LevelEvent, cleared_at: datetime | None) -> CriticalSpellFacts:
    return CriticalSpellFacts(rise.alert_id, rise.school_code, rise.occurred_at, cleared_at)
