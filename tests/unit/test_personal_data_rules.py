"""Personal data rules (R-GDPR-1, R-GDPR-2): pseudonyms, the scrubber and the retention
arithmetic, with explicit dates."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.access import AccountStatus
from app.domain.accounts import Role, RoleKind
from app.domain.personal_data import (
    ERASED_SUBJECT,
    Person,
    Scrubber,
    erasable_from,
    inactive_account_erasable,
    last_access_day,
    last_enrolment_year_ended_by,
    latest_erasable_last_day,
    pseudonym,
    pseudonym_email,
)

PERSON = Person(
    emails=frozenset({"zoe.quille@ifsi.example"}),
    names=frozenset({("Zoé", "O'Quille")}),
    subjects=frozenset({"Mot de passe perdu"}),
)
SCRUB = Scrubber(PERSON, name="erased-x", email="erased-x@invalid.example")


def test_a_pseudonym_is_stable_and_hides_the_key():
    assert pseudonym("abc1234d") == pseudonym("abc1234d")
    assert pseudonym("abc1234d") != pseudonym("abc1234e")
    assert pseudonym("abc1234d").startswith("erased-") and "abc" not in pseudonym("abc1234d")
    assert len(pseudonym("abc1234d")) == len("erased-") + 12
    assert pseudonym_email("abc1234d") == pseudonym("abc1234d") + "@invalid.example"


def test_mentions_replace_addresses_whatever_their_case_and_full_names():
    text = "Écrire à Zoe.Quille@IFSI.example. Zoé O'Quille, O'Quille Zoé et Zoé seule."
    assert SCRUB.mentions(text) == (
        "Écrire à erased-x@invalid.example. erased-x erased-x, erased-x erased-x "
        "et Zoé seule."
    )


def test_own_records_lose_each_name_on_its_own_but_only_whole_words():
    assert SCRUB.own("Bonjour Zoé, Zoéline et O'Quille.") == (
        "Bonjour erased-x, Zoéline et erased-x."
    )


def test_html_escaped_names_are_replaced_too():
    assert SCRUB.mentions("<li>Zoé O&#39;Quille</li>") == "<li>erased-x erased-x</li>"
    assert SCRUB.mentions("<li>Zoé O&#x27;Quille</li>") == "<li>erased-x erased-x</li>"


def test_an_address_is_not_replaced_inside_a_longer_one():
    text = "anne.zoe.quille@ifsi.example, zoe.quille@ifsi.example.org"
    assert SCRUB.mentions(text) == text


def test_support_subjects_are_replaced_where_quoted():
    assert SCRUB.mentions("« Mot de passe perdu » de x") == f"« {ERASED_SUBJECT} » de x"


def test_json_values_are_walked_and_keys_kept():
    changes = {"reason": {"old": None, "new": "pour Zoé O'Quille"}, "n": 3}
    assert SCRUB.own_in(changes) == {"reason": {"old": None, "new": "pour erased-x erased-x"},
                                     "n": 3}


def test_needles_hold_the_stored_forms_in_lower_case():
    needles = SCRUB.needles()
    assert "zoe.quille@ifsi.example" in needles
    assert "zoé o&#39;quille" in needles
    assert "zo\\u00e9 o'quille" in needles  # inside JSON text


@pytest.mark.parametrize(
    ("last_day", "months", "kept_on", "erased_on"),
    [
        (date(2025, 8, 31), 12, date(2026, 8, 31), date(2026, 9, 1)),
        (date(2024, 1, 15), 24, date(2026, 1, 15), date(2026, 1, 16)),
        (date(2024, 2, 29), 12, date(2025, 2, 28), date(2025, 3, 1)),
        (date(2025, 1, 31), 1, date(2025, 2, 28), date(2025, 3, 1)),
    ],
)
def test_data_are_kept_on_the_anniversary_and_erased_the_day_after(
    last_day, months, kept_on, erased_on
):
    assert erasable_from(last_day, months) == erased_on
    assert kept_on < erased_on
    assert latest_erasable_last_day(erased_on, months) >= last_day


def test_the_prefilter_bound_never_excludes_an_erasable_day():
    day = date(2023, 1, 1)
    while day < date(2025, 1, 1):
        for months in (1, 12, 24):
            erased_on = erasable_from(day, months)
            assert latest_erasable_last_day(erased_on, months) >= day
        day = date.fromordinal(day.toordinal() + 1)


def test_the_last_enrolment_year_ended_by_a_day():
    assert last_enrolment_year_ended_by(date(2025, 8, 31)) == 2024
    assert last_enrolment_year_ended_by(date(2025, 8, 30)) == 2023


def role(kind, start, end, grace=None):
    return Role(kind=kind, school_code="ifms-rodez", valid_from=start, valid_until=end,
                grace_until=grace)


def test_the_last_access_day_includes_grace_and_is_capped_by_the_access_end():
    roles = [
        role(RoleKind.REFERENT, date(2023, 9, 1), date(2024, 8, 31)),
        role(RoleKind.STUDENT, date(2024, 9, 1), date(2025, 8, 31), date(2025, 10, 31)),
    ]
    assert last_access_day(roles, date(2030, 1, 1)) == date(2025, 10, 31)
    assert last_access_day(roles, date(2025, 6, 30)) == date(2025, 6, 30)
    assert last_access_day([role(RoleKind.TRAINER, date(2026, 1, 1), date(2026, 8, 31))],
                           date(2025, 6, 30)) is None


@pytest.mark.parametrize(
    ("status", "today", "erasable"),
    [
        (AccountStatus.EXPIRED, date(2026, 8, 31), False),
        (AccountStatus.EXPIRED, date(2026, 9, 1), True),
        (AccountStatus.DISABLED, date(2026, 9, 1), True),
        (AccountStatus.PENDING, date(2027, 9, 1), False),
        (AccountStatus.ACTIVE, date(2027, 9, 1), False),
        (AccountStatus.ERASED, date(2027, 9, 1), False),
    ],
)
def test_only_accounts_without_access_for_twelve_months_are_erasable(status, today, erasable):
    assert inactive_account_erasable(
        status=status, last_day=date(2025, 8, 31), created_on=date(2024, 1, 1), today=today,
        months=12,
    ) is erasable


def test_an_account_that_never_gave_access_counts_from_its_creation():
    kwargs = dict(status=AccountStatus.EXPIRED, last_day=None, created_on=date(2025, 9, 1),
                  months=12)
    assert not inactive_account_erasable(today=date(2026, 8, 31), **kwargs)
    assert inactive_account_erasable(today=date(2026, 9, 1), **kwargs)
