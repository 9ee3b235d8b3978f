"""Stored lifecycle records around the convention clock's value objects (R-CONV-2, R-CONV-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.convention import Amendment, ConventionClock, Party, TerminationNotice
from app.domain.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class AmendmentRecord:
    amendment: Amendment
    schools_added: str | None
    created_at: datetime


class NoticeStatus(StrEnum):
    PENDING = "pending"
    EFFECTIVE = "effective"  # computed: today ≥ effective date
    CURED = "cured"


@dataclass(frozen=True)
class NoticeRecord:
    notice: TerminationNotice
    grounds: str
    letter_ref: str
    created_at: datetime

    def status_on(self, today: date) -> NoticeStatus:
        if self.notice.is_cured:
            return NoticeStatus.CURED
        if today >= self.notice.effective_on:
            return NoticeStatus.EFFECTIVE
        return NoticeStatus.PENDING


def check_amendment(amendment: Amendment, schools_added: str | None) -> None:
    changes = amendment.changes
    if changes.is_empty and not schools_added:
        raise InvalidInput("an amendment changes at least one term or adds schools",
                           code="empty-amendment", field="changes")
    if changes.ends_on is not None and changes.ends_on < amendment.effective_on:
        raise InvalidInput("ends_on is before effective_on", code="invalid-amendment",
                           field="changes.ends_on")


def notice_parties(notifying: str, defaulting: str) -> tuple[Party, Party]:
    """R-CONV-3a: only a party (region, ut, gcs) notifies, and only another party; anything
    else → 422 `invalid-notice` (schools are beneficiaries, not parties)."""
    parties = {p.value: p for p in Party}
    for field, value in (("notifying_party", notifying), ("defaulting_party", defaulting)):
        if value not in parties:
            raise InvalidInput("only a party of the convention (region, ut, gcs) notifies "
                               "or is notified (R-CONV-3a)", code="invalid-notice",
                               field=field)
    if notifying == defaulting:
        raise InvalidInput("a party notifies another party, not itself (R-CONV-3a)",
                           code="invalid-notice", field="defaulting_party")
    return parties[notifying], parties[defaulting]


def ensure_notice_receivable(convention: ConventionClock, received_on: date) -> None:
    """R-CONV-3a: several notices may be pending, but a notice received on or after the
    effective date of the notice governing its reception date, or after the end date in
    force on that date, is refused (409 `convention-not-active`)."""
    governing = convention.governing_notice_on(received_on)
    if governing is not None and received_on >= governing.effective_on:
        raise Conflict("a termination already took effect on this date (R-CONV-3a)",
                       code="convention-not-active")
    if received_on > convention.terms_on(received_on).ends_on:
        raise Conflict("the convention had ended on this date (R-CONV-3a)",
                       code="convention-not-active")


def check_cure(record: NoticeRecord, cured_on: date) -> bool:
    """True to record the cure; False when the same cure is repeated (a retry). A cure is
    recorded per notice, before its effective date (R-CONV-3, R-CONV-3a)."""
    notice = record.notice
    if notice.cured_on is not None:
        if notice.cured_on == cured_on:
            return False
        raise Conflict("the notice was already cured", code="invalid-transition")
    if cured_on < notice.received_on:
        raise InvalidInput("cured before the letter was received", code="out-of-order",
                           field="cured_on")
    if cured_on >= notice.effective_on:
        raise Conflict("a cure on or after the effective date has no effect (R-CONV-3)",
                       code="cure-too-late")
    return True
