"""R-CONV-1, R-CONV-2, R-CONV-3, R-CONV-4, R-CONV-5: the convention's clock (terms, state and access
end on any date)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.domain.convention import (
    EFFECTIVE_FROM,
    INITIAL_TERMS,
    Amendment,
    ConventionClock,
    ConventionState,
    Party,
    TermChanges,
    TerminationNotice,
    Terms,
)

S = ConventionState


def notice(received_on: date, cured_on: date | None = None, id: str = "n1") -> TerminationNotice:
    return TerminationNotice(
        id=id,
        received_on=received_on,
        cured_on=cured_on,
        notifying_party=Party.REGION,
        defaulting_party=Party.UT,
    )


def amendment(
    reference: str,
    effective_on: date,
    signed_on: date | None = None,
    recorded_seq: int = 0,
    **changes,
) -> Amendment:
    return Amendment(
        reference=reference,
        signed_on=signed_on or effective_on - timedelta(days=30),
        effective_on=effective_on,
        changes=TermChanges(**changes),
        recorded_seq=recorded_seq,
    )


# -------------------------------------------------------------------- initial terms


def test_initial_terms_are_those_of_the_signed_convention():
    expected = Terms(
        ends_on=date(2029, 8, 31),
        storage_capacity_bytes=500_000_000_000,
        school_alert_threshold_bytes=41_000_000_000,
        rate_per_student_cents=2200,
        currency="EUR",
    )
    actual = (EFFECTIVE_FROM, INITIAL_TERMS)
    assert actual == (date(2024, 9, 1), expected)


@pytest.mark.parametrize(
    ("on", "state", "accepts"),
    [
        (date(2024, 8, 31), S.NOT_IN_FORCE, True),
        (date(2024, 9, 1), S.ACTIVE, True),
        (date(2027, 1, 1), S.ACTIVE, True),
        (date(2029, 8, 31), S.ACTIVE, True),
        (date(2029, 9, 1), S.ENDED, False),
    ],
)
def test_without_amendment_or_notice_the_convention_runs_from_2024_to_2029(on, state, accepts):
    status = ConventionClock().status_on(on)
    assert status.state is state
    assert status.accepts_new_accounts is accepts
    assert status.access_end_on == date(2029, 8, 31)
    assert status.prospective_access_end_on == date(2029, 8, 31)
    assert status.notice is None
    assert status.terms == INITIAL_TERMS
    assert status.on == on


# ---------------------------------------------------------------------- amendments


def test_term_changes_know_when_they_are_empty():
    assert TermChanges().is_empty
    assert not TermChanges(rate_per_student_cents=2300).is_empty


def test_a_renewal_amendment_keeps_the_convention_active_after_its_initial_end():
    clock = ConventionClock(
        amendments=[amendment("AV-1", date(2029, 6, 1), ends_on=date(2031, 8, 31))]
    )
    status = clock.status_on(date(2030, 1, 1))
    assert status.state is S.ACTIVE
    assert status.access_end_on == date(2031, 8, 31)
    assert clock.status_on(date(2031, 9, 1)).state is S.ENDED


def test_an_amendment_recorded_now_but_effective_later_changes_nothing_before_it():
    clock = ConventionClock(
        amendments=[
            amendment(
                "AV-1",
                effective_on=date(2028, 9, 1),
                signed_on=date(2026, 1, 10),
                storage_capacity_bytes=800_000_000_000,
            )
        ]
    )
    assert clock.terms_on(date(2026, 1, 10)) == INITIAL_TERMS
    assert clock.terms_on(date(2028, 8, 31)) == INITIAL_TERMS
    assert clock.terms_on(date(2028, 9, 1)).storage_capacity_bytes == 800_000_000_000


@pytest.mark.parametrize(
    ("on", "rate"),
    [(date(2026, 8, 31), 2200), (date(2026, 9, 1), 2300), (date(2027, 3, 1), 2300)],
)
def test_a_rate_amendment_applies_from_its_effective_date(on, rate):
    clock = ConventionClock(
        amendments=[amendment("AV-RATE", date(2026, 9, 1), rate_per_student_cents=2300)]
    )
    terms = clock.terms_on(on)
    assert terms.rate_per_student_cents == rate
    assert replace(terms, rate_per_student_cents=2200) == INITIAL_TERMS


@pytest.mark.parametrize(
    ("amendments", "expected_rate"),
    [
        (  # same effective date: the later signature wins
            [
                amendment(
                    "B", date(2026, 9, 1), signed_on=date(2026, 6, 2), rate_per_student_cents=2500
                ),
                amendment(
                    "A", date(2026, 9, 1), signed_on=date(2026, 6, 1), rate_per_student_cents=2400
                ),
            ],
            2500,
        ),
        (  # same effective and signature dates: the later recording wins
            [
                amendment(
                    "B",
                    date(2026, 9, 1),
                    signed_on=date(2026, 6, 1),
                    recorded_seq=2,
                    rate_per_student_cents=2500,
                ),
                amendment(
                    "A",
                    date(2026, 9, 1),
                    signed_on=date(2026, 6, 1),
                    recorded_seq=1,
                    rate_per_student_cents=2400,
                ),
            ],
            2500,
        ),
        (  # effective date first, whatever the signature dates
            [
                amendment(
                    "LATE",
                    date(2026, 10, 1),
                    signed_on=date(2026, 1, 1),
                    rate_per_student_cents=2600,
                ),
                amendment(
                    "EARLY",
                    date(2026, 9, 1),
                    signed_on=date(2026, 8, 1),
                    rate_per_student_cents=2400,
                ),
            ],
            2600,
        ),
    ],
    ids=["by-signature", "by-recording-order", "by-effective-date"],
)
def test_amendments_apply_in_effective_then_signature_then_recording_order(
    amendments, expected_rate
):
    clock = ConventionClock(amendments=amendments)
    assert clock.terms_on(date(2026, 12, 1)).rate_per_student_cents == expected_rate
    assert list(clock.amendments) == sorted(
        amendments, key=lambda a: (a.effective_on, a.signed_on, a.recorded_seq)
    )


def test_an_amendment_changes_only_the_terms_it_names():
    clock = ConventionClock(
        amendments=[
            amendment("AV-1", date(2025, 1, 1), storage_capacity_bytes=600_000_000_000),
            amendment("AV-2", date(2025, 6, 1), school_alert_threshold_bytes=50_000_000_000),
        ]
    )
    assert clock.terms_on(date(2025, 7, 1)) == replace(
        INITIAL_TERMS,
        storage_capacity_bytes=600_000_000_000,
        school_alert_threshold_bytes=50_000_000_000,
    )


# ----------------------------------------------------------------------- termination


@pytest.mark.parametrize(
    ("received_on", "effective_on", "access_end_on"),
    [
        (date(2027, 2, 15), date(2027, 5, 15), date(2027, 8, 31)),
        (date(2027, 7, 10), date(2027, 10, 10), date(2028, 8, 31)),
        (date(2026, 11, 30), date(2027, 2, 28), date(2027, 8, 31)),
        (date(2027, 11, 30), date(2028, 2, 29), date(2028, 8, 31)),
        (date(2027, 5, 31), date(2027, 8, 31), date(2027, 8, 31)),
        (date(2027, 6, 1), date(2027, 9, 1), date(2028, 8, 31)),
    ],
)
def test_a_notice_takes_effect_three_months_after_reception_and_access_runs_to_august(
    received_on, effective_on, access_end_on
):
    n = notice(received_on)
    assert n.effective_on == effective_on
    assert n.access_end_on() == access_end_on
    status = ConventionClock(notices=[n]).status_on(effective_on)
    assert status.state is S.TERMINATED
    assert status.access_end_on == access_end_on


@pytest.mark.parametrize(
    ("on", "state", "access_end_on", "accepts"),
    [
        (date(2027, 2, 14), S.ACTIVE, date(2029, 8, 31), True),
        (date(2027, 2, 15), S.TERMINATION_PENDING, date(2029, 8, 31), True),
        (date(2027, 5, 14), S.TERMINATION_PENDING, date(2029, 8, 31), True),
        (date(2027, 5, 15), S.TERMINATED, date(2027, 8, 31), False),
        (date(2027, 8, 31), S.TERMINATED, date(2027, 8, 31), False),
        (date(2027, 9, 1), S.ENDED, date(2027, 8, 31), False),
        (date(2030, 1, 1), S.ENDED, date(2027, 8, 31), False),
    ],
)
def test_a_termination_notice_received_in_february_ends_access_on_31_august(
    on, state, access_end_on, accepts
):
    clock = ConventionClock(notices=[notice(date(2027, 2, 15))])
    status = clock.status_on(on)
    assert status.state is state
    assert status.access_end_on == access_end_on
    assert clock.access_end_on(on) == access_end_on
    assert status.accepts_new_accounts is accepts
    assert clock.accepts_new_accounts_on(on) is accepts
    if state is not S.ACTIVE:
        assert status.prospective_access_end_on == date(2027, 8, 31)
        assert status.notice is not None
    else:
        assert status.notice is None


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2027, 2, 15), S.TERMINATION_PENDING),  # history: pending until the cure
        (date(2027, 4, 30), S.TERMINATION_PENDING),
        (date(2027, 5, 1), S.ACTIVE),  # cure day: no effect at all
        (date(2027, 5, 15), S.ACTIVE),
        (date(2027, 9, 1), S.ACTIVE),
        (date(2029, 9, 1), S.ENDED),
    ],
)
def test_a_notice_cured_before_its_effective_date_has_no_effect(on, state):
    n = notice(date(2027, 2, 15), cured_on=date(2027, 5, 1))
    assert n.is_cured
    status = ConventionClock(notices=[n]).status_on(on)
    assert status.state is state
    if on >= date(2027, 5, 1):
        assert status.notice is None
        assert status.access_end_on == date(2029, 8, 31)
        assert status.prospective_access_end_on == date(2029, 8, 31)


def test_a_cure_on_the_effective_date_is_no_cure():
    n = notice(date(2027, 2, 15), cured_on=date(2027, 5, 15))
    assert not n.is_cured
    clock = ConventionClock(notices=[n])
    assert clock.status_on(date(2027, 5, 15)).state is S.TERMINATED
    assert clock.status_on(date(2027, 6, 1)).state is S.TERMINATED
    assert clock.status_on(date(2027, 9, 1)).state is S.ENDED


def test_a_termination_is_capped_by_an_earlier_end_date_in_force():
    clock = ConventionClock(
        amendments=[amendment("AV-SHORT", date(2027, 1, 1), ends_on=date(2027, 12, 31))],
        notices=[notice(date(2027, 7, 10))],  # effective 2027-10-10, access to 2028-08-31
    )
    pending = clock.status_on(date(2027, 8, 1))
    assert pending.state is S.TERMINATION_PENDING
    assert pending.access_end_on == date(2027, 12, 31)
    assert pending.prospective_access_end_on == date(2027, 12, 31)
    terminated = clock.status_on(date(2027, 10, 10))
    assert terminated.state is S.TERMINATED
    assert terminated.access_end_on == date(2027, 12, 31)
    assert clock.status_on(date(2028, 1, 1)).state is S.ENDED


def test_a_pending_notice_after_the_end_date_in_force_leaves_the_convention_ended():
    clock = ConventionClock(notices=[notice(date(2029, 7, 1))])  # effective 2029-10-01
    assert clock.status_on(date(2029, 8, 31)).state is S.TERMINATION_PENDING
    status = clock.status_on(date(2029, 9, 15))
    assert status.state is S.ENDED
    assert status.access_end_on == date(2029, 8, 31)
    assert clock.status_on(date(2029, 10, 1)).state is S.ENDED


def test_the_notice_with_the_earliest_effective_date_wins():
    first = notice(date(2027, 2, 15), id="first")
    second = notice(date(2027, 8, 1), id="second")  # effective 2027-11-01
    clock = ConventionClock(notices=[second, first])
    assert clock.status_on(date(2027, 8, 15)).notice == first
    assert clock.access_end_on(date(2027, 8, 15)) == date(2027, 8, 31)


def test_when_the_first_notice_is_cured_the_second_one_still_counts():
    first = notice(date(2027, 2, 15), cured_on=date(2027, 3, 1), id="first")
    second = notice(date(2027, 8, 1), id="second")  # effective 2027-11-01
    clock = ConventionClock(notices=[first, second])
    assert clock.status_on(date(2027, 5, 15)).state is S.ACTIVE
    status = clock.status_on(date(2027, 11, 1))
    assert status.state is S.TERMINATED
    assert status.notice == second
    assert status.access_end_on == date(2028, 8, 31)


def test_a_notice_not_yet_received_has_no_effect():
    clock = ConventionClock(notices=[notice(date(2027, 2, 15))])
    assert clock.status_on(date(2027, 2, 14)).notice is None
    assert clock.status_on(date(2027, 2, 14)).prospective_access_end_on == date(2029, 8, 31)


def test_a_renewal_after_termination_does_not_lift_the_termination():
    clock = ConventionClock(
        amendments=[amendment("AV-1", date(2027, 6, 1), ends_on=date(2031, 8, 31))],
        notices=[notice(date(2027, 2, 15))],
    )
    assert clock.status_on(date(2027, 9, 1)).state is S.ENDED
    assert clock.access_end_on(date(2027, 9, 1)) == date(2027, 8, 31)


# --- R-CONV-3a: several notices, the governing one, who may notify -----------------------


def _n(notice_id: str, received_on: date, cured_on: date | None = None) -> TerminationNotice:
    return TerminationNotice(notice_id, received_on, cured_on)


@pytest.mark.parametrize(
    ("on", "governing"),
    [
        (date(2026, 11, 29), None),  # nothing received yet
        (date(2026, 11, 30), "a"),  # a: effective 2027-02-28 (30 Nov + 3 months, clamped)
        (date(2026, 12, 1), "a"),  # b received, effective 2027-03-01: a still earlier
        (date(2027, 1, 9), "a"),
        (date(2027, 1, 10), "b"),  # a cured on 10 Jan: b governs from that day
        (date(2027, 2, 28), "b"),
    ],
)
def test_r_conv_3a_the_governing_notice_is_the_earliest_effective_one_not_yet_cured(
    on, governing
):
    """R-CONV-3a: among notices received on or before d and not cured on or before d, the
    one with the earliest effective date (then reception, then id) governs."""
    clock = ConventionClock(notices=[_n("b", date(2026, 12, 1)),
                                     _n("a", date(2026, 11, 30), cured_on=date(2027, 1, 10))])
    found = clock.governing_notice_on(on)
    assert (found.id if found else None) == governing


def test_r_conv_3a_equal_effective_dates_are_broken_by_reception_then_id():
    """R-CONV-3a: letters received on 2025-11-29 and 2025-11-30 both take effect on
    2026-02-28 (clamped to February's end): the earlier reception governs, and two
    letters of the same day are ordered by id."""
    clock = ConventionClock(notices=[_n("z", date(2025, 11, 30)), _n("y", date(2025, 11, 29)),
                                     _n("x", date(2025, 11, 30))])
    assert clock.governing_notice_on(date(2025, 12, 1)).id == "y"
    clock = ConventionClock(notices=[_n("z", date(2025, 11, 30)), _n("x", date(2025, 11, 30))])
    assert clock.governing_notice_on(date(2025, 12, 1)).id == "x"


@pytest.mark.parametrize(
    ("received_on", "refused"),
    [
        (date(2027, 2, 27), False),  # the day before the governing effective date
        (date(2027, 2, 28), True),  # on it
        (date(2027, 3, 1), True),
        (date(2029, 8, 31), True),
    ],
)
def test_r_conv_3a_a_notice_on_or_after_the_governing_effective_date_is_refused(
    received_on, refused
):
    from app.domain.errors import Conflict
    from app.domain.lifecycle import ensure_notice_receivable

    clock = ConventionClock(notices=[_n("a", date(2026, 11, 30))])
    try:
        ensure_notice_receivable(clock, received_on)
        code = None
    except Conflict as exc:
        code = exc.code
    assert code == ("convention-not-active" if refused else None)


def test_r_conv_3a_a_notice_after_the_end_date_in_force_is_refused_but_not_on_it():
    from app.domain.errors import Conflict
    from app.domain.lifecycle import ensure_notice_receivable

    renewed = ConventionClock(amendments=[Amendment(
        "AV-R", date(2028, 1, 10), date(2028, 2, 29), TermChanges(ends_on=date(2030, 8, 31)))])
    ensure_notice_receivable(renewed, date(2030, 8, 31))
    ensure_notice_receivable(ConventionClock(), date(2029, 8, 31))
    with pytest.raises(Conflict):
        ensure_notice_receivable(ConventionClock(), date(2029, 9, 1))
    with pytest.raises(Conflict):
        ensure_notice_receivable(renewed, date(2030, 9, 1))


@pytest.mark.parametrize(
    ("notifying", "defaulting", "accepted"),
    [("region", "ut", True), ("ut", "gcs", True), ("gcs", "region", True),
     ("ut", "ut", False), ("ifsi-toulouse", "ut", False), ("ut", "", False),
     ("Region", "ut", False)],
)
def test_r_conv_3a_only_a_party_notifies_and_only_another_party(notifying, defaulting,
                                                               accepted):
    from app.domain.errors import InvalidInput
    from app.domain.lifecycle import notice_parties

    if accepted:
        assert notice_parties(notifying, defaulting) == (Party(notifying), Party(defaulting))
    else:
        with pytest.raises(InvalidInput) as caught:
            notice_parties(notifying, defaulting)
        assert caught.value.code == "invalid-notice"


# --- R-CONV-4a: the call's date and the event's date ------------------------------------


@pytest.mark.parametrize(
    ("call_on", "event_on", "accepted"),
    [
        (date(2027, 2, 27), date(2027, 2, 27), True),
        (date(2027, 2, 28), date(2027, 2, 27), False),  # the call on the effective date
        (date(2027, 3, 1), date(2026, 10, 1), False),  # backdated before the letter
        (date(2027, 2, 27), date(2026, 10, 1), True),
        (date(2027, 2, 28), date(2027, 2, 28), False),
    ],
)
def test_r_conv_4a_both_the_call_and_the_event_are_before_the_governing_effective_date(
    call_on, event_on, accepted
):
    """R-CONV-4a: notice received 2026-11-30, effective 2027-02-28."""
    clock = ConventionClock(notices=[TerminationNotice("n", date(2026, 11, 30))])
    assert clock.accepts_new_on(call_on=call_on, event_on=event_on) is accepted


def test_r_conv_4a_a_cured_notice_no_longer_governs_the_call():
    """R-CONV-4a: cured on 2027-01-15, the notice governs no call from that day, so a
    call on 2027-03-01 is accepted again (the cure restores everything)."""
    clock = ConventionClock(notices=[TerminationNotice("n", date(2026, 11, 30),
                                                       cured_on=date(2027, 1, 15))])
    assert clock.accepts_new_on(call_on=date(2027, 3, 1), event_on=date(2026, 10, 1))
    assert clock.accepts_new_on(call_on=date(2029, 8, 31), event_on=date(2029, 8, 31))
    assert not clock.accepts_new_on(call_on=date(2029, 9, 1), event_on=date(2029, 9, 1))
