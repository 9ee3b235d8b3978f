"""The storage and census Decisions of RULES.md are settings that change the outcome:
WARNING_RATIO_PERCENT and CRITICAL_REMINDER_DAYS (R-STO-2), RETRIEVAL_REMINDER_DAYS
(R-STO-4), CENSUS_ON_MAIN_CLOSE (R-BIL-1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.bootstrap import build_jobs, build_rules, build_storage_policy
from app.domain.enrolments import (
    Enrolment,
    EnrolmentStatus,
    census_date,
    census_rule,
    default_windows,
    ensure_census_read_only,
    validate_windows,
)
from app.domain.errors import InvalidInput
from app.domain.storage import (
    AlertKind,
    Level,
    LevelState,
    apply_snapshot,
    level_threshold,
    next_level,
    raw_level,
    warning_threshold,
)
from app.domain.storage_reminders import (
    due_reminders,
    parse_reminder_days,
    record_reminders,
    retrieval_reminder_dates,
)
from app.domain.units import GB
from app.services.storage import REMINDERS_JOB, RETRIEVAL_JOB
from app.settings import Settings

T41 = 41 * GB
OK, WARNING, CRITICAL = Level.OK, Level.WARNING, Level.CRITICAL


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# --- WARNING_RATIO_PERCENT (R-STO-2) --------------------------------------------------


def test_a_warning_percent_of_80_raises_warning_at_80_percent_of_41_gb():
    assert warning_threshold(T41, 80) == 32_800_000_000
    assert level_threshold(WARNING, T41, 80) == 32_800_000_000
    assert raw_level(32_799_999_999, T41, 80) is OK
    assert raw_level(32_800_000_000, T41, 80) is WARNING
    assert raw_level(32_800_000_000, T41) is OK  # the default reading: 90 %
    assert raw_level(T41, T41, 80) is CRITICAL


def test_the_warning_hysteresis_follows_the_percent():
    # Warning at 80 % holds while 100 × (bytes + 1 GB) ≥ 80 × threshold: down to 31.8 GB.
    assert next_level(WARNING, 31_800_000_000, T41, GB, 80) is WARNING
    assert next_level(WARNING, 31_799_999_999, T41, GB, 80) is OK
    assert next_level(CRITICAL, 35 * GB, T41, GB, 80) is WARNING
    assert next_level(CRITICAL, 35 * GB, T41) is OK  # 35 GB + 1 GB < 90 % of 41 GB


def test_a_rise_at_80_percent_cites_the_80_percent_threshold():
    at = datetime(2025, 3, 3, 8, tzinfo=UTC)
    state, [event] = apply_snapshot(LevelState(), at, 33 * GB, T41, GB, 80)
    assert (state.level, event.kind, event.threshold_bytes) == (
        WARNING, AlertKind.RAISED, 32_800_000_000)
    assert apply_snapshot(LevelState(), at, 33 * GB, T41) == (
        LevelState(OK, measured_at=at), [])


@pytest.mark.parametrize("percent", [0, 100, True, 90.0])
def test_a_warning_percent_outside_1_to_99_is_refused(percent):
    with pytest.raises(InvalidInput) as refused:
        raw_level(GB, T41, percent)
    assert refused.value.code == "invalid-setting"


# --- CRITICAL_REMINDER_DAYS (R-STO-2) -------------------------------------------------


def test_reminders_every_3_days_fall_3_and_6_paris_days_after_the_rise():
    raised = datetime(2025, 3, 27, 8, tzinfo=UTC)  # 09:00 Paris, before the DST change
    now = raised + timedelta(days=6, hours=12)
    state = LevelState(CRITICAL, raised_at=raised, measured_at=now)
    # 09:00 Paris on 30 March (UTC+2 from that day) and on 2 April.
    assert due_reminders(state, now, 3) == [
        datetime(2025, 3, 30, 7, tzinfo=UTC), datetime(2025, 4, 2, 7, tzinfo=UTC)]
    assert due_reminders(state, now) == []  # every 7 days: the first is on 3 April
    after, events = record_reminders(state, now, 42 * GB, T41, 3)
    assert [e.kind for e in events] == [AlertKind.REMINDER, AlertKind.REMINDER]
    assert after.last_reminder_at == datetime(2025, 4, 2, 7, tzinfo=UTC)
    assert record_reminders(after, now, 42 * GB, T41, 3) == (after, [])


@pytest.mark.parametrize("days", [0, -7, True])
def test_a_reminder_interval_below_one_day_is_refused(days):
    state = LevelState(CRITICAL, raised_at=datetime(2025, 3, 3, tzinfo=UTC))
    with pytest.raises(InvalidInput) as refused:
        due_reminders(state, datetime(2025, 4, 3, tzinfo=UTC), days)
    assert refused.value.code == "invalid-setting"


# --- RETRIEVAL_REMINDER_DAYS (R-STO-4) ------------------------------------------------


def test_retrieval_reminders_at_60_and_15_days_before_the_access_end():
    assert retrieval_reminder_dates(date(2029, 8, 31), (60, 15)) == (
        date(2029, 7, 2), date(2029, 8, 16))
    assert retrieval_reminder_dates(date(2029, 8, 31)) == (date(2029, 6, 2), date(2029, 8, 1))
    assert retrieval_reminder_dates(date(2029, 8, 31), (7,)) == (date(2029, 8, 24),)


@pytest.mark.parametrize(
    ("text", "days"),
    [("90,30", (90, 30)), ("15, 60", (60, 15)), ("7", (7,)), (" 120 ,90,30 ", (120, 90, 30))],
)
def test_the_retrieval_setting_is_read_earliest_reminder_first(text, days):
    assert parse_reminder_days(text) == days


@pytest.mark.parametrize("text", ["", "90;30", "90,", "0,30", "-5", "90,90", "a", "1.5",
                                  "٣٠", "90 30"])
def test_a_malformed_retrieval_setting_is_refused_with_its_name(text):
    with pytest.raises(InvalidInput) as refused:
        parse_reminder_days(text)
    assert refused.value.code == "invalid-setting"
    assert "RETRIEVAL_REMINDER_DAYS" in refused.value.detail


def test_the_storage_policy_carries_the_three_settings():
    default = build_storage_policy(settings())
    assert (default.warning_percent, default.reminder_days, default.retrieval_days) == (
        90, 7, (90, 30))
    changed = build_storage_policy(settings(
        warning_ratio_percent=80, critical_reminder_days=3, retrieval_reminder_days="15,60"))
    assert (changed.warning_percent, changed.reminder_days, changed.retrieval_days) == (
        80, 3, (60, 15))


def test_the_jobs_are_not_built_with_a_malformed_retrieval_setting():
    with pytest.raises(InvalidInput) as refused:
        build_jobs(settings(retrieval_reminder_days="90,thirty"))
    assert "RETRIEVAL_REMINDER_DAYS" in refused.value.detail


def test_the_job_descriptions_give_the_days_in_force():
    jobs = build_jobs(settings(critical_reminder_days=3, retrieval_reminder_days="60,15"))
    assert "every 3 days" in jobs.get(REMINDERS_JOB).description
    assert "60 and 15 days" in jobs.get(RETRIEVAL_JOB).description


# --- CENSUS_ON_MAIN_CLOSE (R-BIL-1) ---------------------------------------------------

EXTENDED = validate_windows(
    2024, main_opens_on=date(2024, 7, 1), main_closes_on=date(2024, 11, 15),
    s2_opens_on=date(2025, 1, 1), s2_closes_on=date(2025, 2, 28),
)


def enrolment(enrolled_on: date) -> Enrolment:
    return Enrolment(
        id="e-1", uid="abc1234d", student_number="1", school_code="ifms-rodez",
        academic_year=2024, enrolled_on=enrolled_on, final_year=False, transfer=False,
        status=EnrolmentStatus.ACTIVE, cancelled_on=None, content_sha256="x",
        created_at=datetime(2024, 11, 5, tzinfo=UTC),
    )


def test_the_census_is_on_31_october_despite_a_main_campaign_closing_on_15_november():
    assert census_date(EXTENDED) == date(2024, 11, 15)
    assert census_date(EXTENDED, on_main_close=False) == date(2024, 10, 31)
    assert census_date(default_windows(2026), on_main_close=False) == date(2026, 10, 31)
    fixed = census_rule(EXTENDED, on_main_close=False)
    assert fixed.census_on == date(2024, 10, 31)
    assert not fixed.counts(enrolment(date(2024, 11, 5)))
    assert census_rule(EXTENDED).counts(enrolment(date(2024, 11, 5)))


def test_under_the_fixed_reading_census_on_may_only_name_31_october():
    ensure_census_read_only(EXTENDED, date(2024, 10, 31), on_main_close=False)
    with pytest.raises(InvalidInput) as refused:
        ensure_census_read_only(EXTENDED, date(2024, 11, 15), on_main_close=False)
    assert refused.value.code == "census-read-only"
    with pytest.raises(InvalidInput):
        ensure_census_read_only(EXTENDED, date(2024, 10, 31))


def test_the_rules_carry_the_census_setting():
    assert build_rules(settings()).census_on_main_close is True
    assert build_rules(settings(census_on_main_close=False)).census_on_main_close is False
