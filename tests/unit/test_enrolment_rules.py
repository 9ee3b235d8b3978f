"""R-ACC-6 windows, R-ACC-7 student validity and grace, R-BIL-1 census: the pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.domain.access import AccountStatus, evaluate_access
from app.domain.convention import ConventionClock, TerminationNotice
from app.domain.enrolments import (
    CensusRule,
    Enrolment,
    EnrolmentStatus,
    EnrolmentWindows,
    Window,
    census_rule,
    default_windows,
    ensure_cancellable,
    ensure_census_read_only,
    ensure_convention_accepts,
    ensure_in_window,
    ensure_not_dated_after_the_call,
    grace_end_for,
    validate_windows,
    year_in_convention,
)
from app.domain.errors import Conflict, InvalidInput
from app.domain.student_roles import student_roles

PARIS = ZoneInfo("Europe/Paris")
ACCESS_END = date(2029, 8, 31)


def enrolment(
    enrolled_on: date,
    *,
    year: int = 2024,
    final_year: bool = False,
    transfer: bool = False,
    cancelled_on: date | None = None,
    school: str = "ifsi-a",
) -> Enrolment:
    return Enrolment(
        id=f"e-{year}-{enrolled_on.isoformat()}",
        uid="abc1234d",
        student_number="S1",
        school_code=school,
        academic_year=year,
        enrolled_on=enrolled_on,
        final_year=final_year,
        transfer=transfer,
        status=EnrolmentStatus.CANCELLED if cancelled_on else EnrolmentStatus.ACTIVE,
        cancelled_on=cancelled_on,
        content_sha256="x",
        created_at=datetime(2024, 7, 1, tzinfo=UTC),
    )


def status_at(
    enrolments: list[Enrolment],
    at: datetime,
    stored: dict[int, EnrolmentWindows] | None = None,
) -> AccountStatus:
    roles = student_roles(
        [e.as_student_enrolment() for e in enrolments], grace_end_for(stored or {})
    )
    return evaluate_access(uid="abc1234d", roles=roles, at=at, access_end_on=ACCESS_END).status


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


# --- windows -----------------------------------------------------------------------


def test_default_windows_are_july_to_october_and_january_to_end_of_february():
    windows = default_windows(2024)
    assert (windows.main_opens_on, windows.main_closes_on) == (date(2024, 7, 1), date(2024, 10, 31))
    assert (windows.s2_opens_on, windows.s2_closes_on) == (date(2025, 1, 1), date(2025, 2, 28))
    assert windows.census_on == date(2024, 10, 31)
    assert windows.version == 0 and windows.is_default


def test_the_semester_2_window_ends_on_29_february_in_a_leap_year():
    assert default_windows(2027).s2_closes_on == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("enrolled_on", "accepted"),
    [
        (date(2024, 6, 30), False),
        (date(2024, 7, 1), True),
        (date(2024, 10, 31), True),
        (date(2024, 11, 1), False),
        (date(2025, 1, 15), False),  # semester 2 takes transfers only
    ],
)
def test_an_enrolment_is_accepted_only_in_the_main_campaign(enrolled_on, accepted):
    windows = default_windows(2024)
    if accepted:
        ensure_in_window(windows, enrolled_on, transfer=False)
    else:
        with pytest.raises(Conflict) as refused:
            ensure_in_window(windows, enrolled_on, transfer=False)
        assert refused.value.code == "enrolment-window-closed"


@pytest.mark.parametrize(
    ("year", "enrolled_on", "accepted"),
    [
        (2024, date(2024, 12, 31), False),
        (2024, date(2025, 1, 1), True),
        (2024, date(2025, 2, 28), True),
        (2024, date(2025, 3, 1), False),
        (2024, date(2024, 9, 15), False),  # the main campaign takes no transfer
        (2027, date(2028, 2, 29), True),
        (2027, date(2028, 3, 1), False),
    ],
)
def test_a_transfer_is_accepted_only_in_the_semester_2_window(year, enrolled_on, accepted):
    windows = default_windows(year)
    if accepted:
        ensure_in_window(windows, enrolled_on, transfer=True)
    else:
        with pytest.raises(Conflict, match="window"):
            ensure_in_window(windows, enrolled_on, transfer=True)


def test_which_window_a_date_falls_in():
    windows = default_windows(2024)
    assert windows.window_of(date(2024, 8, 1)) is Window.MAIN
    assert windows.window_of(date(2025, 2, 1)) is Window.SEMESTER_2
    assert windows.window_of(date(2024, 12, 1)) is None


def test_changed_windows_are_accepted_when_ordered_and_apart():
    windows = validate_windows(
        2025, main_opens_on=date(2025, 6, 15), main_closes_on=date(2025, 11, 15),
        s2_opens_on=date(2026, 1, 5), s2_closes_on=date(2026, 3, 10),
    )
    assert windows.census_on == date(2025, 11, 15)
    assert not windows.is_default


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ((date(2025, 10, 31), date(2025, 7, 1), date(2026, 1, 1), date(2026, 2, 28)),
         "main_closes_on"),
        ((date(2025, 7, 1), date(2025, 10, 31), date(2026, 2, 28), date(2026, 1, 1)),
         "s2_closes_on"),
        ((date(2025, 7, 1), date(2026, 1, 10), date(2026, 1, 1), date(2026, 2, 28)),
         "s2_opens_on"),
        ((date(2025, 7, 1), date(2025, 10, 31), date(2025, 10, 31), date(2026, 2, 28)),
         "s2_opens_on"),
        ((date(2024, 12, 31), date(2025, 10, 31), date(2026, 1, 1), date(2026, 2, 28)),
         "main_opens_on"),
        ((date(2025, 7, 1), date(2025, 10, 31), date(2026, 1, 1), date(2026, 9, 1)),
         "s2_closes_on"),
    ],
)
def test_reversed_overlapping_or_out_of_year_windows_are_refused(dates, field):
    main_opens_on, main_closes_on, s2_opens_on, s2_closes_on = dates
    with pytest.raises(InvalidInput) as refused:
        validate_windows(
            2025, main_opens_on=main_opens_on, main_closes_on=main_closes_on,
            s2_opens_on=s2_opens_on, s2_closes_on=s2_closes_on,
        )
    assert refused.value.code == "invalid-enrolment-windows"
    assert refused.value.field == field


def test_census_on_is_read_only():
    windows = default_windows(2024)
    ensure_census_read_only(windows, None)
    ensure_census_read_only(windows, date(2024, 10, 31))
    with pytest.raises(InvalidInput) as refused:
        ensure_census_read_only(windows, date(2024, 11, 30))
    assert refused.value.code == "census-read-only"


# --- the convention --------------------------------------------------------------------


def test_the_convention_covers_academic_years_2024_to_2028():
    convention = ConventionClock()
    assert not year_in_convention(convention, 2023, date(2024, 7, 1))
    assert year_in_convention(convention, 2024, date(2024, 7, 1))
    assert year_in_convention(convention, 2028, date(2028, 7, 1))
    assert not year_in_convention(convention, 2029, date(2029, 7, 1))


def test_an_enrolment_on_or_after_a_termination_s_effective_date_is_refused():
    # Received 2026-11-30 → effective 2027-02-28, access end 2027-08-31.
    convention = ConventionClock(notices=[TerminationNotice("n1", date(2026, 11, 30))])
    ensure_convention_accepts(convention, 2026, date(2027, 2, 27), date(2027, 2, 27))
    for enrolled_on in (date(2027, 2, 28), date(2027, 7, 1)):
        with pytest.raises(Conflict) as refused:
            ensure_convention_accepts(convention, 2026, enrolled_on, enrolled_on)
        assert refused.value.code == "convention-not-active"
    with pytest.raises(Conflict):
        ensure_convention_accepts(convention, 2027, date(2027, 7, 1), date(2027, 7, 1))


@pytest.mark.parametrize(
    ("enrolled_on", "call_on", "accepted"),
    [
        (date(2027, 2, 27), date(2027, 2, 27), True),
        (date(2027, 2, 27), date(2027, 2, 28), False),  # sent on the effective date
        (date(2026, 10, 30), date(2027, 3, 1), False),  # backdated before the notice itself
        (date(2026, 10, 30), date(2026, 11, 30), True),  # sent the day the letter arrived
    ],
)
def test_r_conv_4a_an_enrolment_sent_on_or_after_the_effective_date_is_refused_even_backdated(
    enrolled_on, call_on, accepted
):
    """R-CONV-4a: the call's Paris date and the enrolment's own date must both be before
    the effective date (2027-02-28) of the notice governing the call's date."""
    convention = ConventionClock(notices=[TerminationNotice("n1", date(2026, 11, 30))])
    try:
        ensure_convention_accepts(convention, 2026, enrolled_on, call_on)
        code = None
    except Conflict as exc:
        code = exc.code
    assert code == (None if accepted else "convention-not-active")


# --- R-ACC-7: student validity and grace -------------------------------------------------

CONTINUING = [enrolment(date(2024, 9, 15))]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (paris(2025, 8, 31, 23, 59), AccountStatus.ACTIVE),
        (paris(2025, 9, 1, 0, 0), AccountStatus.GRACE),
        (paris(2025, 10, 31, 23, 59), AccountStatus.GRACE),
        (paris(2025, 11, 1, 0, 0), AccountStatus.EXPIRED),
    ],
)
def test_a_continuing_student_not_re_enrolled_keeps_access_in_grace_until_31_october(
    at, expected
):
    assert status_at(CONTINUING, at) is expected


def test_re_enrolling_on_15_october_makes_the_student_active_again():
    enrolments = [*CONTINUING, enrolment(date(2025, 10, 15), year=2025)]
    assert status_at(enrolments, paris(2025, 10, 14, 12)) is AccountStatus.GRACE
    assert status_at(enrolments, paris(2025, 10, 15, 12)) is AccountStatus.ACTIVE
    assert status_at(enrolments, paris(2025, 11, 1, 12)) is AccountStatus.ACTIVE


@pytest.mark.parametrize(
    ("later", "last_grace_day"),
    [
        # Moving to another school on 15 Oct: the grace ends on 14 Oct, as a
        # re-enrolment in the same school would end it.
        (enrolment(date(2025, 10, 15), year=2025, school="ifsi-b"), date(2025, 10, 14)),
        # On 1 Sept (first day of the grace): no grace at all.
        (enrolment(date(2025, 9, 1), year=2025, school="ifsi-b"), None),
        # A later enrolment cancelled afterwards does not bring the grace back.
        (enrolment(date(2025, 9, 2), year=2025, school="ifsi-b", cancelled_on=date(2025, 9, 30)),
         date(2025, 9, 1)),
        # An enrolment two years later (a year's break) cuts nothing of this grace.
        (enrolment(date(2026, 9, 2), year=2026, school="ifsi-b"), date(2025, 10, 31)),
    ],
)
def test_r_acc_7a_an_enrolment_for_a_later_year_in_any_school_ends_the_grace(
    later, last_grace_day
):
    """R-ACC-7a: the grace of the 2024-2025 enrolment at ifsi-a ends the day before the
    `enrolled_on` of an enrolment for a later year, whatever its school."""
    roles = student_roles([e.as_student_enrolment() for e in (*CONTINUING, later)])
    (first,) = [r for r in roles if r.school_code == "ifsi-a"]
    assert first.valid_until == date(2025, 8, 31)
    assert first.grace_until == last_grace_day


def test_r_acc_7a_a_student_who_moves_school_is_not_in_grace_after_the_new_enrolment():
    """R-ACC-7a: moved to ifsi-b on 2 Sept, cancelled there on 30 Sept: from 2 Sept the
    old school's grace is over, and from 30 Sept the student has no access."""
    moved = enrolment(date(2025, 9, 2), year=2025, school="ifsi-b",
                      cancelled_on=date(2025, 9, 30))
    enrolments = [*CONTINUING, moved]
    assert status_at(enrolments, paris(2025, 9, 1, 23, 59)) is AccountStatus.GRACE
    assert status_at(enrolments, paris(2025, 9, 2, 0, 0)) is AccountStatus.ACTIVE
    assert status_at(enrolments, paris(2025, 9, 30, 0, 0)) is AccountStatus.EXPIRED
    assert status_at(enrolments, paris(2025, 10, 31, 12)) is AccountStatus.EXPIRED


def test_a_final_year_student_expires_on_1_september():
    enrolments = [enrolment(date(2024, 9, 15), final_year=True)]
    assert status_at(enrolments, paris(2025, 8, 31, 12)) is AccountStatus.ACTIVE
    assert status_at(enrolments, paris(2025, 9, 1, 0, 0)) is AccountStatus.EXPIRED


def test_a_cancelled_enrolment_gives_no_role_from_its_cancellation_and_no_grace():
    enrolments = [enrolment(date(2024, 9, 15), cancelled_on=date(2025, 3, 1))]
    assert status_at(enrolments, paris(2025, 2, 28, 12)) is AccountStatus.ACTIVE
    assert status_at(enrolments, paris(2025, 3, 1, 0, 0)) is AccountStatus.EXPIRED
    assert status_at(enrolments, paris(2025, 9, 15, 12)) is AccountStatus.EXPIRED


def test_changed_windows_of_the_next_year_move_the_grace_end():
    stored = {2025: validate_windows(
        2025, main_opens_on=date(2025, 7, 1), main_closes_on=date(2025, 11, 30),
        s2_opens_on=date(2026, 1, 1), s2_closes_on=date(2026, 2, 28),
    )}
    assert status_at(CONTINUING, paris(2025, 11, 15, 12), stored) is AccountStatus.GRACE
    assert status_at(CONTINUING, paris(2025, 12, 1, 0, 0), stored) is AccountStatus.EXPIRED
    assert status_at(CONTINUING, paris(2025, 11, 15, 12)) is AccountStatus.EXPIRED


# --- R-ACC-6a: no enrolment dated after the call ----------------------------------------


@pytest.mark.parametrize(
    ("day", "call_on", "refused"),
    [
        (date(2024, 10, 31), date(2024, 10, 31), False),  # the call's own day
        (date(2024, 11, 1), date(2024, 10, 31), True),  # the next day, across a month end
        (date(2028, 2, 29), date(2028, 2, 28), True),
        (date(2028, 2, 29), date(2028, 2, 29), False),
        (date(2025, 1, 1), date(2024, 12, 31), True),  # a public holiday, a year's turn
        (date(2025, 10, 26), date(2025, 10, 25), True),  # the autumn DST Sunday
        (date(2024, 7, 1), date(2025, 3, 3), False),
    ],
)
def test_r_acc_6a_an_enrolment_or_cancellation_dated_after_the_call_is_refused(
    day, call_on, refused
):
    """R-ACC-6a: `enrolled_on` / `cancelled_on` after the Paris date of the call → 422
    `enrolment-in-future`."""
    for field in ("enrolled_on", "cancelled_on"):
        if refused:
            with pytest.raises(InvalidInput) as caught:
                ensure_not_dated_after_the_call(day, call_on, field)
            assert (caught.value.code, caught.value.field) == ("enrolment-in-future", field)
        else:
            ensure_not_dated_after_the_call(day, call_on, field)


# --- cancellation ------------------------------------------------------------------------


def test_a_cancellation_before_the_enrolment_date_is_refused():
    with pytest.raises(InvalidInput) as refused:
        ensure_cancellable(enrolment(date(2024, 9, 15)), date(2024, 9, 14))
    assert refused.value.code == "cancelled-before-enrolment"
    assert ensure_cancellable(enrolment(date(2024, 9, 15)), date(2024, 9, 15)) is True


def test_a_repeated_cancellation_is_a_retry_and_another_date_a_conflict():
    cancelled = enrolment(date(2024, 9, 15), cancelled_on=date(2024, 10, 15))
    assert ensure_cancellable(cancelled, date(2024, 10, 15)) is False
    with pytest.raises(Conflict) as refused:
        ensure_cancellable(cancelled, date(2024, 10, 16))
    assert refused.value.code == "already-cancelled"


# --- R-BIL-1: the census -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "counted"),
    [
        (enrolment(date(2024, 7, 1)), True),
        (enrolment(date(2024, 10, 31)), True),
        (enrolment(date(2024, 9, 1), cancelled_on=date(2024, 10, 15)), False),
        (enrolment(date(2024, 9, 1), cancelled_on=date(2024, 10, 31)), False),
        (enrolment(date(2024, 9, 1), cancelled_on=date(2024, 11, 15)), True),
        (enrolment(date(2025, 1, 10), transfer=True), False),
        (enrolment(date(2024, 11, 5)), False),  # dated after the census (changed windows)
        (enrolment(date(2025, 9, 1), year=2025), False),
    ],
)
def test_the_census_counts_enrolments_of_the_year_on_its_date(item, counted):
    assert census_rule(default_windows(2024)).counts(item) is counted


def test_changed_windows_move_the_census():
    later = validate_windows(
        2024, main_opens_on=date(2024, 7, 1), main_closes_on=date(2024, 11, 30),
        s2_opens_on=date(2025, 1, 1), s2_closes_on=date(2025, 2, 28),
    )
    rule = census_rule(later)
    assert rule == CensusRule(2024, date(2024, 11, 30))
    assert rule.counts(enrolment(date(2024, 11, 5)))
    assert not rule.counts(enrolment(date(2024, 9, 1), cancelled_on=date(2024, 11, 15)))
