"""French writing for people (Babel's fr_FR data): dates, times, numbers, sizes, money."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.formatting import (
    french_amount,
    french_date,
    french_datetime,
    french_euros,
    french_number,
    french_short_date,
    french_size,
    french_time,
)
from app.domain.units import GB, GIB

NNBSP = "\u202f"  # CLDR's French thousands separator: a narrow no-break space


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (date(2025, 3, 1), "1er mars 2025"),
        (date(2025, 8, 15), "15 août 2025"),
        (date(2028, 2, 29), "29 février 2028"),
        (date(2026, 12, 31), "31 décembre 2026"),
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "1er janvier 2026"),  # Paris date
        (datetime(2025, 12, 31, 22, 59, tzinfo=UTC), "31 décembre 2025"),
    ],
)
def test_dates_are_written_the_french_way(value, text):
    assert french_date(value) == text


def test_instants_are_shown_in_paris_time_across_the_dst_changes():
    assert french_datetime(datetime(2025, 7, 1, 7, 5, tzinfo=UTC)) == "1er juillet 2025 à 9 h 05"
    # the night clocks go forward (30 March 2025): 00:59 UTC is 01:59, 01:00 UTC is 03:00
    assert french_time(datetime(2025, 3, 30, 0, 59, tzinfo=UTC)) == "1 h 59"
    assert french_time(datetime(2025, 3, 30, 1, 0, tzinfo=UTC)) == "3 h 00"
    # and back (26 October 2025): 01:00 UTC is 02:00 again
    assert french_datetime(datetime(2025, 10, 26, 1, 0, tzinfo=UTC)) == "26 octobre 2025 à 2 h 00"


def test_short_dates_line_up_in_tables():
    assert french_short_date(date(2024, 2, 29)) == "29/02/2024"
    assert french_short_date(datetime(2024, 10, 31, 23, 0, tzinfo=UTC)) == "01/11/2024"


def test_numbers_group_thousands_with_a_narrow_no_break_space():
    assert french_number(36_900_000_000) == f"36{NNBSP}900{NNBSP}000{NNBSP}000"
    assert french_number(999) == "999"
    assert french_number(90.5, 1) == "90,5"
    assert french_number(-1234, 2) == f"-1{NNBSP}234,00"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(36_900_000_000, GB, "36,90 Go"), (36_900_000_000, GIB, "34,37 Gio"),
     (41_000_000_000, GB, "41,00 Go"), (0, GB, "0,00 Go"),
     (500_000_000_000 - 1, GB, "500,00 Go"), (1_234_000_000_000, GB, f"1{NNBSP}234,00 Go")],
)
def test_sizes_follow_the_reading_of_go_in_force(value, unit, text):
    assert french_size(value, unit) == text


@pytest.mark.parametrize(
    ("cents", "text"),
    [(8_287_400, f"82{NNBSP}874,00"), (0, "0,00"), (5, "0,05"), (2200, "22,00"),
     (100_000_000, f"1{NNBSP}000{NNBSP}000,00"), (-150, "-1,50")],
)
def test_amounts_are_written_from_integer_cents_with_two_decimals(cents, text):
    assert french_amount(cents) == text


def test_euros_carry_the_sign_after_a_no_break_space():
    assert french_euros(8_287_400) == f"82{NNBSP}874,00\u00a0€"
