"""The Decisions of RULES.md are settings: each reading changes what the rules do."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.accounts import hosted_valid_until, referent_year_for
from app.domain.errors import InvalidInput
from app.domain.reference import initial_reference
from app.domain.rules import GIB, month_day
from app.main import build_rules
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
