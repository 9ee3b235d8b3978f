"""The convention's clock: terms, state and access end on any date (R-CONV-1, R-CONV-2, R-CONV-3,
R-CONV-4, R-CONV-5).

One function, `ConventionClock.status_on(d)`, gives the terms in force, the state and
the access end date for a Paris calendar date; every rule that needs them calls it.
Pure: the date is an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from app.domain.calendar import AcademicYear, add_months_clamped
from app.domain.errors import Conflict, InvalidInput
from app.domain.units import GB

# R-CONV-1: in force from 2024-09-01 (to 2029-08-31, the initial end date).
EFFECTIVE_FROM = date(2024, 9, 1)

# R-CONV-3: a termination takes effect this many calendar months after reception.
TERMINATION_NOTICE_MONTHS = 3


@dataclass(frozen=True)
class Terms:
    """The amendable terms of the convention (amended by `ConventionClock.terms_on`). Sizes in
    bytes, money in cents."""

    ends_on: date
    storage_capacity_bytes: int
    school_alert_threshold_bytes: int
    rate_per_student_cents: int
    currency: str = "EUR"


# R-CONV-1, R-STO-1 (500 GB), R-STO-2 (41 GB, SI reading R-UNIT-1), R-BIL-1 (22 EUR).
INITIAL_TERMS = Terms(
    ends_on=date(2029, 8, 31),
    storage_capacity_bytes=500 * GB,
    school_alert_threshold_bytes=41 * GB,
    rate_per_student_cents=2200,
)


@dataclass(frozen=True)
class TermChanges:
    """What an amendment changes; None leaves a term as it was."""

    ends_on: date | None = None
    storage_capacity_bytes: int | None = None
    school_alert_threshold_bytes: int | None = None
    rate_per_student_cents: int | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.ends_on is None
            and self.storage_capacity_bytes is None
            and self.school_alert_threshold_bytes is None
            and self.rate_per_student_cents is None
        )

    def apply_to(self, terms: Terms) -> Terms:
        changes = {
            name: value
            for name in (
                "ends_on",
                "storage_capacity_bytes",
                "school_alert_threshold_bytes",
                "rate_per_student_cents",
            )
            if (value := getattr(self, name)) is not None
        }
        return replace(terms, **changes) if changes else terms


@dataclass(frozen=True)
class Amendment:
    """An avenant, applied by `ConventionClock.terms_on`. `recorded_seq` breaks ties between
    equal dates."""

    reference: str
    signed_on: date
    effective_on: date
    changes: TermChanges
    recorded_seq: int = 0
    # The beneficiary schools this amendment removes (`BeneficiaryPeriod`).
    removes_school_codes: tuple[str, ...] = ()

    @property
    def order_key(self) -> tuple[date, date, int]:
        return (self.effective_on, self.signed_on, self.recorded_seq)


class TerminationAccessEnd(StrEnum):
    """The two readings of `termination_access_end`'s "end of the academic year in progress"
    (setting `TERMINATION_ACCESS_END`)."""

    END_OF_ACADEMIC_YEAR = "end_of_academic_year"
    NOTICE_YEAR = "notice_year"


def termination_access_end(
    received_on: date, effective_on: date,
    reading: TerminationAccessEnd = TerminationAccessEnd.END_OF_ACADEMIC_YEAR,
) -> date:
    """R-CONV-4: the last day accounts stay active after a termination.

    `end_of_academic_year` (default): 31 Aug of the academic year containing the
    effective date (notice 2026-11-30 → effective 2027-02-28 → 2027-08-31).
    `notice_year`: 31 Aug of the academic year containing the letter's reception, never
    before the effective date (received 2027-06-15 → effective 2027-09-15, later than
    2027-08-31 → 2027-09-15)."""
    if TerminationAccessEnd(reading) is TerminationAccessEnd.NOTICE_YEAR:
        return max(AcademicYear.containing(received_on).ends_on, effective_on)
    return AcademicYear.containing(effective_on).ends_on


class Party(StrEnum):
    REGION = "region"
    UT = "ut"
    GCS = "gcs"


@dataclass(frozen=True)
class TerminationNotice:
    """A termination notice for non-performance (R-CONV-3); its access end is
    `termination_access_end`'s."""

    id: str
    received_on: date
    cured_on: date | None = None
    notifying_party: Party | None = None
    defaulting_party: Party | None = None

    @property
    def effective_on(self) -> date:
        """Reception + 3 calendar months, day-of-month clamped (R-CONV-3)."""
        return add_months_clamped(self.received_on, TERMINATION_NOTICE_MONTHS)

    @property
    def is_cured(self) -> bool:
        """Cured before its effective date; a cure on or after it is no cure."""
        return self.cured_on is not None and self.cured_on < self.effective_on

    def is_cured_on(self, d: date) -> bool:
        """Cured as of `d`: the cure has happened by `d` and counts (R-CONV-3)."""
        return self.is_cured and self.cured_on is not None and self.cured_on <= d

    def access_end_on(
        self, reading: TerminationAccessEnd = TerminationAccessEnd.END_OF_ACADEMIC_YEAR
    ) -> date:
        """`termination_access_end` under `reading`."""
        return termination_access_end(self.received_on, self.effective_on, reading)


class ConventionState(StrEnum):
    NOT_IN_FORCE = "not_in_force"
    ACTIVE = "active"
    TERMINATION_PENDING = "termination_pending"
    TERMINATED = "terminated"
    ENDED = "ended"


_ACCEPTING_STATES = frozenset(
    {ConventionState.NOT_IN_FORCE, ConventionState.ACTIVE, ConventionState.TERMINATION_PENDING}
)


@dataclass(frozen=True)
class ConventionStatus:
    """Everything the rules need to know about the convention on one date."""

    on: date
    terms: Terms
    state: ConventionState
    access_end_on: date
    prospective_access_end_on: date
    notice: TerminationNotice | None
    accepts_new_accounts: bool


class ConventionClock:
    """Terms, state and access end of the convention on any date (R-CONV-1, R-CONV-2,
    R-CONV-3a, R-CONV-4a, R-CONV-5); a notice's own dates are `TerminationNotice`'s and
    its access end is `termination_access_end`."""

    def __init__(
        self,
        initial_terms: Terms = INITIAL_TERMS,
        effective_from: date = EFFECTIVE_FROM,
        amendments: Iterable[Amendment] = (),
        notices: Iterable[TerminationNotice] = (),
        termination_reading: TerminationAccessEnd = TerminationAccessEnd.END_OF_ACADEMIC_YEAR,
    ) -> None:
        self._initial_terms = initial_terms
        self._termination_reading = TerminationAccessEnd(termination_reading)
        self._effective_from = effective_from
        # Stable sort: amendments with equal keys keep the order they were given in.
        self._amendments = tuple(sorted(amendments, key=lambda a: a.order_key))
        self._notices = tuple(notices)

    @property
    def initial_terms(self) -> Terms:
        return self._initial_terms

    @property
    def effective_from(self) -> date:
        return self._effective_from

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        """In application order (effective date, signature date, recording order)."""
        return self._amendments

    @property
    def notices(self) -> tuple[TerminationNotice, ...]:
        return self._notices

    def notice_access_end_on(self, notice: TerminationNotice) -> date:
        """The access end a notice gives (`termination_access_end`), under the reading in force."""
        return notice.access_end_on(self._termination_reading)

    def terms_on(self, d: date) -> Terms:
        """Initial terms + amendments effective on or before `d`, in order (R-CONV-2)."""
        terms = self._initial_terms
        for amendment in self._amendments:
            if amendment.effective_on > d:
                break
            terms = amendment.changes.apply_to(terms)
        return terms

    def governing_notice_on(self, d: date) -> TerminationNotice | None:
        """R-CONV-3a: the notice governing date `d`: among those received on or before
        `d` and not cured on or before `d`, the one with the earliest effective date (then
        the earliest reception, then the id). Curing it lets the next one govern."""
        candidates = [n for n in self._notices if n.received_on <= d and not n.is_cured_on(d)]
        if not candidates:
            return None
        return min(candidates, key=lambda n: (n.effective_on, n.received_on, n.id))

    @staticmethod
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

    def ensure_notice_receivable(self, received_on: date) -> None:
        """R-CONV-3a: several notices may be pending, but a notice received on or after the
        effective date of the notice governing its reception date, or after the end date in
        force on that date, is refused (409 `convention-not-active`)."""
        governing = self.governing_notice_on(received_on)
        if governing is not None and received_on >= governing.effective_on:
            raise Conflict("a termination already took effect on this date (R-CONV-3a)",
                           code="convention-not-active")
        if received_on > self.terms_on(received_on).ends_on:
            raise Conflict("the convention had ended on this date (R-CONV-3a)",
                           code="convention-not-active")

    def status_on(self, d: date) -> ConventionStatus:
        terms = self.terms_on(d)
        end = terms.ends_on
        notice = self.governing_notice_on(d)

        if notice is not None and notice.effective_on <= d:
            access_end = min(end, self.notice_access_end_on(notice))
            prospective = access_end
            state = ConventionState.TERMINATED if d <= access_end else ConventionState.ENDED
        else:
            access_end = end
            prospective = end if notice is None else min(end, self.notice_access_end_on(notice))
            if d > access_end:
                # Past the end date in force: over, whatever notice is still pending.
                state = ConventionState.ENDED
            elif notice is not None:
                state = ConventionState.TERMINATION_PENDING
            elif d < self._effective_from:
                state = ConventionState.NOT_IN_FORCE
            else:
                state = ConventionState.ACTIVE

        return ConventionStatus(
            on=d,
            terms=terms,
            state=state,
            access_end_on=access_end,
            prospective_access_end_on=prospective,
            notice=notice,
            accepts_new_accounts=state in _ACCEPTING_STATES,
        )

    def state_on(self, d: date) -> ConventionState:
        return self.status_on(d).state

    def access_end_on(self, d: date) -> date:
        return self.status_on(d).access_end_on

    def accepts_new_accounts_on(self, d: date) -> bool:
        return self.status_on(d).accepts_new_accounts

    def accepts_new_on(self, *, call_on: date, event_on: date) -> bool:
        """R-CONV-4a: a new account, enrolment or renewal is accepted when the convention
        accepts new accounts on the event's own Paris date (`status_on`, `access_end_on`) and both
        the call's Paris date and the event's date are before the effective date of the
        notice governing the call's date: a call backdated before a termination's
        effective date but made on or after it is refused."""
        if not self.accepts_new_accounts_on(event_on):
            return False
        governing = self.governing_notice_on(call_on)
        return governing is None or max(call_on, event_on) < governing.effective_on


def ensure_accepts_new(
    convention: ConventionClock, *, call_on: date, event_on: date, what: str
) -> None:
    """`ConventionClock.accepts_new_on` as an answer: 409 `convention-not-active` when
    `accepts_new_on` refuses."""
    if not convention.accepts_new_on(call_on=call_on, event_on=event_on):
        raise Conflict(
            f"the convention accepts no new {what} on this date (R-CONV-4, R-CONV-4a, "
            "R-CONV-5)",
            code="convention-not-active",
        )
