"""The Decisions of RULES.md are settings: each reading changes what the rules do."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.bootstrap import build_rules
from app.domain.accounts import Role, RoleKind, hosted_valid_until
from app.domain.convention import (
    ConventionClock,
    TerminationAccessEnd,
    TerminationNotice,
    termination_access_end,
)
from app.domain.errors import InvalidInput
from app.domain.formatting import french_size
from app.domain.reference import convention_size_figures, initial_reference
from app.domain.referents import referent_year_for
from app.domain.rules import GIB, month_day
from app.domain.storage import Level, LevelState, reevaluate_level
from app.domain.student_roles import roles_under_student_grace
from app.domain.units import GB, go_in_bytes
from app.settings import Settings


def _rules(**values):
    return build_rules(Settings(_env_file=None, **values))  # type: ignore[call-arg]


def test_the_default_readings_are_those_of_rules_md():
    rules = _rules()
    assert rules.closures_for_all_deadlines is True
    assert rules.bytes_of(41) == 41_000_000_000
    assert rules.renewal_season_starts == (6, 1)
    assert (rules.referent_answer_deadline, rules.trainer_answer_deadline) == ((6, 30), (6, 25))


def test_the_gib_reading_changes_the_seeded_sizes():
    rules = _rules(size_unit="IEC")
    assert rules.size_unit == GIB
    ref = initial_reference(rules.size_unit)
    assert ref.school_alert_threshold_bytes == 41 * 2**30
    assert ref.storage_capacity_bytes == 500 * 2**30
    assert initial_reference().school_alert_threshold_bytes == 41_000_000_000


def test_a_later_renewal_season_changes_hosted_validity():
    rules = _rules(renewal_season_starts="07-01")
    assert hosted_valid_until(date(2025, 6, 15), rules.renewal_season_starts) == date(2025, 8, 31)
    assert hosted_valid_until(date(2025, 7, 1), rules.renewal_season_starts) == date(2026, 8, 31)
    assert referent_year_for(date(2025, 6, 15), rules.renewal_season_starts) == 2024


@pytest.mark.parametrize("text", ["6-31", "13-01", "0601", "02-30", ""])
def test_a_malformed_month_day_setting_is_refused(text):
    with pytest.raises(InvalidInput):
        month_day(text, "X")


def test_feb_29_is_a_valid_month_day():
    assert month_day("02-29", "X") == (2, 29)


# --- the other readings of the preamble's settings ------------------------------------

NOTICE_YEAR = TerminationAccessEnd.NOTICE_YEAR


@pytest.mark.parametrize(
    ("received_on", "default_end", "notice_year_end"),
    [
        # Effective 2027-02-28 (clamped): both readings give 31 Aug 2027.
        (date(2026, 11, 30), date(2027, 8, 31), date(2027, 8, 31)),
        # Received on the last day of 2026-2027, effective 2027-11-30: the letter's year
        # ended before the effective date, so access ends on the effective date.
        (date(2027, 8, 31), date(2028, 8, 31), date(2027, 11, 30)),
        # Received 1 June, effective 1 Sept: the notice year ends the day before.
        (date(2027, 6, 1), date(2028, 8, 31), date(2027, 9, 1)),
        # Received on 29 Feb 2028, effective 2028-05-29: same academic year.
        (date(2028, 2, 29), date(2028, 8, 31), date(2028, 8, 31)),
        # Received 31 May 2027, effective 31 Aug 2027 exactly: the boundary itself.
        (date(2027, 5, 31), date(2027, 8, 31), date(2027, 8, 31)),
    ],
)
def test_r_conv_4_termination_access_end_under_both_readings(
    received_on, default_end, notice_year_end
):
    """R-CONV-4, `TERMINATION_ACCESS_END`: `notice_year` is 31 Aug of the academic year
    containing the reception, never before the effective date."""
    effective_on = TerminationNotice("n", received_on).effective_on
    assert termination_access_end(received_on, effective_on) == default_end
    assert termination_access_end(received_on, effective_on, NOTICE_YEAR) == notice_year_end
    assert termination_access_end(received_on, effective_on, NOTICE_YEAR) >= effective_on


def test_r_conv_5_the_clock_caps_access_with_the_notice_year_reading():
    """R-CONV-5 under R-CONV-4's `notice_year`: terminated on the effective date, ended
    the next day."""
    notice = TerminationNotice("n", date(2027, 6, 15))
    clock = ConventionClock(notices=[notice], termination_reading=NOTICE_YEAR)
    assert clock.status_on(date(2027, 6, 16)).prospective_access_end_on == date(2027, 9, 15)
    assert clock.state_on(date(2027, 9, 15)).value == "terminated"
    assert clock.state_on(date(2027, 9, 16)).value == "ended"
    assert ConventionClock(notices=[notice]).access_end_on(date(2027, 9, 16)) == date(
        2028, 8, 31)


def test_r_acc_7_without_student_grace_student_roles_lose_their_grace_and_hosted_keep_none():
    """R-ACC-7, `STUDENT_GRACE=false`: a continuing student's access ends 31 Aug N+1."""
    student = Role(kind=RoleKind.STUDENT, school_code="ifms-rodez",
                   valid_from=date(2024, 9, 16), valid_until=date(2025, 8, 31),
                   grace_until=date(2025, 10, 31))
    referent = Role(kind=RoleKind.REFERENT, school_code="ifms-rodez",
                    valid_from=date(2024, 9, 1), valid_until=date(2025, 8, 31))
    assert roles_under_student_grace([student, referent], True) == [student, referent]
    without = roles_under_student_grace([student, referent], False)
    assert [r.grace_until for r in without] == [None, None]
    assert without[0].valid_until == date(2025, 8, 31)


def test_r_unit_1a_the_convention_figures_under_each_reading():
    """R-UNIT-1a: 500 Go and 41 Go in bytes under SI and IEC; the display follows."""
    assert convention_size_figures(GB) == (500_000_000_000, 41_000_000_000)
    assert convention_size_figures(GIB) == (536_870_912_000, 44_023_414_784)
    assert go_in_bytes(41, GIB) == 41 * 2**30
    assert french_size(36_900_000_000, GB) == "36,90 Go"
    assert french_size(36_900_000_000, GIB) == "34,37 Gio"


MEASURED = datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # the night clocks go forward


@pytest.mark.parametrize(
    ("level", "bytes_used", "threshold", "expected", "kinds"),
    [
        # 42 GB critical at 41 GB; at 41 GiB: 43 GB < 44.02 GB clears critical, warning holds.
        (Level.CRITICAL, 42 * GB, 41 * GIB, Level.WARNING, ["cleared"]),
        # Exactly at the new threshold: a rise, mailed.
        (Level.WARNING, 41 * GB, 41 * GB, Level.CRITICAL, ["raised"]),
        # One byte inside the hysteresis (10^9 bytes whatever the unit): critical holds.
        (Level.CRITICAL, 41 * GIB - GB, 41 * GIB, Level.CRITICAL, []),
        (Level.CRITICAL, 41 * GIB - GB - 1, 41 * GIB, Level.WARNING, ["cleared"]),
        # Unchanged threshold: nothing.
        (Level.OK, 10 * GB, 41 * GB, Level.OK, []),
    ],
)
def test_r_unit_1a_a_changed_threshold_reevaluates_the_level_once_from_the_latest_snapshot(
    level, bytes_used, threshold, expected, kinds
):
    """R-UNIT-1a: re-evaluated from the latest snapshot; a rise is a `raised` event, a
    fall a `cleared` one; the hysteresis is 1 GB = 10^9 bytes."""
    raised_at = MEASURED if level is Level.CRITICAL else None
    state = LevelState(level, raised_at=raised_at, measured_at=MEASURED)
    new, events = reevaluate_level(state, bytes_used, threshold)
    assert new.level is expected
    assert [e.kind.value for e in events] == kinds
    assert new.measured_at == MEASURED
    assert all(e.occurred_at == MEASURED for e in events)
    again, more = reevaluate_level(new, bytes_used, threshold)
    assert (again, more) == (new, [])


def test_r_unit_1a_a_scope_never_measured_is_left_alone():
    assert reevaluate_level(LevelState(), 0, 41 * GB) == (LevelState(), [])
