"""Stored lifecycle records around the convention clock's value objects (R-CONV-2, R-CONV-3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.domain.convention import Amendment, ConventionClock, TerminationNotice
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
    if changes.is_empty and not schools_added and not amendment.removes_school_codes:
        raise InvalidInput("an amendment changes at least one term, adds or removes schools",
                           code="empty-amendment", field="changes")
    if changes.ends_on is not None and changes.ends_on < amendment.effective_on:
        raise InvalidInput("ends_on is before effective_on", code="invalid-amendment",
                           field="changes.ends_on")


# Who notifies whom and which reception dates are refused are decided by the clock
# that names the governing notice; these names keep the use cases' imports.
notice_parties = ConventionClock.notice_parties


def ensure_notice_receivable(convention: ConventionClock, received_on: date) -> None:
    """`ConventionClock.ensure_notice_receivable` of `convention`."""
    convention.ensure_notice_receivable(received_on)


def check_cure(record: NoticeRecord, cured_on: date) -> bool:
    """True to record the cure; False when the same cure is repeated (a retry). A cure is
    recorded per notice, before its effective date (`TerminationNotice.is_cured`)."""
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
